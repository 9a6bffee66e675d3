import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  composeSchemaErrors,
  readCompose,
  type ComposeFile,
  type ComposeService,
} from './compose.js';
import { COMPOSE_FILE, PROMETHEUS_DIR, REPO_ROOT } from './paths.js';
import { run } from './tools.js';

function hasDockerCompose(): boolean {
  return spawnSync('docker-compose', ['version'], { stdio: 'ignore' }).status === 0;
}

let compose: ComposeFile;
let services: [string, ComposeService][];

beforeAll(async () => {
  compose = await readCompose(COMPOSE_FILE);
  services = Object.entries(compose.services);
});

function build(service: ComposeService) {
  if (service.build === undefined) return undefined;
  return typeof service.build === 'string' ? { context: service.build } : service.build;
}

function dependsOn(service: ComposeService): Record<string, string> {
  const deps = service.depends_on ?? {};
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [d, 'service_started']));
  return Object.fromEntries(Object.entries(deps).map(([k, v]) => [k, v.condition]));
}

describe('docker-compose.yml', () => {
  it('validates against the Compose Specification schema', () => {
    expect(composeSchemaErrors(compose)).toEqual([]);
  });

  // Debian's docker-compose (v1.29, no engine needed for `config`) interpolates
  // variables and resolves merge keys and profiles as `docker compose` does. It is
  // an extra check where installed (apt-get install docker-compose); the schema
  // check above always runs.
  it.skipIf(!hasDockerCompose())(
    'is accepted by docker-compose config, with and without the bench profile',
    () => {
      for (const args of [[], ['--profile', 'bench']]) {
        const result = run(
          'docker-compose',
          ['-f', COMPOSE_FILE, ...args, 'config', '-q'],
          'docker-compose',
        );
        expect(result.status, result.output).toBe(0);
      }
    },
  );

  it('would be refused by the schema check if it were wrong', () => {
    const broken = structuredClone(compose) as unknown as {
      services: Record<string, Record<string, unknown>>;
    };
    broken.services['node-1']!.depends_on = { migrate: { condition: 'service_finished' } };
    broken.services['writer']!.healthcheck = { test: ['CMD', 'true'], interval: 'soon' };
    expect(composeSchemaErrors(broken).length).toBeGreaterThanOrEqual(2);
  });

  it('names only public images with a pinned version tag, or images it builds itself', () => {
    for (const [name, service] of services) {
      if (build(service)) continue;
      expect(service.image, name).toMatch(/^[a-z0-9./_-]+:[A-Za-z0-9._-]+$/);
      expect(service.image, `${name} must not float on :latest`).not.toMatch(/:latest$/);
      expect(service.image!.split(':')[1], `${name} pins a version`).toMatch(/\d/);
    }
  });

  it('builds from a Dockerfile, context and stage that exist in the repository', async () => {
    const built = services.filter(([, s]) => build(s));
    expect(built.map(([n]) => n).sort()).toEqual(['migrate', 'node-1', 'node-2', 'writer']);

    for (const [name, service] of built) {
      const b = build(service)!;
      const context = join(REPO_ROOT, b.context);
      const dockerfile = join(context, b.dockerfile ?? 'Dockerfile');
      expect(existsSync(context), `${name}: context ${b.context}`).toBe(true);
      expect(existsSync(dockerfile), `${name}: ${dockerfile}`).toBe(true);

      const text = await readFile(dockerfile, 'utf8');
      if (b.target)
        expect(text, `${name}: stage ${b.target}`).toMatch(
          new RegExp(`^FROM .+ AS ${b.target}$`, 'm'),
        );
    }
  });

  it('builds small non-root images from a pinned slim base', async () => {
    const text = await readFile(join(REPO_ROOT, 'deploy', 'docker', 'Dockerfile'), 'utf8');
    expect(text).toMatch(/^ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/m);
    expect(text.match(/^FROM /gm)?.length, 'multi-stage').toBeGreaterThan(2);
    expect(text).toMatch(/^FROM \$\{NODE_IMAGE\} AS runtime\n(.*\n)*USER node$/m);
    expect(text).toMatch(/npm prune --omit=dev/);
  });

  it('mounts only paths that exist in the repository', () => {
    for (const [name, service] of services) {
      for (const volume of service.volumes ?? []) {
        const source = typeof volume === 'string' ? volume.split(':')[0]! : (volume.source ?? '');
        if (!source.startsWith('.')) {
          expect(Object.keys(compose.volumes ?? {}), `${name}: named volume ${source}`).toContain(
            source,
          );
          continue;
        }
        expect(existsSync(join(REPO_ROOT, source)), `${name}: ${source}`).toBe(true);
      }
    }
  });

  it('starts in order: every dependency exists, has a health check when waited on, and one-shots run once', () => {
    const names = new Set(services.map(([n]) => n));
    for (const [name, service] of services) {
      for (const [dep, condition] of Object.entries(dependsOn(service))) {
        expect(names.has(dep), `${name} depends on missing ${dep}`).toBe(true);
        const target = compose.services[dep]!;
        if (condition === 'service_healthy') {
          expect(target.healthcheck ?? build(target), `${dep} needs a health check`).toBeTruthy();
        }
        if (condition === 'service_completed_successfully') {
          expect(target.restart, `${dep} is a one-shot`).toBe('no');
        }
      }
    }

    // The chat nodes come up only on a created cluster, an existing topic and a migrated schema.
    for (const node of ['node-1', 'node-2']) {
      expect(dependsOn(compose.services[node]!)).toEqual({
        'redis-cluster': 'service_completed_successfully',
        'kafka-topics': 'service_completed_successfully',
        migrate: 'service_completed_successfully',
      });
    }
  });

  it('runs a three-master Redis Cluster, the local stack’s Kafka version, two or more nodes, and k6 only under the bench profile', async () => {
    const redis = services.filter(([n]) => /^redis-\d$/.test(n));
    expect(redis).toHaveLength(3);
    for (const [, s] of redis) expect(s.command).toContain('--cluster-enabled');
    expect(String(compose.services['redis-cluster']!.command)).toMatch(/--cluster-replicas 0/);

    const pom = await readFile(join(REPO_ROOT, 'packages', 'stack', 'kafka', 'pom.xml'), 'utf8');
    const version = /<kafka\.version>([^<]+)</.exec(pom)?.[1];
    expect(compose.services.kafka!.image).toBe(`apache/kafka:${version}`);

    const nodes = services.filter(([, s]) => build(s)?.target === 'node');
    expect(nodes.length).toBeGreaterThanOrEqual(2);

    for (const [name, s] of services) {
      expect(s.profiles ?? [], name).toEqual(name === 'k6' ? ['bench'] : []);
    }
    const k6 = compose.services.k6!;
    expect(k6.command).toContain('experimental-prometheus-rw');
    const script = /\/scripts\/\$\{K6_SCRIPT:-([^}]+)\}/.exec(String(k6.command))?.[1];
    expect(
      existsSync(join(REPO_ROOT, 'bench', 'k6', script ?? 'missing')),
      `bench/k6/${script}`,
    ).toBe(true);
    expect(k6.environment).toMatchObject({
      K6_PROMETHEUS_RW_SERVER_URL: 'http://prometheus:9090/api/v1/write',
    });
    expect(compose.services.prometheus!.command).toContain('--web.enable-remote-write-receiver');
  });

  it('gives Grafana the provisioning, the dashboards folder and a home dashboard that exist', async () => {
    const grafana = compose.services.grafana!;
    expect(grafana.volumes).toEqual(
      expect.arrayContaining([
        './deploy/grafana/provisioning:/etc/grafana/provisioning:ro',
        './dashboards:/var/lib/grafana/dashboards:ro',
      ]),
    );
    const home = (grafana.environment as Record<string, string>)
      .GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH;
    expect(home).toMatch(/^\/var\/lib\/grafana\/dashboards\//);
    expect(existsSync(join(REPO_ROOT, 'dashboards', home!.split('/').pop()!))).toBe(true);

    // The provisioned datasource URL names the prometheus service on its container port.
    const ds = parse(
      await readFile(
        join(REPO_ROOT, 'deploy/grafana/provisioning/datasources/prometheus.yml'),
        'utf8',
      ),
    ) as { datasources: { url: string }[] };
    const url = new URL(ds.datasources[0]!.url);
    expect(compose.services[url.hostname]?.ports).toContain(`${url.port}:${url.port}`);
  });

  it('is scraped by Prometheus at every chat node and writer, on the ports they listen on', async () => {
    const config = parse(await readFile(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    const targets = (job: string) =>
      config.scrape_configs
        .filter((c) => c.job_name === job)
        .flatMap((c) => c.static_configs.flatMap((s) => s.targets))
        .sort();

    const listen = (target: 'node' | 'writer', portVar: string) =>
      services
        .filter(([, s]) => build(s)?.target === target)
        .map(([name, s]) => `${name}:${(s.environment as Record<string, unknown>)[portVar]}`)
        .sort();

    expect(targets('chat-node')).toEqual(listen('node', 'PORT'));
    expect(targets('writer')).toEqual(listen('writer', 'METRICS_PORT'));
  });
});
