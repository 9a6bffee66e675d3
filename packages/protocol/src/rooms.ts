import { USER_ID_PATTERN } from './limits.js';

/**
 * Direct messages. A conversation between users `a` and `b` is the room
 * `dm:<min(a,b)>:<max(a,b)>`; only those two may send to it or read its history.
 * Every socket is placed in its user's inbox room `user:<id>` on connect, and a
 * message to a DM room is broadcast to both inboxes, so neither side has to join
 * anything to receive. Clients may not join `user:` rooms themselves.
 */
export const DM_PREFIX = 'dm:';
export const INBOX_PREFIX = 'user:';

export function dmRoom(a: string, b: string): string {
  return a < b ? `${DM_PREFIX}${a}:${b}` : `${DM_PREFIX}${b}:${a}`;
}

export function inboxRoom(userId: string): string {
  return `${INBOX_PREFIX}${userId}`;
}

/** The two participants of a DM room, or undefined if `room` is not a well-formed one. */
export function dmParticipants(room: string): [string, string] | undefined {
  if (!room.startsWith(DM_PREFIX)) return undefined;
  const parts = room.slice(DM_PREFIX.length).split(':');
  if (parts.length !== 2) return undefined;

  const [a, b] = parts as [string, string];
  if (!USER_ID_PATTERN.test(a) || !USER_ID_PATTERN.test(b) || a >= b) return undefined;
  return [a, b];
}

export function isInboxRoom(room: string): boolean {
  return room.startsWith(INBOX_PREFIX);
}
