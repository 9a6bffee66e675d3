import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatClient } from './harness/client.js';
import { settleAndCheck } from './harness/oracle.js';
import { createTopic, stack, startNode, startWriter, type Proc } from './harness/processes.js';
import { uid, waitFor } from './harness/wait.js';

/**
 * Fault 1 of issue 7: `kill -9` of one of two chat nodes under light load.
 * Twenty clients, half on each node, send about three messages a second into
 * one room; the first node dies mid-stream. Its clients fail over to the other
 * node and resend every unacknowledged message with the same id.
 */
const CLIENTS = 20;
const SEND_EVERY_MS = 250;

/** The same fault on both engines the node ships, and over both client transports. */
const CASES = [
  { engine: 'uws', transport: 'websocket', base: 4700 },
  { engine: 'node', transport: 'websocket', base: 4703 },
  { engine: 'uws', transport: 'polling', base: 4706 },
] as const;

describe.each(CASES)(
  'kill -9 of one of two chat nodes under load ($engine engine, $transport)',
  ({ engine, transport, base }) => {
    const PORTS = { a: base, b: base + 1, writer: base + 2 };
    const run = uid();
    const prefix = `fk${run}-`;
    const room = `faults-kill-${run}`;
    const procs: Proc[] = [];
    const clients: ChatClient[] = [];
    let a: Proc;
    let b: Proc;

    beforeAll(async () => {
      const topic = await createTopic('kill');
      const env = { KAFKA_TOPIC: topic, REDIS_CHANNEL_PREFIX: `faults-${run}`, ENGINE: engine };
      procs.push(await startWriter(PORTS.writer, { ...env, KAFKA_GROUP_ID: `faults-kill-${run}` }));
      procs.push((a = await startNode(PORTS.a, { ...env, NODE_ID: 'faults-kill-a' })));
      procs.push((b = await startNode(PORTS.b, { ...env, NODE_ID: 'faults-kill-b' })));
    });

    afterAll(async () => {
      clients.forEach((c) => c.close());
      await Promise.all(procs.map((p) => p.stop()));
    });

    it('stores every acknowledged id exactly once, and the killed node’s clients are served again', async () => {
      for (let i = 0; i < CLIENTS; i += 1) {
        const urls = i % 2 === 0 ? [a.url, b.url] : [b.url, a.url];
        const client = new ChatClient(`u${i}`, urls, 8000, transport);
        await client.connect();
        await client.join(room);
        clients.push(client);
      }
      const onA = clients.filter((c) => c.url === a.url);
      const stayed = clients.filter((c) => c.url === b.url);

      // 1. Steady traffic from every client.
      let seq = 0;
      const sendOne = (c: ChatClient) => c.send(`${prefix}${c.user}-${(seq += 1)}`, room, 'hello');
      const timers = clients.map((c) => setInterval(() => sendOne(c), SEND_EVERY_MS));
      await waitFor(
        'acks from every client',
        () => clients.every((c) => c.acked.size >= 3),
        20_000,
      );

      // 2. The crash, mid-stream.
      const killedAtMs = Date.now();
      const ackedBeforeKill = new Set(onA.flatMap((c) => [...c.acked.keys()]));
      // One message from each of its clients is on the wire as SIGKILL lands (same tick, so no
      // ack can have arrived): the node may or may not have passed it to Kafka before dying.
      onA.forEach(sendOne);
      const unackedAtKill = onA.flatMap((c) => [...c.pending.keys()]);
      await a.kill9();
      const servedAgain = await waitFor(
        'every client of the killed node acknowledged again on the other node',
        () => {
          const firsts = onA.map((c) =>
            Math.min(
              ...[...c.acked]
                .filter(([id, at]) => !ackedBeforeKill.has(id) && at > killedAtMs)
                .map(([, at]) => at),
            ),
          );
          return firsts.every(Number.isFinite) ? Math.max(...firsts) : false;
        },
        30_000,
      );
      const recoverMs = servedAgain - killedAtMs;

      // 3. A little more traffic on the survivor, then stop and drain.
      const ackedNow = clients.reduce((n, c) => n + c.acked.size, 0);
      await waitFor('more acks after recovery', () => {
        return clients.reduce((n, c) => n + c.acked.size, 0) >= ackedNow + CLIENTS;
      });
      timers.forEach(clearInterval);

      // 4. The oracle: every acked id in PostgreSQL exactly once.
      const { acked, stored } = await settleAndCheck(clients, stack.DATABASE_URL ?? '', prefix, {
        storeTimeoutMs: 30_000,
      });

      // 5. No gaps for the clients that stayed: they saw every acknowledged message.
      const gaps = await waitFor('stayed clients saw every acked id', () => {
        const missing = stayed.map((c) => {
          const seen = new Set(c.received.map((m) => m.id));
          return acked.filter((id) => !seen.has(id)).length;
        });
        return missing.every((n) => n === 0) ? missing : false;
      });

      const result = {
        fault: `kill -9 chat node (${engine}, ${transport})`,
        clients: CLIENTS,
        acked: acked.length,
        stored: stored.rows,
        lost: stored.lost.length,
        duplicated: stored.duplicated,
        failedOver: onA.filter((c) => c.reconnects.length > 0).length,
        resentSameId: unackedAtKill.length,
        recoverMs,
        errorAcks: Object.fromEntries(clients.flatMap((c) => [...c.errors])),
      };
      console.log(`FAULT-RESULT ${JSON.stringify(result)}`);
      expect(stored.lost).toEqual([]);
      expect(stored.duplicated).toBe(0);
      expect(stored.rows).toBe(new Set(acked).size);
      expect(gaps.every((n) => n === 0)).toBe(true);
      expect(onA.every((c) => c.url === b.url)).toBe(true);
      expect(unackedAtKill.filter((id) => !acked.includes(id))).toEqual([]);
      expect(recoverMs).toBeLessThan(30_000);
    });
  },
);
