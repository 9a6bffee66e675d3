import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from './harness/client.js';
import { checkStored, settleAndCheck } from './harness/oracle.js';
import {
  createTopic,
  metric,
  stack,
  startNode,
  startWriter,
  type Proc,
} from './harness/processes.js';
import { uid, waitFor } from './harness/wait.js';

/**
 * Fault of issue 7: `kill -9` of the writer mid-batch, then a restart. The
 * writer commits Kafka offsets only after PostgreSQL committed (docs/writer.md),
 * so the batch it died in is fetched again by its successor and the replay is
 * idempotent: every acknowledged id ends up stored exactly once.
 */
const CLIENTS = 10;
const SEND_EVERY_MS = 200;
const PORTS = { node: 4750, writer: 4751, writer2: 4752 };

describe('kill -9 of the writer mid-batch, then a restart', () => {
  const run = uid();
  const prefix = `fw${run}-`;
  const room = `faults-writer-${run}`;
  const procs: Proc[] = [];
  const clients: ChatClient[] = [];
  let node: Proc;
  let writerEnv: Record<string, string>;

  beforeAll(async () => {
    const topic = await createTopic('writer');
    writerEnv = {
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: `faults-writer-${run}`,
      // The broker's minimum, so the restarted writer gets the dead one's partitions soon.
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      BATCH_MAX_WAIT_MS: '300',
    };
    node = await startNode(PORTS.node, {
      KAFKA_TOPIC: topic,
      REDIS_CHANNEL_PREFIX: `faults-${run}`,
    });
    procs.push(node);
  });

  afterAll(async () => {
    clients.forEach((c) => c.close());
    await Promise.all(procs.map((p) => p.stop()));
  });

  it('stores every acknowledged id exactly once after the writer crashed and came back', async () => {
    const writer = await startWriter(PORTS.writer, writerEnv);
    procs.push(writer);
    for (let i = 0; i < CLIENTS; i += 1) {
      const client = new ChatClient(`w${i}`, [node.url]);
      await client.connect();
      await client.join(room);
      clients.push(client);
    }
    let seq = 0;
    const timers = clients.map((c) =>
      setInterval(() => c.send(`${prefix}${c.user}-${(seq += 1)}`, room, 'hi'), SEND_EVERY_MS),
    );
    const db = stack.DATABASE_URL ?? '';
    const storedRows = async () => (await checkStored(db, prefix, [])).rows;

    // 1. The writer is storing; kill it while rows keep arriving.
    await waitFor('the writer to store rows', async () => (await storedRows()) >= 50, 30_000, 200);
    const rowsBeforeKill = await metric(writer.url, 'writer_rows_written_total');
    await writer.kill9();
    const killedAtMs = Date.now();

    // 2. Traffic continues while no writer runs; then a new one starts in the same group.
    const storedAtKill = await storedRows();
    const ackedAtKill = clients.reduce((n, c) => n + c.acked.size, 0);
    await waitFor('acks while the writer is down', () => {
      return clients.reduce((n, c) => n + c.acked.size, 0) >= ackedAtKill + 50;
    });
    const successor = await startWriter(PORTS.writer2, writerEnv);
    procs.push(successor);
    const restartedAtMs = Date.now();
    await waitFor(
      'the successor stores new rows',
      async () => {
        return (await storedRows()) > storedAtKill;
      },
      60_000,
      200,
    );
    const resumedAtMs = Date.now();

    // 3. Stop, drain, and apply the oracle.
    timers.forEach(clearInterval);
    const { acked, stored } = await settleAndCheck(clients, db, prefix);

    console.log(
      `FAULT-RESULT ${JSON.stringify({
        fault: 'kill -9 writer + restart',
        acked: acked.length,
        stored: stored.rows,
        lost: stored.lost.length,
        duplicated: stored.duplicated,
        rowsWrittenBeforeKill: rowsBeforeKill,
        downMs: restartedAtMs - killedAtMs,
        recoverAfterRestartMs: resumedAtMs - restartedAtMs,
        duplicatesSkippedBySuccessor: await metric(
          successor.url,
          'writer_duplicates_skipped_total',
        ),
      })}`,
    );
    expect(stored.lost).toEqual([]);
    expect(stored.duplicated).toBe(0);
    expect(stored.rows).toBe(new Set(acked).size);
    expect(resumedAtMs - restartedAtMs).toBeLessThan(60_000);
  });
});
