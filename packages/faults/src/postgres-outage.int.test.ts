import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startScratchPostgres, type ScratchService } from '@parley/stack';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from './harness/client.js';
import { checkStored, settleAndCheck } from './harness/oracle.js';
import { createTopic, healthy, startNode, startWriter, type Proc } from './harness/processes.js';
import { uid, waitFor } from './harness/wait.js';

/**
 * Fault of issue 7: PostgreSQL stopped. On a private PostgreSQL (never the
 * shared one) the writer must pause and catch up once it returns, the history
 * API must answer 503 meanwhile, chat itself keeps working (Kafka holds the
 * messages), and no process crashes.
 */
const PORTS = { postgres: 4770, node: 4771, writer: 4772 };
const CLIENTS = 4;
const OUTAGE_MS = 10_000;

async function historyStatus(url: string, room: string): Promise<number> {
  const res = await fetch(`${url}/api/rooms/${room}/messages?limit=5`, {
    signal: AbortSignal.timeout(10_000),
  });
  await res.text();
  return res.status;
}

describe('PostgreSQL stopped', () => {
  const run = uid();
  const prefix = `fp${run}-`;
  const room = `faults-pg-${run}`;
  const dir = mkdtempSync(join(tmpdir(), 'parley-faults-pg-'));
  const procs: Proc[] = [];
  const clients: ChatClient[] = [];
  let postgres: ScratchService;
  let node: Proc;
  let writer: Proc;

  beforeAll(async () => {
    postgres = await startScratchPostgres({ dir, port: PORTS.postgres });
    const topic = await createTopic('pg');
    const env = { ...postgres.env, KAFKA_TOPIC: topic };
    procs.push(
      (writer = await startWriter(PORTS.writer, { ...env, KAFKA_GROUP_ID: `faults-pg-${run}` })),
    );
    procs.push(
      (node = await startNode(PORTS.node, { ...env, REDIS_CHANNEL_PREFIX: `faults-${run}` })),
    );
  });

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(procs.map((p) => p.stop()));
    await postgres?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('pauses the writer, answers history with 503, and catches up after it returns', async () => {
    for (let i = 0; i < CLIENTS; i += 1) {
      const client = new ChatClient(`p${i}`, [node.url]);
      await client.connect();
      await client.join(room);
      clients.push(client);
    }
    let seq = 0;
    const timers = clients.map((c) =>
      setInterval(() => c.send(`${prefix}${c.user}-${(seq += 1)}`, room, 'hi'), 250),
    );
    const db = postgres.env.DATABASE_URL ?? '';
    const totalAcked = () => clients.reduce((n, c) => n + c.acked.size, 0);
    await waitFor(
      'rows stored before the outage',
      async () => {
        return (await checkStored(db, prefix, [])).rows >= 20;
      },
      30_000,
      200,
    );
    expect(await historyStatus(node.url, room)).toBe(200);

    // 1. Stop PostgreSQL; chat goes on, history answers 503.
    await postgres.stop();
    const stoppedAtMs = Date.now();
    const ackedWhenStopped = totalAcked();
    const historyDuringOutage = await waitFor(
      'history to answer 503',
      async () => {
        const status = await historyStatus(node.url, room);
        return status === 503 ? status : false;
      },
      30_000,
      200,
    );
    await waitFor(
      `acks while PostgreSQL is down, for ${OUTAGE_MS} ms`,
      () => totalAcked() >= ackedWhenStopped + 40 && Date.now() - stoppedAtMs >= OUTAGE_MS,
      OUTAGE_MS + 20_000,
      200,
    );
    const upDuringOutage = [await healthy(node.url), await healthy(writer.url)];

    // 2. Start it again; the writer catches up on what Kafka kept.
    const startCalledAtMs = Date.now();
    await postgres.start();
    const restartedAtMs = Date.now();
    timers.forEach(clearInterval);
    const { acked, stored } = await settleAndCheck(clients, db, prefix, { storeTimeoutMs: 90_000 });
    const caughtUpMs = Date.now() - restartedAtMs;
    const historyAfter = await waitFor(
      'history to answer 200 again',
      async () => {
        const status = await historyStatus(node.url, room);
        return status === 200 ? status : false;
      },
      30_000,
      200,
    );

    console.log(
      `FAULT-RESULT ${JSON.stringify({
        fault: 'postgres stopped',
        acked: acked.length,
        ackedWhileDown: acked.length - ackedWhenStopped,
        stored: stored.rows,
        lost: stored.lost.length,
        duplicated: stored.duplicated,
        heldDownMs: startCalledAtMs - stoppedAtMs,
        catchUpAfterRestartMs: caughtUpMs,
        historyDuringOutage,
        historyAfter,
        upDuringOutage,
      })}`,
    );
    expect(upDuringOutage).toEqual([true, true]);
    expect(stored.lost).toEqual([]);
    expect(stored.duplicated).toBe(0);
    expect(writer.child.exitCode).toBeNull();
    expect(caughtUpMs).toBeLessThan(90_000);
  });
});
