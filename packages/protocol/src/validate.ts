import { ErrorCode, type ChatError } from './events.js';
import { MESSAGE_ID_PATTERN, ROOM_PATTERN } from './limits.js';

export type Validated<T> = { ok: true; value: T } | { ok: false; error: ChatError };

export interface RoomInput {
  room: string;
}

export interface MessageInput {
  id: string;
  room: string;
  body: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): { ok: false; error: ChatError } {
  return { ok: false, error: { code: ErrorCode.Invalid, message } };
}

/** Validates a `join` or `leave` payload: `{ room }`. */
export function parseRoomInput(payload: unknown): Validated<RoomInput> {
  if (!isRecord(payload)) return invalid('payload must be an object');

  const { room } = payload;
  if (typeof room !== 'string' || !ROOM_PATTERN.test(room)) {
    return invalid('room must be 1 to 64 characters of [A-Za-z0-9_.:-]');
  }
  return { ok: true, value: { room } };
}

/**
 * Validates a `message` payload: `{ id, room, body }`. The body must be a
 * non-empty string of at most `maxBodyBytes` UTF-8 bytes with no NUL character
 * (PostgreSQL text cannot store one) and no lone surrogate (it has no UTF-8 form).
 */
export function parseMessageInput(payload: unknown, maxBodyBytes: number): Validated<MessageInput> {
  if (!isRecord(payload)) return invalid('payload must be an object');

  const { id, room, body } = payload;
  if (typeof id !== 'string' || !MESSAGE_ID_PATTERN.test(id)) {
    return invalid('id must be 1 to 64 characters of [A-Za-z0-9_-]');
  }
  if (typeof room !== 'string' || !ROOM_PATTERN.test(room)) {
    return invalid('room must be 1 to 64 characters of [A-Za-z0-9_.:-]');
  }
  if (typeof body !== 'string' || body.length === 0) {
    return invalid('body must be a non-empty string');
  }

  // A UTF-16 length above the byte cap can never fit; skip the byte count then.
  if (body.length > maxBodyBytes || Buffer.byteLength(body, 'utf8') > maxBodyBytes) {
    return {
      ok: false,
      error: { code: ErrorCode.TooLarge, message: `body exceeds ${maxBodyBytes} bytes` },
    };
  }
  if (body.includes('\u0000')) return invalid('body must not contain NUL characters');
  if (!body.isWellFormed()) return invalid('body must be well-formed Unicode');

  return { ok: true, value: { id, room, body } };
}
