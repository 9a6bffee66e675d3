import { RecoveryCursor, SEQ_PATTERN, compareSeq, dmRoom, type JoinAck } from '@parley/protocol';
import { Cluster } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  childNode,
  connect,
  createTopic,
  inbox,
  request,
  stack,
  uid,
  waitFor,
  type ChildNode,
} from './helpers.js';

type Received = ReturnType<typeof inbox>[number] & { seq?: string };

/**
 * Missed-message recovery (issue 7, item 1) across two chat nodes as processes,
 * plus one node with a tiny window and one with recovery off. Ports 4800-4803.
 */
describe('missed-message recovery', () => {
  let nodes: ChildNode[] = [];
  let prefix: string;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const topic = await createTopic();
    prefix = `parley-recovery-${uid()}`;
    const common = {
      KAFKA_TOPIC: topic,
      REDIS_CHANNEL_PREFIX: prefix,
      RATE_LIMIT_PER_SEC: '500',
      RATE_LIMIT_BURST: '1000',
    };
    nodes = await Promise.all([
      childNode({ ...common, PORT: '4800', NODE_ID: 'recovery-1' }),
      childNode({ ...common, PORT: '4801', NODE_ID: 'recovery-2' }),
      childNode({
        ...common,
        PORT: '4802',
        NODE_ID: 'recovery-tiny',
        RECOVERY_WINDOW_MESSAGES: '5',
      }),
      childNode({
        ...common,
        PORT: '4803',
        NODE_ID: 'recovery-off',
        RECOVERY_WINDOW_MESSAGES: '0',
      }),
    ]);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    const codes = await Promise.all(nodes.map((n) => n.stop()));
    expect(codes).toEqual([0, 0, 0, 0]);
  });

  async function client(node: number, user: string) {
    const socket = await connect(nodes[node]!.url, { user });
    sockets.push(socket);
    return { socket, received: inbox(socket) as Received[] };
  }

  async function send(socket: Socket, room: string, ids: string[]): Promise<void> {
    for (const id of ids) {
      const ack = (await request(socket, 'message', { id, room, body: id })) as { ok: boolean };
      expect(ack.ok).toBe(true);
    }
  }

  const ids = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);

  it('gives a client that reconnects to another node every missed message in order, then the live stream, with no gap and no duplicate', async () => {
    const room = `room-${uid()}`;
    const sender = await client(1, `bob-${uid()}`);
    expect(await request(sender.socket, 'join', { room })).toEqual({ ok: true });

    // 1. A sees the first messages on node 1 and remembers their seqs.
    const a = await client(0, `alice-${uid()}`);
    expect(await request(a.socket, 'join', { room })).toEqual({ ok: true });
    const before = ids('before', 3);
    await send(sender.socket, room, before);
    const cursor = new RecoveryCursor();
    await waitFor('first messages on node 1', () => a.received.length === before.length);
    for (const message of a.received) {
      expect(message.seq).toMatch(SEQ_PATTERN);
      cursor.accept(message);
    }
    a.socket.close();

    // 2. While A is away, B sends; then B keeps sending while A rejoins node 2.
    const away = ids('away', 20);
    await send(sender.socket, room, away);
    const during = ids('during', 20);
    const sending = send(sender.socket, room, during);
    const again = await client(1, `alice-${uid()}`);
    const ack = (await request(again.socket, 'join', {
      room,
      after: cursor.after(room),
    })) as JoinAck;
    await sending;

    // 3. `missed` starts right after the last seen seq, in seq order, and reaches the live stream.
    expect(ack.ok).toBe(true);
    expect(ack.truncated).toBe(false);
    const missed = ack.missed ?? [];
    expect(missed.map((m) => m.id).slice(0, away.length)).toEqual(away);
    for (let i = 1; i < missed.length; i++)
      expect(compareSeq(missed[i - 1]!.seq!, missed[i]!.seq!)).toBeLessThan(0);

    // 4. Merged with what arrived live, every message after `before` is there exactly once.
    await waitFor('the last live message', () => again.received.some((m) => m.id === 'during-19'));
    const delivered = [...cursor.merge(missed), ...again.received.filter((m) => cursor.accept(m))];
    const bySeq = delivered.sort((x, y) => compareSeq(x.seq!, y.seq!)).map((m) => m.id);
    expect(bySeq).toEqual([...away, ...during]);
  });

  it('recovers missed direct messages on another node through a join of the dm room with after', async () => {
    const [alice, bob] = [`alice-${uid()}`, `bob-${uid()}`];
    const room = dmRoom(alice, bob);
    const b = await client(1, bob);
    const a = await client(0, alice);
    await send(b.socket, room, ['dm-seen']);
    const seen = await waitFor('dm in the inbox', () => a.received.find((m) => m.id === 'dm-seen'));
    expect(seen.seq).toMatch(SEQ_PATTERN);
    a.socket.close();

    const away = ids('dm-away', 5);
    await send(b.socket, room, away);
    const back = await client(1, alice);
    const ack = (await request(back.socket, 'join', { room, after: seen.seq })) as JoinAck;
    expect(ack).toMatchObject({ ok: true, truncated: false });
    expect(ack.missed?.map((m) => m.id)).toEqual(away);

    // Live DMs keep arriving in the inbox; the dm room itself is still not joinable.
    await send(b.socket, room, ['dm-live']);
    await waitFor('live dm after recovery', () => back.received.some((m) => m.id === 'dm-live'));
    const plainJoin = await request(back.socket, 'join', { room });
    expect(plainJoin).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    const outsider = await client(1, `carol-${uid()}`);
    const peek = await request(outsider.socket, 'join', { room, after: seen.seq });
    expect(peek).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
  });

  it('marks the answer truncated and returns the newest messages when more were missed than the window holds', async () => {
    const room = `tiny-${uid()}`;
    const sender = await client(2, `bob-${uid()}`);
    expect(await request(sender.socket, 'join', { room })).toEqual({ ok: true });
    await send(sender.socket, room, ['seen']);
    const seen = await waitFor('own message', () => sender.received.find((m) => m.id === 'seen'));

    const away = ids('away', 12);
    await send(sender.socket, room, away);
    const back = await client(2, `alice-${uid()}`);
    const ack = (await request(back.socket, 'join', { room, after: seen.seq })) as JoinAck;
    expect(ack).toMatchObject({ ok: true, truncated: true });
    expect(ack.missed?.map((m) => m.id)).toEqual(away.slice(-5));
  });

  it('keeps each room window on one shard and expires it after RECOVERY_WINDOW_SECONDS', async () => {
    const room = `ttl-${uid()}`;
    const sender = await client(0, `bob-${uid()}`);
    await request(sender.socket, 'join', { room });
    await send(sender.socket, room, ['one']);

    const [host = '', port = ''] = (stack.REDIS_NODES ?? '').split(',')[0]!.split(':');
    const redis = new Cluster([{ host, port: Number(port) }]);
    try {
      const key = `${prefix}:recent:{${room}}`;
      expect(await redis.xlen(key)).toBe(1);
      const ttlMs = await redis.pttl(key);
      expect(ttlMs).toBeGreaterThan(3_500_000);
      expect(ttlMs).toBeLessThanOrEqual(3_600_000);
    } finally {
      redis.disconnect();
    }
  });

  it('with RECOVERY_WINDOW_MESSAGES=0 broadcasts without seq and still accepts joins', async () => {
    const room = `off-${uid()}`;
    const sender = await client(3, `bob-${uid()}`);
    expect(await request(sender.socket, 'join', { room })).toEqual({ ok: true });
    await send(sender.socket, room, ['plain']);
    const got = await waitFor('own message', () => sender.received.find((m) => m.id === 'plain'));
    expect(got.seq).toBeUndefined();

    const back = await client(3, `alice-${uid()}`);
    expect(await request(back.socket, 'join', { room, after: '1-0' })).toEqual({
      ok: true,
      recovery: 'disabled',
    });
  });

  it.each([
    ['not a stream id', 'yesterday'],
    ['a number', 17],
    ['an exclusive-range prefix', '(1-0'],
  ])('answers INVALID to a join whose after is %s', async (_, after) => {
    const a = await client(0, `alice-${uid()}`);
    const ack = (await request(a.socket, 'join', { room: `r-${uid()}`, after })) as {
      ok: boolean;
      error?: { code: string };
    };
    expect(ack).toMatchObject({ ok: false, error: { code: 'INVALID' } });
  });
});
