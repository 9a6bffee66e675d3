import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScratchKafka, type ScratchService } from '@parley/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from './harness/client.js';
import { settleAndCheck } from './harness/oracle.js';
import { healthy, stack, startNode, startWriter, type Proc } from './harness/processes.js';
import { uid, waitFor } from './harness/wait.js';

/**
 * Fault of issue 7: the Kafka broker stopped for ten seconds. A private broker
 * (never the shared one) carries the node's and the writer's traffic. While it
 * is down the node must answer UNAVAILABLE and never a false `ok`: an ok is a
 * promise that the message is stored, so any acked id missing from PostgreSQL
 * afterwards would be a false ok. Then it must recover without a restart.
 */
const OUTAGE_MS = 10_000;
const CLIENTS = 6;
const TOPIC = 'faults.kafka-outage';
const PORTS = { kafka: 4760, controller: 4761, node: 4762, writer: 4763 };

describe('the Kafka broker stopped for ten seconds', () => {
  const run = uid();
  const prefix = `fq${run}-`;
  const room = `faults-kafka-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'parley-faults-kafka-'));
  const procs: Proc[] = [];
  const clients: ChatClient[] = [];
  let kafka: ScratchService;
  let node: Proc;

  beforeAll(async () => {
    kafka = await startScratchKafka({
      dir,
      port: PORTS.kafka,
      controllerPort: PORTS.controller,
      topics: [{ topic: TOPIC, partitions: 12 }],
    });
    const env = { ...kafka.env, KAFKA_TOPIC: TOPIC };
    procs.push(await startWriter(PORTS.writer, { ...env, KAFKA_GROUP_ID: `faults-kafka-${run}` }));
    node = await startNode(PORTS.node, {
      ...env,
      REDIS_CHANNEL_PREFIX: `faults-${run}`,
      ACK_TIMEOUT_MS: '3000',
    });
    procs.push(node);
  });

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(procs.map((p) => p.stop()));
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers UNAVAILABLE while Kafka is down, never a false ok, and recovers', async () => {
    for (let i = 0; i < CLIENTS; i += 1) {
      const client = new ChatClient(`k${i}`, [node.url], 10_000);
      await client.connect();
      await client.join(room);
      clients.push(client);
    }
    let seq = 0;
    const timers = clients.map((c) =>
      setInterval(() => c.send(`${prefix}${c.user}-${(seq += 1)}`, room, 'hi'), 300),
    );
    const totalAcked = () => clients.reduce((n, c) => n + c.acked.size, 0);
    const unavailable = () => clients.reduce((n, c) => n + (c.errors.get('UNAVAILABLE') ?? 0), 0);
    await waitFor('acks before the outage', () => totalAcked() >= 30, 30_000);

    // 1. Stop the broker and hold it down for OUTAGE_MS while clients keep sending.
    await kafka.stop();
    const stoppedAtMs = Date.now();
    const ackedWhenStopped = totalAcked();
    await waitFor(
      `UNAVAILABLE answers and ${OUTAGE_MS} ms of outage`,
      () => unavailable() > 0 && Date.now() - stoppedAtMs >= OUTAGE_MS,
      OUTAGE_MS + 30_000,
      200,
    );
    const okDuringOutage = totalAcked() - ackedWhenStopped;
    const nodeHealthyDuringOutage = await healthy(node.url);

    // 2. Start it again on the same data; the node must serve again by itself.
    const startCalledAtMs = Date.now();
    await kafka.start();
    const restartedAtMs = Date.now(); // the broker is up and its topic has leaders again
    const ackedAtRestart = totalAcked();
    const servedAtMs = await waitFor(
      'a new ok after Kafka returned',
      () => (totalAcked() > ackedAtRestart ? Date.now() : false),
      60_000,
      100,
    );

    // 3. Drain: refused messages are retried with their ids until acked.
    timers.forEach(clearInterval);
    const { acked, stored } = await settleAndCheck(clients, stack.DATABASE_URL ?? '', prefix, {
      ackTimeoutMs: 60_000,
    });

    console.log(
      `FAULT-RESULT ${JSON.stringify({
        fault: 'kafka stopped 10 s',
        acked: acked.length,
        stored: stored.rows,
        lost: stored.lost.length,
        duplicated: stored.duplicated,
        unavailableAnswers: unavailable(),
        okDuringOutage,
        heldDownMs: startCalledAtMs - stoppedAtMs,
        brokerStartMs: restartedAtMs - startCalledAtMs,
        recoverAfterRestartMs: servedAtMs - restartedAtMs,
        nodeHealthyDuringOutage,
      })}`,
    );
    expect(unavailable()).toBeGreaterThan(0);
    expect(stored.lost).toEqual([]);
    expect(stored.duplicated).toBe(0);
    expect(nodeHealthyDuringOutage).toBe(true);
    expect(servedAtMs - restartedAtMs).toBeLessThan(60_000);
  });
});
