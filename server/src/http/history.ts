import type { ChatMessage } from '@parley/protocol';
import type pg from 'pg';
import { withTimeout } from '../timeout.js';

export const HISTORY_DEFAULT_LIMIT = 50;
export const HISTORY_MAX_LIMIT = 200;

/** Where the previous page ended: the last row's `created_at` (ms) and id. */
export interface Cursor {
  tsMs: number;
  id: string | undefined;
}

/**
 * `before` is either the opaque `nextBefore` of the previous page (base64url of
 * `<ts>:<id>`, exact keyset continuation even when several messages share a
 * millisecond) or a plain epoch-millisecond number (messages strictly older).
 */
export function parseBefore(before: string | null): Cursor | undefined | 'invalid' {
  if (before === null || before === '') return undefined;
  if (/^\d{1,15}$/.test(before)) return { tsMs: Number(before), id: undefined };

  const decoded = Buffer.from(before, 'base64url').toString('utf8');
  const match = /^(\d{1,15}):([A-Za-z0-9_-]{1,64})$/.exec(decoded);
  if (match === null) return 'invalid';
  return { tsMs: Number(match[1]), id: match[2] };
}

export function encodeCursor(message: ChatMessage): string {
  return Buffer.from(`${message.ts}:${message.id}`, 'utf8').toString('base64url');
}

interface Row {
  id: string;
  room: string;
  sender: string;
  body: string;
  ts: string;
}

/**
 * Newest first, keyset pagination on (created_at, id), served by the index
 * messages_room_created_at_id of db/migrations/0001_messages.sql.
 */
export async function readHistory(
  pool: pg.Pool,
  room: string,
  limit: number,
  cursor: Cursor | undefined,
  timeoutMs: number,
): Promise<ChatMessage[]> {
  const ts = 'floor(extract(epoch FROM created_at) * 1000)::bigint AS ts';
  const order = 'ORDER BY created_at DESC, id DESC LIMIT';
  const base = `SELECT id, room, sender, body, ${ts} FROM messages WHERE room = $1`;

  let query: pg.QueryConfig;
  if (cursor === undefined) {
    query = { text: `${base} ${order} $2`, values: [room, limit] };
  } else if (cursor.id === undefined) {
    query = {
      text: `${base} AND created_at < to_timestamp($2::float8 / 1000) ${order} $3`,
      values: [room, cursor.tsMs, limit],
    };
  } else {
    const keyset = '(created_at, id) < (to_timestamp($2::float8 / 1000), $3)';
    query = {
      text: `${base} AND ${keyset} ${order} $4`,
      values: [room, cursor.tsMs, cursor.id, limit],
    };
  }

  const result = await withTimeout(pool.query<Row>(query), timeoutMs);
  return result.rows.map((r) => ({
    id: r.id,
    room: r.room,
    from: r.sender,
    body: r.body,
    ts: Number(r.ts),
  }));
}
