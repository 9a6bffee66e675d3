import { spawn, type ChildProcess } from 'node:child_process';
import { SEQ_PATTERN } from '@parley/protocol';
import { Cluster, Redis } from 'ioredis';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  childNode,
  connect,
  createTopic,
  inbox,
  readTopic,
  request,
  stack,
  uid,
  waitFor,
  type ChildNode,
  type Transport,
} from './helpers.js';

interface Variant {
  name: string;
  env: Record<string, string>;
  ports: [number, number];
  /** Also run the Kafka-record and channel-placement checks (default configuration only). */
  full: boolean;
  /** Start a private single (non-cluster) Redis on this port for REDIS_URL. */
  singleRedisPort?: number;
}

/** One suite, every backend the node claims to support. */
const variants: Variant[] = [
  { name: 'uws engine, sharded adapter, Redis Cluster', env: {}, ports: [4100, 4101], full: true },
  {
    name: 'node engine (node:http + ws)',
    env: { ENGINE: 'node' },
    ports: [4102, 4103],
    full: false,
  },
  {
    name: 'classic adapter (PUBLISH)',
    env: { REDIS_ADAPTER: 'classic' },
    ports: [4104, 4105],
    full: false,
  },
  {
    name: 'single Redis via REDIS_URL',
    env: { REDIS_URL: 'redis://127.0.0.1:4106', REDIS_NODES: '' },
    ports: [4107, 4108],
    full: false,
    singleRedisPort: 4106,
  },
];

/**
 * Two chat nodes as separate processes on the shared Kafka and PostgreSQL,
 * with official socket.io-client connections on each.
 */
describe.each(variants)('two chat nodes: $name', (variant) => {
  let redisServer: ChildProcess | undefined;
  let topic: string;
  let prefix: string;
  let nodes: ChildNode[] = [];
  const sockets: Socket[] = [];

  beforeAll(async () => {
    if (variant.singleRedisPort !== undefined)
      redisServer = await startSingleRedis(variant.singleRedisPort);
    topic = await createTopic();
    prefix = `parley-test-${uid()}`;
    const common = {
      KAFKA_TOPIC: topic,
      REDIS_CHANNEL_PREFIX: prefix,
      RATE_LIMIT_PER_SEC: '200',
      RATE_LIMIT_BURST: '400',
    };
    nodes = await Promise.all([
      childNode({
        ...common,
        ...variant.env,
        PORT: String(variant.ports[0]),
        NODE_ID: 'cluster-a',
      }),
      childNode({
        ...common,
        ...variant.env,
        PORT: String(variant.ports[1]),
        NODE_ID: 'cluster-b',
      }),
    ]);
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    const codes = await Promise.all(nodes.map((n) => n.stop()));
    redisServer?.kill('SIGTERM');
    expect(codes).toEqual([0, 0]); // SIGTERM drains and exits 0
  });

  async function client(node: number, user: string, transport: Transport = 'websocket') {
    const socket = await connect(nodes[node]!.url, { user }, transport);
    sockets.push(socket);
    return { socket, received: inbox(socket) };
  }

  describe.each(['websocket', 'polling'] as const)('over %s', (transport) => {
    it('delivers a room message to members on both nodes, the sender included', async () => {
      const room = `room-${uid()}`;
      const a = await client(0, `alice-${uid()}`, transport);
      const b = await client(1, `bob-${uid()}`, transport);
      expect(await request(a.socket, 'join', { room })).toEqual({ ok: true });
      expect(await request(b.socket, 'join', { room })).toEqual({ ok: true });

      const id = `m-${uid()}`;
      const ack = (await request(a.socket, 'message', { id, room, body: 'hello' })) as Record<
        string,
        unknown
      >;
      expect(ack).toMatchObject({ ok: true, id });
      expect(typeof ack.ts).toBe('number');

      for (const who of [a, b]) {
        const got = await waitFor('delivery', () => who.received.find((m) => m.id === id));
        // seq: the message's place in the room's recovery window (docs/protocol.md, "Recovery").
        expect(got).toEqual({
          id,
          room,
          from: expect.any(String),
          body: 'hello',
          ts: ack.ts,
          seq: expect.stringMatching(SEQ_PATTERN),
        });
      }
    });
  });

  it('delivers a direct message to both participants only, on whichever node they are', async () => {
    const [alice, bob, carol] = [`alice-${uid()}`, `bob-${uid()}`, `carol-${uid()}`];
    const a = await client(0, alice);
    const b = await client(1, bob);
    const b2 = await client(0, bob); // bob's second device, on the other node
    const c = await client(1, carol);
    const room = alice < bob ? `dm:${alice}:${bob}` : `dm:${bob}:${alice}`;

    const id = `dm-${uid()}`;
    expect(await request(a.socket, 'message', { id, room, body: 'psst' })).toMatchObject({
      ok: true,
      id,
    });
    for (const who of [a, b, b2])
      await waitFor('dm delivery', () => who.received.some((m) => m.id === id));

    const probe = `probe-${uid()}`; // carol's inbox works: a dm to her arrives, the other did not
    const carolRoom = carol < alice ? `dm:${carol}:${alice}` : `dm:${alice}:${carol}`;
    await request(a.socket, 'message', { id: probe, room: carolRoom, body: 'hi carol' });
    await waitFor('probe delivery', () => c.received.some((m) => m.id === probe));
    expect(c.received.map((m) => m.id)).toEqual([probe]);

    expect(
      await request(c.socket, 'message', { id: `x-${uid()}`, room, body: 'intrude' }),
    ).toMatchObject({
      ok: false,
      error: { code: 'FORBIDDEN' },
    });
  });

  it('stops delivering to a socket once it left the room', async () => {
    const room = `room-${uid()}`;
    const a = await client(0, `alice-${uid()}`);
    const b = await client(1, `bob-${uid()}`);
    const c = await client(1, `carol-${uid()}`);
    await request(a.socket, 'join', { room });
    await request(b.socket, 'join', { room });
    await request(c.socket, 'join', { room });
    expect(await request(b.socket, 'leave', { room })).toEqual({ ok: true });

    const after = `after-${uid()}`;
    await request(a.socket, 'message', { id: after, room, body: 'after leave' });
    // c, on b's node, sees it, so that node has applied the fan-out; b must not have it. (The
    // sender's own copy proves nothing about the other node: the classic adapter's PUBLISH
    // crosses the cluster bus and may still be in flight after the sender's ack.)
    await waitFor('copy on the other node', () => c.received.some((m) => m.id === after));
    const marker = `marker-${uid()}`;
    await request(b.socket, 'join', { room });
    await request(a.socket, 'message', { id: marker, room, body: 'marker' });
    await waitFor('marker after rejoin', () => b.received.some((m) => m.id === marker));
    expect(b.received.map((m) => m.id)).toEqual([marker]);
  });

  it.runIf(variant.full)(
    'every ok-acknowledged message is in Kafka, keyed by room, encoded as a v1 record',
    async () => {
      const room = `kafka-${uid()}`;
      const a = await client(0, `alice-${uid()}`);
      const b = await client(1, `bob-${uid()}`);
      await request(a.socket, 'join', { room });
      await request(b.socket, 'join', { room });

      const acked = new Map<string, number>();
      await Promise.all(
        Array.from({ length: 40 }, async (_, i) => {
          const sender = i % 2 === 0 ? a : b;
          const id = `k-${i}-${uid()}`;
          const ack = (await request(sender.socket, 'message', { id, room, body: `n${i}` })) as {
            ok: boolean;
            ts: number;
          };
          if (ack.ok) acked.set(id, ack.ts);
        }),
      );
      expect(acked.size).toBe(40);

      const records = await readTopic(topic, (values) =>
        [...acked.keys()].every((id) => values.some((v) => v.id === id)),
      );
      for (const [id, ts] of acked) {
        const record = records.find((r) => r.id === id);
        expect(record).toMatchObject({
          key: room,
          v: 1,
          id,
          room,
          ts,
          node: expect.stringMatching(/^cluster-[ab]$/),
        });
      }
    },
  );

  it.runIf(variant.full)(
    'gives rooms their own sharded channels, spread over every master, 20-character rooms included',
    async () => {
      const a = await client(0, `alice-${uid()}`);
      const b = await client(1, `bob-${uid()}`);
      const rooms = Array.from({ length: 30 }, (_, i) => `s${i}-${uid()}`);
      const twenty = `t${uid()}${uid()}${uid()}`.slice(0, 20); // a socket-id-shaped room name
      expect(twenty).toHaveLength(20);
      for (const room of [...rooms, twenty]) await request(b.socket, 'join', { room });

      // 1. Each room's channel sits on the master owning its slot; together they cover all masters.
      const masters = (stack.REDIS_NODES ?? '').split(',').map((hp) => {
        const [host, port] = hp.split(':');
        return new Redis({ host, port: Number(port), lazyConnect: true });
      });
      try {
        const perMaster = await Promise.all(
          masters.map(
            async (m) => (await m.call('PUBSUB', 'SHARDCHANNELS', `${prefix}#/#*`)) as string[],
          ),
        );
        const channelsOf = (room: string) =>
          perMaster.map((list) => list.includes(`${prefix}#/#${room}#`));
        for (const room of [...rooms, twenty])
          expect(channelsOf(room).filter(Boolean)).toHaveLength(1);
        const mastersUsed = perMaster.filter((list) =>
          rooms.some((r) => list.includes(`${prefix}#/#${r}#`)),
        );
        expect(mastersUsed.length).toBe(masters.length);
      } finally {
        masters.forEach((m) => m.disconnect());
      }

      // 2. A 20-character room still crosses nodes, through its own channel, not the namespace one.
      const seeds = (stack.REDIS_NODES ?? '').split(',').map((hp) => {
        const [host, port] = hp.split(':');
        return { host: host ?? '127.0.0.1', port: Number(port) };
      });
      const watcher = new Cluster(seeds, { shardedSubscribers: true });
      const seen: string[] = [];
      watcher.on('smessage', (channel: string) => seen.push(channel));
      try {
        await watcher.ssubscribe(`${prefix}#/#${twenty}#`);
        await watcher.ssubscribe(`${prefix}#/#`);
        await request(a.socket, 'join', { room: twenty });
        const id = `t-${uid()}`;
        await request(a.socket, 'message', { id, room: twenty, body: 'twenty' });
        await waitFor('twenty-char room delivery', () => b.received.some((m) => m.id === id));
        await waitFor('watcher saw the room channel', () =>
          seen.includes(`${prefix}#/#${twenty}#`),
        );
        expect(seen).not.toContain(`${prefix}#/#`);
      } finally {
        watcher.disconnect();
      }
    },
  );
});

/** A throw-away non-cluster Redis 7 for the REDIS_URL variant. */
async function startSingleRedis(port: number): Promise<ChildProcess> {
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
    },
  );
  const client = new Redis({
    port,
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // refused until the server listens
  try {
    await waitFor('single redis up', async () => {
      try {
        if (client.status !== 'ready') await client.connect();
        return (await client.ping()) === 'PONG';
      } catch {
        client.disconnect();
        return false;
      }
    });
  } finally {
    client.disconnect();
  }
  return server;
}
