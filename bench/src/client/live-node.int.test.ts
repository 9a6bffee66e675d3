import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceEnv } from '@parley/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recorded, resetRecorded, values } from '../k6-standin/registry.js';
import { startChild, stopChild, waitHttpOk, type Child } from '../run/children.js';
import { parseOptions } from '../run/options.js';
import { createTopic, deleteTopic, runTarget } from '../run/target.js';
import { waitFor } from '../testing/wait.js';
import { LeanSocket } from './lean-socket.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../..');

/**
 * The generator's framing and the k6 scripts' framing against two live chat nodes
 * (server/dist/main.js, ports 4330-4331) on a fresh topic: what the unit contracts prove
 * against the official socket.io server must hold against Parley itself.
 */
describe('lean client and k6 framing against live chat nodes', () => {
  // A generous ack timeout: Kafka on a shared machine may stall; these tests are about framing.
  const env = { ...serviceEnv(root), ACK_TIMEOUT_MS: '30000' };
  const topic = `bench.live.${randomUUID()}`;
  const urls = ['http://127.0.0.1:4330', 'http://127.0.0.1:4331'];
  const nodes: Child[] = [];
  const logDir = resolve(root, '.stack/bench-logs/live-test');
  let writer: Child | undefined;

  beforeAll(async () => {
    await createTopic(env, topic);
    urls.forEach((url, i) => {
      const nodeEnv = {
        ...env,
        PORT: String(4330 + i),
        HOST: '127.0.0.1',
        NODE_ID: `bench-live-${i}`,
      };
      const logDir = resolve(root, '.stack/bench-logs/live-test');
      nodes.push(
        startChild(
          `live-node-${i}`,
          resolve(root, 'server/dist/main.js'),
          { ...nodeEnv, KAFKA_TOPIC: topic, AUTH_MODE: 'open' },
          logDir,
        ),
      );
    });
    const writerEnv = {
      ...env,
      KAFKA_TOPIC: topic,
      METRICS_PORT: '4332',
      KAFKA_GROUP_ID: `bench-live-${randomUUID()}`,
    };
    writer = startChild('live-writer', resolve(root, 'consumer/dist/main.js'), writerEnv, logDir);
    await Promise.all(urls.map((url, i) => waitHttpOk(`${url}/readyz`, nodes[i])));
    await waitHttpOk('http://127.0.0.1:4332/healthz', writer);
  });

  afterAll(async () => {
    await Promise.all(
      [...nodes, ...(writer === undefined ? [] : [writer])].map((child) => stopChild(child)),
    );
    await deleteTopic(env, topic).catch(() => undefined);
  });

  it('delivers a message sent on one node to a member on the other, after a Kafka-backed ack', async () => {
    const room = `live-${randomUUID().slice(0, 8)}`;
    const alice = new LeanSocket({ url: urls[0] as string, auth: { user: 'alice' } });
    const bob = new LeanSocket({ url: urls[1] as string, auth: { user: 'bob' } });
    const received: unknown[] = [];
    bob.on('message', (args) => received.push(args[0]));
    await Promise.all([alice.connect(), bob.connect()]);
    await expect(alice.emitWithAck('join', { room })).resolves.toEqual({ ok: true });
    await expect(bob.emitWithAck('join', { room })).resolves.toEqual({ ok: true });

    const id = `live-${randomUUID()}`;
    const ack = (await alice.emitWithAck('message', { id, room, body: 'hello' }, 30_000)) as {
      ok: boolean;
      id: string;
    };
    expect(ack).toMatchObject({ ok: true, id });
    await waitFor(() => received.length === 1, 'the cross-node delivery');
    expect(received[0]).toMatchObject({ id, room, from: 'alice', body: 'hello' });
    alice.close();
    bob.close();
  });

  it('reconnects after the transport drops and receives again once it has rejoined', async () => {
    const room = `live-${randomUUID().slice(0, 8)}`;
    const sender = new LeanSocket({ url: urls[0] as string, auth: { user: 'sender' } });
    const member = new LeanSocket({
      url: urls[1] as string,
      auth: { user: 'member' },
      reconnectDelayMs: 50,
    });
    const received: string[] = [];
    let rejoined = false;
    member.on('message', (args) => received.push((args[0] as { id: string }).id));
    member.onConnect = (reconnected) => {
      if (reconnected) void member.emitWithAck('join', { room }).then(() => (rejoined = true));
    };
    await Promise.all([sender.connect(), member.connect()]);
    await sender.emitWithAck('join', { room });
    await member.emitWithAck('join', { room });

    member.dropTransport();
    await waitFor(() => rejoined, 'the member to reconnect and rejoin');
    const id = `live-${randomUUID()}`;
    await sender.emitWithAck('message', { id, room, body: 'after reconnect' }, 30_000);
    await waitFor(() => received.includes(id), 'the delivery after reconnect');
    expect(member.reconnects).toBe(1);
    sender.close();
    member.close();
  });

  it('runs the k6 room-chat flow (k6 STAND-IN modules) across both nodes with zero ack errors', async () => {
    const k6env = globalThis as unknown as { __ENV: Record<string, string> };
    k6env.__ENV = {
      PARLEY_URLS: urls.join(','),
      SESSION_MS: '2000',
      SEND_EVERY_MS: '200',
      ROOMS: '1',
      K6_SUMMARY_DIR: '/tmp',
    };
    resetRecorded();
    const path = '../../k6/room-chat.js';
    const script = (await import(/* @vite-ignore */ path)) as {
      setup: () => { run: string };
      default: (data: { run: string }) => Promise<void>;
    };

    const data = script.setup();
    const runs: Promise<void>[] = [];
    for (let vu = 1; vu <= 4; vu += 1) {
      recorded.vu = vu;
      runs.push(script.default(data));
    }
    await Promise.all(runs);

    expect(values('messages_sent').length).toBeGreaterThan(10);
    expect(values('ack_latency').length).toBeGreaterThan(10);
    expect(values('delivery_latency').length).toBeGreaterThan(values('messages_sent').length);
    expect(values('ack_errors')).toEqual([]);
  });

  it('measures running nodes given with --targets: nothing lost, every acked message stored', async () => {
    const options = parseOptions(['--targets', urls.join(','), '--clients', '20', '--rooms', '2']);
    if (options === 'help') throw new Error('unexpected --help');
    const result = await runTarget(
      { name: 'external', label: 'live nodes', protocol: 'socketio', persists: true },
      {
        root,
        env,
        options: { ...options, durationS: 3, rate: 2, warmupS: 0, drainS: 10 },
        logDir,
        onTick: () => undefined,
        log: () => undefined,
      },
    );

    expect(result.target).toBe('external');
    expect(result.nodes).toBe(2);
    expect(result.acked).toBe(result.sent);
    expect(result.lost).toBe(0);
    expect(result.persistedAcked).toBe(result.acked);
    expect(result.rssBytesPerNode.every((rss) => rss !== null)).toBe(true);
  });
});
