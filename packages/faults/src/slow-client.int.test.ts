import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from './harness/client.js';
import { createTopic, metric, startNode, type Proc } from './harness/processes.js';
import { RawSocket } from './harness/raw.js';
import { uid, waitFor } from './harness/wait.js';

/**
 * Fault of issue 7: a client that stops reading while its room floods. The
 * node must not buffer for it without bound: it disconnects the client
 * (chat_slow_client_disconnects_total), its memory stays bounded, and a client
 * that reads keeps receiving.
 */
const PORT = 4720;
const FLOODERS = 4;
const BODY = 'x'.repeat(3500);
/** Generous: the node's RSS may grow by this much over its idle size during the flood. */
const RSS_GROWTH_LIMIT_BYTES = 256 * 1024 * 1024;

describe('a stalled client in a flooding room', () => {
  const run = uid();
  const room = `faults-slow-${run}`;
  const raws: RawSocket[] = [];
  let reader: ChatClient | undefined;
  let node: Proc;

  beforeAll(async () => {
    const topic = await createTopic('slow');
    node = await startNode(PORT, {
      KAFKA_TOPIC: topic,
      REDIS_CHANNEL_PREFIX: `faults-${run}`,
      MAX_BACKPRESSURE_BYTES: String(256 * 1024),
      SLOW_CLIENT_CHECK_MS: '200',
      RATE_LIMIT_PER_SEC: '500',
      RATE_LIMIT_BURST: '1000',
    });
  });

  afterAll(async () => {
    reader?.close();
    raws.forEach((r) => r.close());
    await node.stop();
  });

  it('disconnects the stalled client, keeps memory bounded and keeps serving readers', async () => {
    const idleRssBytes = node.rssBytes();
    const stalled = await RawSocket.open(node.url, 'stalled');
    raws.push(stalled);
    expect(await stalled.request('join', { room })).toEqual({ ok: true });
    reader = new ChatClient('reader', [node.url]);
    await reader.connect();
    await reader.join(room);
    const slowBefore = await metric(node.url, 'chat_slow_client_disconnects_total');

    // 1. Stop reading, then flood the room until the node lets the stalled client go.
    stalled.stall();
    const flooders: RawSocket[] = [];
    for (let i = 0; i < FLOODERS; i += 1) {
      const flooder = await RawSocket.open(node.url, `flood${i}`);
      expect(await flooder.request('join', { room })).toEqual({ ok: true });
      flooders.push(flooder);
    }
    raws.push(...flooders);
    let sent = 0;
    let peakRssBytes = 0;
    // About 800 messages (2.8 MB) a second in all; acks are awaited only to keep the flood honest.
    const flood = setInterval(() => {
      for (const f of flooders)
        for (let k = 0; k < 5; k += 1) {
          const id = `fs${run}-${(sent += 1)}`;
          void f.request('message', { id, room, body: BODY }, 60_000).catch(() => undefined);
        }
      peakRssBytes = Math.max(peakRssBytes, node.rssBytes());
    }, 25);
    const startedAtMs = Date.now();
    try {
      await waitFor(
        'chat_slow_client_disconnects_total to increase',
        async () => (await metric(node.url, 'chat_slow_client_disconnects_total')) > slowBefore,
        60_000,
        250,
      );
    } catch (error) {
      const state = {
        sent,
        readerReceived: reader.received.length,
        stalledClosedWith: stalled.closedWith,
        floodersOpen: flooders.filter((f) => f.open).length,
        flooderFrames: flooders[0]?.frames.slice(-3),
        peakRssMiB: Math.round(peakRssBytes / 2 ** 20),
      };
      throw new Error(`${String(error)}; state ${JSON.stringify(state)}`, { cause: error });
    } finally {
      clearInterval(flood);
    }
    const disconnectedAfterMs = Date.now() - startedAtMs;

    // The stalled client is gone from the node; the reader and the flooders remain.
    await waitFor('the stalled client to be dropped', async () => {
      return (await metric(node.url, 'chat_connected_clients')) === FLOODERS + 1;
    });

    // 2. The reader still receives: a marker sent after the flood arrives.
    const marker = `fs${run}-marker`;
    reader.send(marker, room, 'after the flood');
    const gotMarker = () => reader?.received.some((m) => m.id === marker);
    await waitFor('the reader to receive the marker', gotMarker, 30_000);

    const slowDisconnects =
      (await metric(node.url, 'chat_slow_client_disconnects_total')) - slowBefore;
    console.log(
      `FAULT-RESULT ${JSON.stringify({
        fault: 'stalled client in a flood',
        floodMessages: sent,
        floodBytes: sent * BODY.length,
        disconnectedAfterMs,
        slowDisconnects,
        backpressureDrops: await metric(node.url, 'chat_backpressure_drops_total'),
        idleRssMiB: Math.round(idleRssBytes / 2 ** 20),
        peakRssMiB: Math.round(peakRssBytes / 2 ** 20),
        readerReceived: reader.received.length,
      })}`,
    );
    expect(peakRssBytes - idleRssBytes).toBeLessThan(RSS_GROWTH_LIMIT_BYTES);
    // One stalled client is one disconnect, however many of the node's checks noticed it.
    expect(slowDisconnects).toBe(1);
    expect(reader.connected).toBe(true);
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  });
});
