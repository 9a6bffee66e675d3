import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import {
  DASHBOARDS,
  DATASOURCE,
  K6_SERIES,
  renderDashboard,
  type DashboardFile,
} from './dashboards/index.js';
import { panelQueries, readDashboard, recordedNames } from './panels.js';
import { DASHBOARDS_DIR, REPO_ROOT } from './paths.js';
import { metricNames } from './promql.js';

const FILES = Object.keys(DASHBOARDS) as DashboardFile[];

/** k6's own metrics (k6 core and k6/websockets), present in every run. */
const K6_BUILTINS = new Set([
  'vus',
  'vus_max',
  'iterations',
  'ws_sessions',
  'ws_msgs_sent',
  'ws_msgs_received',
]);

/**
 * What the code exports (../shared/INTERFACES.md, prom-client's default
 * metrics) plus what Prometheus itself adds. The live check in
 * panels.int.test.ts holds the dashboards to the running processes; this list
 * makes a typo fail in a second, without the stack.
 */
const EXPORTED = [
  'chat_connected_clients',
  'chat_messages_accepted_total',
  'chat_messages_rejected_total',
  'chat_messages_delivered_total',
  'chat_ack_duration_seconds_bucket',
  'chat_kafka_produce_duration_seconds_bucket',
  'chat_uws_native',
  'chat_slow_client_disconnects_total',
  'writer_rows_written_total',
  'writer_duplicates_skipped_total',
  'writer_dead_letters_total',
  'writer_batch_rows_bucket',
  'writer_flush_duration_seconds_bucket',
  'writer_persist_lag_seconds_bucket',
  'writer_consumer_lag_messages',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'up',
];

describe('dashboards', () => {
  it.each(FILES)('%s is exactly what src/dashboards generates', async (file) => {
    const committed = await readFile(join(DASHBOARDS_DIR, file), 'utf8');
    expect(
      committed,
      'run: npm run build -w @parley/observability && npm run dashboards -w @parley/observability',
    ).toBe(await renderDashboard(file, REPO_ROOT));
  });

  it('have distinct stable uids and a tag naming each', async () => {
    const dashboards = await Promise.all(FILES.map(readDashboard));
    const uids = dashboards.map((d) => d.uid);
    expect(new Set(uids).size).toBe(uids.length);
    expect(uids).toEqual(['parley-chat-nodes', 'parley-pipeline', 'parley-load-test']);
    for (const spec of Object.values(DASHBOARDS)) expect(spec.tags).toContain('parley');
    expect(Object.values(DASHBOARDS).map((d) => d.tags[1])).toEqual([
      'chat-nodes',
      'pipeline',
      'load-test',
    ]);
  });

  it('give every panel a unit, the provisioned datasource, a healthy-looks-like title and a query', async () => {
    for (const file of FILES) {
      const dashboard = (await readDashboard(file)) as unknown as {
        panels: {
          type: string;
          title: string;
          datasource?: { uid: string };
          fieldConfig?: { defaults: { unit?: string } };
          targets?: { expr: string; datasource: { uid: string } }[];
        }[];
      };
      const panels = dashboard.panels.filter((p) => p.type !== 'row');
      expect(panels.length).toBeGreaterThan(0);

      for (const panel of panels) {
        expect(panel.fieldConfig?.defaults.unit, panel.title).toBeTruthy();
        expect(panel.datasource?.uid, panel.title).toBe(DATASOURCE.uid);
        expect(panel.title, 'titles say what healthy looks like').toMatch(/\(healthy: .+\)$/);
        expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
        for (const t of panel.targets ?? []) expect(t.datasource.uid).toBe(DATASOURCE.uid);
      }
    }
  });

  it('group panels under rows that ask a question, with no overlapping panels', async () => {
    for (const file of FILES) {
      const { panels } = (await readDashboard(file)) as unknown as {
        panels: {
          type: string;
          title: string;
          gridPos: { x: number; y: number; w: number; h: number };
        }[];
      };
      expect(panels[0]?.type).toBe('row');
      for (const row of panels.filter((p) => p.type === 'row')) expect(row.title).toMatch(/\?$/);

      const cells = new Set<string>();
      for (const { gridPos: g, title } of panels) {
        expect(g.x + g.w, title).toBeLessThanOrEqual(24);
        for (let x = g.x; x < g.x + g.w; x++) {
          for (let y = g.y; y < g.y + g.h; y++) {
            expect(cells.has(`${x},${y}`), `${title} overlaps at ${x},${y}`).toBe(false);
            cells.add(`${x},${y}`);
          }
        }
      }
    }
  });

  it('name only metrics the code exports, the rules record or k6 writes', async () => {
    const known = new Set([...EXPORTED, ...(await recordedNames()), ...K6_SERIES]);
    for (const q of await panelQueries()) {
      for (const name of metricNames(q.query)) {
        expect(known.has(name), `${q.dashboard} / ${q.panel}: ${name}`).toBe(true);
      }
    }
  });
});

describe('the load-test dashboard and the k6 scripts', () => {
  it('reads only k6 built-ins or metrics that bench/k6 scripts declare under those names', async () => {
    const dir = join(REPO_ROOT, 'bench', 'k6');
    const scripts = (await readdir(dir)).filter((f) => /\.(js|ts)$/.test(f));
    const source = (await Promise.all(scripts.map((f) => readFile(join(dir, f), 'utf8')))).join(
      '\n',
    );
    const declared = new Set(
      [...source.matchAll(/new (Counter|Trend|Gauge|Rate)\('([a-z_]+)'/g)].map((m) => m[2]),
    );

    for (const series of K6_SERIES) {
      const name = series.replace(/^k6_/, '').replace(/_total$|_p\d+$|_max$|_min$|_avg$|_med$/, '');
      if (K6_BUILTINS.has(name)) continue;
      expect(declared.has(name), `${series}: no bench/k6 script declares '${name}'`).toBe(true);
    }
  });
});

describe('Grafana provisioning', () => {
  it('provisions the datasource under the uid every panel names, and the dashboards folder', async () => {
    const provisioning = join(REPO_ROOT, 'deploy', 'grafana', 'provisioning');
    const ds = parse(
      await readFile(join(provisioning, 'datasources', 'prometheus.yml'), 'utf8'),
    ) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    expect(ds.datasources).toEqual([
      expect.objectContaining({
        uid: DATASOURCE.uid,
        type: 'prometheus',
        url: 'http://prometheus:9090',
      }),
    ]);

    const provider = parse(
      await readFile(join(provisioning, 'dashboards', 'parley.yml'), 'utf8'),
    ) as {
      providers: { options: { path: string } }[];
    };
    expect(provider.providers[0]?.options.path).toBe('/var/lib/grafana/dashboards');
  });
});

describe('docs/observability.md', () => {
  it('lists every row, every panel and every alert', async () => {
    const doc = (await readFile(join(REPO_ROOT, 'docs', 'observability.md'), 'utf8')).replace(
      /\s+/g,
      ' ',
    );
    for (const spec of Object.values(DASHBOARDS)) {
      expect(doc).toContain(spec.uid);
      for (const row of spec.rows) {
        expect(doc).toContain(row.title);
        for (const panel of row.panels) expect(doc).toContain(panel.title.split(' (healthy')[0]);
      }
    }

    const alerts = parse(
      await readFile(join(REPO_ROOT, 'deploy', 'prometheus', 'rules', 'alerts.yml'), 'utf8'),
    ) as { groups: { rules: { alert: string }[] }[] };
    for (const rule of alerts.groups.flatMap((g) => g.rules))
      expect(doc).toContain(`\`${rule.alert}\``);
  });
});
