import type { ChatMessage } from '@parley/protocol';

/**
 * `sent` is confirmed by the server (its ack or its broadcast), `pending` awaits
 * that, `failed` got an error ack or none in time and may be retried.
 */
export type EntryState = 'pending' | 'sent' | 'failed';

export interface Entry {
  id: string;
  room: string;
  from: string;
  body: string;
  /** The accepting node's clock (epoch ms); undefined until the server has answered. */
  ts: number | undefined;
  state: EntryState;
  /** Why a `failed` entry failed, for the reader. */
  error?: string;
}

/** What an update did, and where the entry now sits (index into `entries()`). */
export type Change =
  | { kind: 'added'; entry: Entry; index: number }
  | { kind: 'moved'; entry: Entry; index: number }
  | { kind: 'updated'; entry: Entry; index: number }
  | { kind: 'unchanged'; entry: Entry; index: number };

/**
 * The messages of one room as the page shows them: one entry per id, whichever
 * way it arrived (live broadcast, own send, history page, refetch after a
 * reconnect), in the server's order (ts, then id), with unconfirmed sends
 * after every confirmed message in the order they were written.
 *
 * The server echoes a message to its sender too (INTERFACES.md), and history
 * overlaps live traffic, so deduplication by the client-chosen id is what keeps
 * each message on screen once.
 */
export class Timeline {
  readonly #entries: Entry[] = [];
  readonly #byId = new Map<string, Entry>();

  entries(): readonly Entry[] {
    return this.#entries;
  }

  get(id: string): Entry | undefined {
    return this.#byId.get(id);
  }

  has(id: string): boolean {
    return this.#byId.has(id);
  }

  get size(): number {
    return this.#entries.length;
  }

  /** The oldest confirmed message, where the next history page starts. */
  oldest(): Entry | undefined {
    return this.#entries.find((e) => e.ts !== undefined);
  }

  /** A message the server confirmed: a broadcast, an ack's echo or a history row. */
  confirm(message: ChatMessage): Change {
    const existing = this.#byId.get(message.id);
    if (existing === undefined) {
      const entry: Entry = { ...message, state: 'sent' };
      this.#byId.set(entry.id, entry);
      return { kind: 'added', entry, index: this.#insert(entry) };
    }

    if (existing.state === 'sent' && existing.ts === message.ts) {
      return { kind: 'unchanged', entry: existing, index: this.#entries.indexOf(existing) };
    }
    existing.ts = message.ts;
    existing.state = 'sent';
    delete existing.error;
    return this.#reposition(existing);
  }

  /** A message this page is sending; shown at once, confirmed later by `confirm` or `ack`. */
  addPending(id: string, room: string, from: string, body: string): Change {
    const existing = this.#byId.get(id);
    if (existing !== undefined) {
      return { kind: 'unchanged', entry: existing, index: this.#entries.indexOf(existing) };
    }
    const entry: Entry = { id, room, from, body, ts: undefined, state: 'pending' };
    this.#byId.set(id, entry);
    this.#entries.push(entry);
    return { kind: 'added', entry, index: this.#entries.length - 1 };
  }

  /** The server's acknowledgement of our own send: `{ ok: true, id, ts }`. */
  ack(id: string, ts: number): Change | undefined {
    const entry = this.#byId.get(id);
    if (entry === undefined) return undefined;
    return this.confirm({ id, room: entry.room, from: entry.from, body: entry.body, ts });
  }

  /** A send that was refused or timed out; a confirmed message never goes back to failed. */
  fail(id: string, error: string): Change | undefined {
    const entry = this.#byId.get(id);
    if (entry === undefined) return undefined;

    const index = this.#entries.indexOf(entry);
    if (entry.state === 'sent') return { kind: 'unchanged', entry, index };
    entry.state = 'failed';
    entry.error = error;
    return { kind: 'updated', entry, index };
  }

  /** A failed send goes out again under the same id (the idempotency key end to end). */
  retry(id: string): Change | undefined {
    const entry = this.#byId.get(id);
    if (entry === undefined || entry.state !== 'failed') return undefined;

    entry.state = 'pending';
    delete entry.error;
    return { kind: 'updated', entry, index: this.#entries.indexOf(entry) };
  }

  #reposition(entry: Entry): Change {
    const from = this.#entries.indexOf(entry);
    this.#entries.splice(from, 1);
    const index = this.#insert(entry);
    return { kind: index === from ? 'updated' : 'moved', entry, index };
  }

  /** Binary search among confirmed entries; pending and failed ones stay at the end. */
  #insert(entry: Entry): number {
    let low = 0;
    let high = this.#entries.findIndex((e) => e.ts === undefined);
    if (high === -1) high = this.#entries.length;

    while (low < high) {
      const mid = (low + high) >>> 1;
      const other = this.#entries[mid] as Entry;
      if (before(other, entry)) low = mid + 1;
      else high = mid;
    }
    this.#entries.splice(low, 0, entry);
    return low;
  }
}

/** The order of the history API (created_at, id), ascending. */
function before(a: Entry, b: Entry): boolean {
  const aTs = a.ts ?? Number.POSITIVE_INFINITY;
  const bTs = b.ts ?? Number.POSITIVE_INFINITY;
  return aTs < bTs || (aTs === bTs && a.id < b.id);
}
