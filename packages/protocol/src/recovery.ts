/**
 * Missed-message recovery (docs/protocol.md, "Recovery"). Every broadcast
 * message carries `seq`, the id of its entry in the room's recent-message
 * window (a Redis Stream id such as `1733240000000-0`). A client that rejoins
 * a room with `after` = the last seq it saw gets what it missed in the join
 * acknowledgement; copies of the same message may also arrive live, so
 * clients deduplicate by `id` and order by `seq`.
 */
import { ErrorCode, type ChatMessage } from './events.js';
import { ROOM_PATTERN } from './limits.js';
import type { Validated } from './validate.js';

/** A Redis Stream entry id: `<ms>-<n>`, each part at most 20 digits (a 64-bit integer). */
export const SEQ_PATTERN = /^\d{1,20}-\d{1,20}$/;

/** A message as broadcast by a node with recovery on: `seq` orders it within its room. */
export interface SequencedMessage extends ChatMessage {
  seq?: string;
}

export interface JoinInput {
  room: string;
  /** The last seq the client saw in this room; asks for everything after it. */
  after?: string;
}

/**
 * The acknowledgement of `join`. Without `after`, `{ ok: true }`. With it:
 * `missed` in seq order and `truncated` when the window no longer reaches
 * back to `after` (fetch the rest over HTTP history), or `recovery:
 * 'unavailable'` and no `missed` when the window could not be read.
 */
export interface JoinAck {
  ok: true;
  missed?: SequencedMessage[];
  truncated?: boolean;
  recovery?: 'unavailable' | 'disabled';
}

/** Validates a `join` payload: `{ room, after? }` (parseRoomInput stays the `leave` rule). */
export function parseJoinInput(payload: unknown): Validated<JoinInput> {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return invalid('payload must be an object');
  }

  const { room, after } = payload as Record<string, unknown>;
  if (typeof room !== 'string' || !ROOM_PATTERN.test(room)) {
    return invalid('room must be 1 to 64 characters of [A-Za-z0-9_.:-]');
  }
  if (after === undefined) return { ok: true, value: { room } };
  if (typeof after !== 'string' || !SEQ_PATTERN.test(after)) {
    return invalid('after must be a seq of the form <digits>-<digits>');
  }
  return { ok: true, value: { room, after } };
}

/**
 * Orders two seqs (negative, zero, positive). Both parts may exceed 2^53, so
 * they are compared as digit strings: first by length, then lexically, which
 * holds because stream ids carry no leading zeros.
 */
export function compareSeq(a: string, b: string): number {
  const [aMs = '', aN = ''] = a.split('-');
  const [bMs = '', bN = ''] = b.split('-');
  return compareDigits(aMs, bMs) || compareDigits(aN, bN);
}

function compareDigits(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The client side of recovery for one connection's rooms: remembers the
 * highest seq seen per room (what to send as `after`) and the ids delivered
 * since the last rejoin, so a message that arrives both live and in `missed`
 * is delivered once. The id memory per room is bounded by `maxRememberedIds`
 * (default 10000), oldest forgotten first; it only needs to span one rejoin's
 * overlap between the live stream and `missed`.
 */
export class RecoveryCursor {
  private readonly lastSeq = new Map<string, string>();
  private readonly delivered = new Map<string, Set<string>>();

  constructor(private readonly maxRememberedIds = 10_000) {}

  /** The `after` to send when (re)joining `room`, if anything was seen there. */
  after(room: string): string | undefined {
    return this.lastSeq.get(room);
  }

  /** True the first time `message` is offered (by id); records its seq either way. */
  accept(message: SequencedMessage): boolean {
    const { room, seq } = message;
    if (seq !== undefined) {
      const last = this.lastSeq.get(room);
      if (last === undefined || compareSeq(seq, last) > 0) this.lastSeq.set(room, seq);
    }

    let ids = this.delivered.get(room);
    if (ids === undefined) this.delivered.set(room, (ids = new Set()));
    if (ids.has(message.id)) return false;
    ids.add(message.id);
    if (ids.size > this.maxRememberedIds) ids.delete(ids.values().next().value as string);
    return true;
  }

  /** The messages of a join ack's `missed` not delivered yet, in seq order. */
  merge(missed: readonly SequencedMessage[]): SequencedMessage[] {
    const ordered = [...missed].sort((a, b) => compareSeq(a.seq ?? '0-0', b.seq ?? '0-0'));
    return ordered.filter((message) => this.accept(message));
  }
}

function invalid(message: string): { ok: false; error: { code: ErrorCode; message: string } } {
  return { ok: false, error: { code: ErrorCode.Invalid, message } };
}
