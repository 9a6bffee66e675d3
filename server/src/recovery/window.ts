import {
  compareSeq,
  type ChatMessage,
  type JoinAck,
  type SequencedMessage,
} from '@parley/protocol';
import type { RedisClient } from '@parley/runtime';
import { withTimeout } from '../timeout.js';

export interface RecentWindowOptions {
  /** The node's publisher client (cluster or single); its commands are never awaited in series. */
  redis: RedisClient;
  /** REDIS_CHANNEL_PREFIX: keys are `<prefix>:recent:{<room>}`. */
  prefix: string;
  /** RECOVERY_WINDOW_MESSAGES (> 0): approximate stream length and the bound of one read. */
  maxMessages: number;
  /** RECOVERY_WINDOW_SECONDS: a room's stream expires this long after its last message. */
  ttlSeconds: number;
  /** RECOVERY_TIMEOUT_MS: budget of one write or read. */
  timeoutMs: number;
  /** Resolves once this node's fan-out subscription to `room` is active (see `recover`). */
  subscribed: (room: string) => Promise<void>;
}

/**
 * The recent-message window of every room: a Redis Stream per room, written
 * by the accepting node when it accepts a message, before the broadcast, so
 * the broadcast carries the entry id as `seq` (issue 7, item 1). Because the
 * write happens at accept time, the window also covers messages that Kafka has
 * but the writer has not stored in PostgreSQL yet; past the window a client
 * reads GET /api/rooms/:room/messages.
 *
 * The room name inside `{}` is a Redis Cluster hash tag: one room's stream
 * lives on one shard, so XADD and PEXPIRE of a message can share a pipeline.
 */
export class RecentWindow {
  /** When this node last refreshed each stream's TTL, epoch ms; emptied past REFRESH_MEMORY_KEYS. */
  private readonly refreshedAtMs = new Map<string, number>();
  private readonly refreshEveryMs: number;

  constructor(private readonly options: RecentWindowOptions) {
    this.refreshEveryMs = Math.min(1000, (options.ttlSeconds * 1000) / 10);
  }

  key(room: string): string {
    return `${this.options.prefix}:recent:{${room}}`;
  }

  /**
   * Appends `message` and resolves to its seq, or to undefined when Redis did
   * not answer in time. The message then goes out without seq and, if the
   * write failed, is missing from the window without a recovering client being
   * told (known limit, docs/protocol.md "Recovery"; history has it).
   * Nothing waits for another message's write: the client auto-pipelines (node.ts), so the
   * XADD and PEXPIRE of all messages of one tick reach the room's master as one write.
   */
  async append(message: ChatMessage): Promise<string | undefined> {
    const { redis, maxMessages, ttlSeconds, timeoutMs } = this.options;
    const key = this.key(message.room);
    const write = Promise.all([
      redis.xadd(key, 'MAXLEN', '~', maxMessages, '*', 'm', JSON.stringify(message)),
      this.dueForRefresh(key) ? redis.pexpire(key, ttlSeconds * 1000) : undefined,
    ]);
    try {
      const [seq] = await withTimeout(write, timeoutMs);
      return typeof seq === 'string' ? seq : undefined;
    } catch {
      write.catch(() => undefined); // the late answer of a timed-out write is not wanted
      return undefined;
    }
  }

  /**
   * The TTL is refreshed at most every `refreshEveryMs` per room and node: a PEXPIRE with every
   * XADD cost ~24% of the throughput instead of ~10% (docs/server.md, "Recovery cost"). The
   * interval is at most a tenth of the TTL, so a stream this node skips cannot have expired
   * (which would make the XADD create a stream without TTL); the window expires
   * RECOVERY_WINDOW_SECONDS after the room's last message, give or take that interval.
   */
  private dueForRefresh(key: string): boolean {
    const nowMs = Date.now();
    if (nowMs - (this.refreshedAtMs.get(key) ?? 0) < this.refreshEveryMs) return false;
    if (this.refreshedAtMs.size >= REFRESH_MEMORY_KEYS) this.refreshedAtMs.clear(); // bounded
    this.refreshedAtMs.set(key, nowMs);
    return true;
  }

  /**
   * What a socket that has just joined `room` missed after `after`. `liveRoom`
   * is where the room's live messages reach the socket: the room itself, or
   * the user's inbox for a direct message's `dm:a:b`.
   *
   * Order for no gap: the socket is already in the room (step 1, by the
   * caller); 2. this node's Redis subscription to the room is confirmed, so
   * every message broadcast from now on reaches the socket live; 3. the stream
   * is read. A message is appended before it is broadcast, so one is either
   * in the read or arrives live, possibly both: clients dedupe by id.
   *
   * The read takes the newest `maxMessages` entries after `after`. `truncated`
   * says the returned entries do not reach back to `after` (the bound was hit,
   * or the stream's oldest entry is newer than `after`, or the stream expired):
   * what lies between `after` and `missed[0]` is in PostgreSQL history.
   */
  async recover(room: string, after: string, liveRoom = room): Promise<JoinAck> {
    const { redis, maxMessages, timeoutMs } = this.options;
    const key = this.key(room);
    try {
      await withTimeout(this.options.subscribed(liveRoom), timeoutMs);
      const read = redis
        .pipeline()
        .xrevrange(key, '+', `(${after}`, 'COUNT', maxMessages + 1)
        .xrange(key, '-', '+', 'COUNT', 1)
        .exec();
      read.catch(() => undefined); // answered below or abandoned at the deadline
      const [newest, oldest] = (await withTimeout(read, timeoutMs)) ?? [];
      if (newest?.[0] !== null || oldest?.[0] !== null)
        return { ok: true, recovery: 'unavailable' };

      const entries = (newest?.[1] ?? []) as [string, string[]][];
      const first = ((oldest?.[1] ?? []) as [string, string[]][])[0]?.[0];
      const truncated =
        entries.length > maxMessages || first === undefined || compareSeq(first, after) > 0;
      const missed = entries.slice(0, maxMessages).reverse().flatMap(decodeEntry);
      return { ok: true, missed, truncated };
    } catch {
      return { ok: true, recovery: 'unavailable' };
    }
  }
}

/** Rooms whose last TTL refresh is remembered; forgetting only costs an extra PEXPIRE. */
const REFRESH_MEMORY_KEYS = 10_000;

function decodeEntry([seq, fields]: [string, string[]]): SequencedMessage[] {
  const index = fields.indexOf('m');
  const raw = index >= 0 ? fields[index + 1] : undefined;
  if (raw === undefined) return [];
  try {
    return [{ ...(JSON.parse(raw) as ChatMessage), seq }];
  } catch {
    return []; // not written by a node; nothing a client could use
  }
}
