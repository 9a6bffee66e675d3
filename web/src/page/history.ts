import type { ChatMessage } from '@parley/protocol';

/** Messages per history request; the node caps it at 200 (server/src/http/history.ts). */
export const HISTORY_PAGE_SIZE = 50;

export interface HistoryPage {
  /** Oldest first, ready to append in reading order. */
  messages: ChatMessage[];
  /** What to pass as `before` for the next older page, or undefined at the start of the room. */
  before: string | undefined;
}

export class HistoryError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
    this.name = 'HistoryError';
  }
}

/**
 * One page of `GET /api/rooms/:room/messages?limit=&before=` (INTERFACES.md),
 * which answers newest first. The node also returns an opaque `nextBefore`
 * cursor that continues exactly even when several messages share a
 * millisecond; without one, a full page continues from its oldest `ts`.
 */
export async function fetchHistory(
  room: string,
  before: string | undefined,
  limit = HISTORY_PAGE_SIZE,
  signal?: AbortSignal,
): Promise<HistoryPage> {
  const query = new URLSearchParams({ limit: String(limit) });
  if (before !== undefined) query.set('before', before);
  const url = `/api/rooms/${encodeURIComponent(room)}/messages?${query.toString()}`;

  const response = await fetch(url, { headers: { accept: 'application/json' }, signal });
  if (!response.ok) {
    throw new HistoryError(`history answered ${response.status}`, response.status);
  }
  return parseHistoryPage(await response.json(), limit);
}

/** Checks the answer's shape; rows that are not well-formed messages are dropped, not shown. */
export function parseHistoryPage(value: unknown, limit: number): HistoryPage {
  if (!isRecord(value) || !Array.isArray(value.messages)) {
    throw new HistoryError('history answer has no messages array', undefined);
  }

  const newestFirst = value.messages.filter(isChatMessage);
  const messages = newestFirst.reverse();
  const oldest = messages[0];

  let before: string | undefined;
  if (typeof value.nextBefore === 'string' && value.nextBefore.length > 0)
    before = value.nextBefore;
  else if (
    value.nextBefore === undefined &&
    value.messages.length >= limit &&
    oldest !== undefined
  ) {
    before = String(oldest.ts);
  }
  return { messages, before };
}

export function isChatMessage(value: unknown): value is ChatMessage {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.room === 'string' &&
    typeof value.from === 'string' &&
    typeof value.body === 'string' &&
    typeof value.ts === 'number' &&
    Number.isFinite(value.ts)
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
