/** Socket.IO event names of namespace `/`. */
export const ClientEvent = {
  Join: 'join',
  Leave: 'leave',
  Message: 'message',
} as const;
export type ClientEvent = (typeof ClientEvent)[keyof typeof ClientEvent];

export const ServerEvent = {
  Message: 'message',
} as const;

/** Stable error codes a client may see in an error acknowledgement. */
export const ErrorCode = {
  Invalid: 'INVALID',
  TooLarge: 'TOO_LARGE',
  Unauthorized: 'UNAUTHORIZED',
  Forbidden: 'FORBIDDEN',
  RateLimited: 'RATE_LIMITED',
  Unavailable: 'UNAVAILABLE',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ChatError {
  code: ErrorCode;
  message: string;
}

export type OkAck = { ok: true };
export type MessageAck = { ok: true; id: string; ts: number };
export type ErrorAck = { ok: false; error: ChatError };

/** What the server emits to every member of a room, on every node. */
export interface ChatMessage {
  id: string;
  room: string;
  from: string;
  body: string;
  /** The accepting node's clock, epoch milliseconds. */
  ts: number;
}

export function errorAck(code: ErrorCode, message: string): ErrorAck {
  return { ok: false, error: { code, message } };
}
