import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import type { Admin } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKafka, kafkaSettings, parseConfig, serviceEnv } from '@parley/runtime';
import { panelQueries, type PanelQuery } from './panels.js';
import { REPO_ROOT } from './paths.js';
import { metricNames } from './promql.js';
import { startChild, stopChild, type Child } from './test/child.js';
import { K6RemoteWriter } from './test/k6-samples.js';
import { PrivatePrometheus } from './test/prometheus.js';
import { ChatTraffic } from './test/traffic.js';
import { answers, waitFor } from './test/wait.js';

/**
 * Every query of every dashboard panel, run against a real Prometheus that has
 * scraped a real chat node and writer (on the shared local stack) under light
 * chat traffic, with the deployment's own recording rules loaded. The k6
 * panels read samples pushed through the remote-write receiver in k6's format.
 * A panel whose metric nobody exports finds no series and fails here.
 */
const PORTS = { node: 4470, writer: 4471, prometheus: 4490 };
const QUERIES = await panelQueries();
const tag = randomUUID().slice(0, 8);
const topic = `obs-panels-${tag}`;
const table = `obs_panels_${tag}`;

let prometheus: PrivatePrometheus | undefined;
let admin: Admin | undefined;
let db: pg.Client | undefined;
let traffic: ChatTraffic | undefined;
const children: Child[] = [];
let driving = false;
let driver: Promise<void> = Promise.resolve();

function dist(path: string): string {
  const file = join(REPO_ROOT, path);
  if (!existsSync(file)) throw new Error(`${path} is missing: run npm run build`);
  return file;
}

async function hasData(q: PanelQuery): Promise<boolean> {
  const result = await prometheus!.query(q.query);
  return result.some((s) => Number.isFinite(Number(s.value[1])));
}

beforeAll(async () => {
  const env = serviceEnv(REPO_ROOT);
  admin = createKafka(parseConfig(kafkaSettings, env), `obs-${tag}`).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });

  db = new pg.Client({ connectionString: env.DATABASE_URL });
  await db.connect();
  await db.query(`CREATE TABLE ${table} (LIKE messages INCLUDING ALL)`);

  // 1. The writer and one chat node, as the deployment runs them, on loopback ports.
  const common = { ...process.env, ...env, KAFKA_TOPIC: topic, LOG_LEVEL: 'warn' };
  const writer = startChild('writer', process.execPath, [dist('consumer/dist/main.js')], {
    ...common,
    METRICS_PORT: String(PORTS.writer),
    KAFKA_GROUP_ID: `obs-panels-${tag}`,
    WRITER_TABLE: table,
    WRITER_MIGRATE: 'false',
  });
  const node = startChild('chat node', process.execPath, [dist('server/dist/main.js')], {
    ...common,
    PORT: String(PORTS.node),
    HOST: '127.0.0.1',
    NODE_ID: `obs-${tag}`,
    AUTH_MODE: 'open',
  });
  children.push(writer, node);

  const ready = (child: Child, url: string) =>
    waitFor(
      async () => !child.exited() && (await answers(url)),
      () => `${child.name} at ${url}: ${child.output()}`,
      60_000,
    );
  await ready(writer, `http://127.0.0.1:${PORTS.writer}/healthz`);
  await ready(node, `http://127.0.0.1:${PORTS.node}/readyz`);

  // 2. A private Prometheus scraping both every second, with the deployment's rules.
  prometheus = await PrivatePrometheus.start(PORTS.prometheus, {
    'chat-node': [`127.0.0.1:${PORTS.node}`],
    writer: [`127.0.0.1:${PORTS.writer}`],
  });

  // 3. Light traffic and k6 samples, kept flowing until the suite ends.
  traffic = await ChatTraffic.connect(`http://127.0.0.1:${PORTS.node}`, 3, tag);
  const k6 = new K6RemoteWriter(`${prometheus.url}/api/v1/write`, `obs-${tag}`);
  driving = true;
  driver = (async () => {
    while (driving) {
      // A slow acknowledgement under a busy suite must not stop the traffic for good.
      await Promise.allSettled([
        traffic!.tick(),
        k6.push(),
        new Promise((resolve) => setTimeout(resolve, 250)),
      ]);
    }
  })();

  // 4. Until every panel has data, or the deadline; the tests then name the ones that do not.
  await waitFor(
    async () => (await Promise.all(QUERIES.map(hasData))).every(Boolean),
    'every panel query to return data',
    90_000,
    1000,
  ).catch(() => undefined);
}, 240_000);

afterAll(async () => {
  driving = false;
  await driver.catch(() => undefined);
  traffic?.close();
  await prometheus?.stop();
  await Promise.all(children.map((c) => stopChild(c)));
  await db?.query(`DROP TABLE IF EXISTS ${table}`);
  await db?.end();
  await admin?.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin?.disconnect();
}, 60_000);

describe('dashboard panels against a Prometheus that scraped a live chat node and writer', () => {
  it('drove real traffic: messages were acknowledged, refused and delivered', () => {
    expect(traffic!.acked).toBeGreaterThan(0);
    expect(traffic!.rejected).toBeGreaterThan(0);
    expect(traffic!.received).toBeGreaterThan(0);
  });

  it.each(QUERIES.map((q) => [`${q.dashboard} / ${q.panel} [${q.refId}]`, q] as const))(
    '%s parses and returns data',
    async (_name, q) => {
      for (const name of metricNames(q.query)) {
        const series = await prometheus!.query(`count({__name__="${name}"})`);
        expect(series.length, `${q.panel}: no series named ${name}; nothing exports it`).toBe(1);
      }

      const result = await prometheus!.query(q.query);
      const values = result.map((s) => Number(s.value[1]));
      expect(values.some(Number.isFinite), `${q.query} returned ${JSON.stringify(result)}`).toBe(
        true,
      );
      for (const s of result) {
        if ('node' in s.metric) expect(s.metric.node, 'series carry their node id').not.toBe('');
      }
    },
  );

  it('evaluates every recording and alerting rule without error', async () => {
    const response = await fetch(`${prometheus!.url}/api/v1/rules`);
    const body = (await response.json()) as {
      data: { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
    };
    const rules = body.data.groups.flatMap((g) => g.rules);
    expect(rules.length).toBeGreaterThan(20);
    expect(rules.filter((r) => r.health !== 'ok').map((r) => `${r.name}: ${r.lastError}`)).toEqual(
      [],
    );
  });
});
