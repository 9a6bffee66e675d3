/**
 * Engine.IO v4 / Socket.IO v5 text framing, as the generator and the k6 suite speak it over a
 * plain WebSocket (https://socket.io/docs/v4/engine-io-protocol/ and
 * https://socket.io/docs/v4/socket-io-protocol/). Only text frames of namespace `/` are
 * supported: the chat protocol carries no binary attachments.
 *
 * An Engine.IO packet is one type digit then its data; a Socket.IO packet rides inside an
 * Engine.IO `4` (message) packet, so `42["message",{...}]` is an event and `43<id>[...]` an ack.
 */

export const EngineType = { Open: '0', Close: '1', Ping: '2', Pong: '3', Message: '4' } as const;

export const SocketType = {
  Connect: '0',
  Disconnect: '1',
  Event: '2',
  Ack: '3',
  ConnectError: '4',
} as const;

/** The data of the Engine.IO `0` (open) packet. */
export interface OpenPacket {
  sid: string;
  upgrades: string[];
  pingInterval: number;
  pingTimeout: number;
  maxPayload: number;
}

export type SocketPacket =
  | { type: 'connect'; sid: string }
  | { type: 'connect_error'; message: string }
  | { type: 'disconnect' }
  | { type: 'event'; name: string; args: unknown[]; ackId: number | undefined }
  | { type: 'ack'; ackId: number; args: unknown[] };

/** The WebSocket URL of the Engine.IO endpoint behind an http(s) base URL. */
export function engineUrl(baseUrl: string, path = '/socket.io/'): string {
  const url = new URL(path, baseUrl);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.search = 'EIO=4&transport=websocket';
  return url.toString();
}

// The encoders below return whole WebSocket frames: the Engine.IO `4` then the Socket.IO packet.

/** Leaves namespace `/`; the server then drops the session. */
export const DISCONNECT_FRAME = '41';

export function encodeConnect(auth: Record<string, unknown> | undefined): string {
  return auth === undefined ? '40' : `40${JSON.stringify(auth)}`;
}

export function encodeEvent(name: string, data: unknown, ackId?: number): string {
  return `42${ackId === undefined ? '' : ackId}${JSON.stringify([name, data])}`;
}

export function encodeAck(ackId: number, args: unknown[]): string {
  return `43${ackId}${JSON.stringify(args)}`;
}

/** Reads the leading decimal ack id of a Socket.IO packet body; `end` is where the JSON starts. */
function readAckId(text: string, start: number): { ackId: number | undefined; end: number } {
  let end = start;
  while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end += 1;
  return { ackId: end === start ? undefined : Number(text.slice(start, end)), end };
}

/**
 * Decodes the Socket.IO packet inside an Engine.IO message (the text after the leading `4`).
 * Packets for other namespaces and binary packets are returned as undefined: the chat protocol
 * never sends them.
 */
export function decodeSocketPacket(text: string): SocketPacket | undefined {
  const type = text[0];
  if (text[1] === '/') return undefined;

  switch (type) {
    case SocketType.Connect: {
      const data = JSON.parse(text.slice(1)) as { sid?: string };
      return { type: 'connect', sid: data.sid ?? '' };
    }
    case SocketType.ConnectError: {
      const data = JSON.parse(text.slice(1)) as { message?: string };
      return { type: 'connect_error', message: data.message ?? 'connect error' };
    }
    case SocketType.Disconnect:
      return { type: 'disconnect' };
  }

  if (type !== SocketType.Event && type !== SocketType.Ack) return undefined;
  const { ackId, end } = readAckId(text, 1);
  const args = JSON.parse(text.slice(end)) as unknown[];
  if (type === SocketType.Ack)
    return ackId === undefined ? undefined : { type: 'ack', ackId, args };

  const [name, ...rest] = args;
  return typeof name === 'string' ? { type: 'event', name, args: rest, ackId } : undefined;
}
