import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScratchKafka, startScratchRedisCluster, type ScratchService } from '@parley/stack';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatNode } from '../src/index.js';
import { connect, inbox, inProcessNode, request, uid, waitFor } from './helpers.js';

const ACK_TIMEOUT_MS = 2000;

/**
 * Kafka and Redis going away and coming back, on private scratch instances
 * (never the shared stack). The node must answer UNAVAILABLE within a bounded
 * time, never ok, report 503 on /readyz, and recover by itself.
 */
describe('outages', () => {
  const dir = join(tmpdir(), `parley-server-outage-${uid()}`);
  let kafka: ScratchService;
  let redis: ScratchService;
  let node: ChatNode;
  let socket: Socket;
  let peer: ChatNode;
  let peerSocket: Socket;
  let peerInbox: ReturnType<typeof inbox>;
  const room = `outage-${uid()}`;

  beforeAll(async () => {
    // Settled one by one, so afterAll stops whichever did start.
    const started = await Promise.allSettled([
      startScratchKafka({
        dir: join(dir, 'kafka'),
        port: 4120,
        controllerPort: 4121,
        topics: [{ topic: 'chat.outage', partitions: 3 }],
      }),
      startScratchRedisCluster({ dir: join(dir, 'redis'), ports: [4122, 4123, 4124] }),
    ]);
    if (started[0].status === 'fulfilled') kafka = started[0].value;
    if (started[1].status === 'fulfilled') redis = started[1].value;
    for (const result of started) if (result.status === 'rejected') throw result.reason;
    node = await inProcessNode({
      ...kafka.env,
      ...redis.env,
      PORT: '4125',
      NODE_ID: 'outage',
      KAFKA_TOPIC: 'chat.outage',
      ACK_TIMEOUT_MS: String(ACK_TIMEOUT_MS),
      READY_TIMEOUT_MS: '1000',
    });
    peer = await inProcessNode({
      ...kafka.env,
      ...redis.env,
      PORT: '4126',
      NODE_ID: 'outage-peer',
      KAFKA_TOPIC: 'chat.outage',
    });
    socket = await connect(`http://127.0.0.1:${node.port}`, { user: 'olga' });
    expect(await request(socket, 'join', { room })).toEqual({ ok: true });
    peerSocket = await connect(`http://127.0.0.1:${peer.port}`, { user: 'pete' });
    peerInbox = inbox(peerSocket);
    expect(await request(peerSocket, 'join', { room })).toEqual({ ok: true });
  }, 180_000);

  afterAll(async () => {
    socket?.close();
    peerSocket?.close();
    await Promise.all([node?.close(), peer?.close()]);
    await Promise.allSettled([kafka?.stop(), redis?.stop()]);
    rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  const readyz = async () => {
    const res = await fetch(`http://127.0.0.1:${node.port}/readyz`);
    return { status: res.status, body: (await res.json()) as { reason?: string } };
  };
  const send = async () => {
    const id = `o-${uid()}`;
    return (await request(socket, 'message', { id, room, body: 'are you there' }, 30_000)) as {
      ok: boolean;
      error?: { code: string };
    };
  };

  it('answers UNAVAILABLE within a bounded time while Kafka is down, and recovers when it returns', async () => {
    expect((await send()).ok).toBe(true);
    expect((await readyz()).status).toBe(200);

    await kafka.stop();
    const started = Date.now();
    const ack = await send();
    const elapsedMs = Date.now() - started;
    expect(ack).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(elapsedMs).toBeLessThan(ACK_TIMEOUT_MS + 1500);
    const down = await waitFor(
      'readyz 503',
      async () => ((await readyz()).status === 503 ? await readyz() : undefined),
      20_000,
    );
    expect(down.body.reason).toMatch(/kafka/);

    await kafka.start();
    await waitFor(
      'readyz 200 after Kafka returned',
      async () => (await readyz()).status === 200,
      60_000,
    );
    await waitFor('an ok ack after Kafka returned', async () => (await send()).ok, 60_000);
  }, 180_000);

  it('reports 503 while Redis is down and 200 again after it returns', async () => {
    await redis.stop();
    const down = await waitFor(
      'readyz 503',
      async () => {
        const r = await readyz();
        return r.status === 503 ? r : undefined;
      },
      20_000,
    );
    expect(down.body.reason).toMatch(/redis/);

    // Recovery reads Redis: a rejoin with `after` still succeeds, marked unavailable (no `missed`).
    const rejoin = await request(socket, 'join', { room, after: '1-0' });
    expect(rejoin).toEqual({ ok: true, recovery: 'unavailable' });

    // A client leaving a room while Redis is away makes the adapter SUNSUBSCRIBE; that must not
    // become an unhandled rejection (which ends a Node process; vitest reports it as an error).
    const leaver = await connect(`http://127.0.0.1:${node.port}`, { user: 'leo' });
    await request(leaver, 'join', { room: `leave-${uid()}` });
    leaver.close();
    await waitFor('leaver gone', () => node.io.of('/').sockets.size === 1);

    await redis.start();
    await waitFor(
      'readyz 200 after Redis returned',
      async () => (await readyz()).status === 200,
      60_000,
    );
    await waitFor('an ok ack after Redis returned', async () => (await send()).ok, 30_000);

    // Fan-out recovers too: the peer node's subscription to the room is back.
    const id = `back-${uid()}`;
    await request(socket, 'message', { id, room, body: 'across again' });
    await waitFor(
      'cross-node delivery after Redis returned',
      () => peerInbox.some((m) => m.id === id),
      30_000,
    );
  }, 180_000);
});
