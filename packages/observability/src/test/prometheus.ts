import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { PROMETHEUS_DIR } from '../paths.js';
import { startChild, stopChild, type Child } from './child.js';
import { answers, waitFor } from './wait.js';

interface ScrapeConfig {
  job_name: string;
  static_configs: { targets: string[] }[];
}

/**
 * A private Prometheus (Debian's binary) for one test run: the deployment's
 * prometheus.yml with its rule files, but a 1 s scrape and evaluation interval
 * and the given loopback targets per job instead of the compose service names.
 */
export class PrivatePrometheus {
  private constructor(
    readonly url: string,
    private readonly child: Child,
    private readonly dir: string,
  ) {}

  static async start(port: number, targets: Record<string, string[]>): Promise<PrivatePrometheus> {
    const dir = await mkdtemp(join(tmpdir(), 'parley-prometheus-'));
    const deployed = parse(await readFile(join(PROMETHEUS_DIR, 'prometheus.yml'), 'utf8')) as {
      rule_files: string[];
      scrape_configs: ScrapeConfig[];
    };

    const config = {
      global: { scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: deployed.rule_files.map((f) => join(PROMETHEUS_DIR, f)),
      scrape_configs: deployed.scrape_configs
        .filter((c) => targets[c.job_name] !== undefined)
        .map((c) => ({ ...c, static_configs: [{ targets: targets[c.job_name] }] })),
    };
    const missing = Object.keys(targets).filter(
      (job) => !deployed.scrape_configs.some((c) => c.job_name === job),
    );
    if (missing.length > 0) throw new Error(`prometheus.yml has no job ${missing.join(', ')}`);

    const configFile = join(dir, 'prometheus.yml');
    await writeFile(configFile, stringify(config));
    const child = startChild(
      'prometheus',
      'prometheus',
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--web.enable-remote-write-receiver',
        '--storage.tsdb.retention.time=1h',
      ],
      process.env,
    );
    child.process.on('error', () => undefined);

    const url = `http://127.0.0.1:${port}`;
    const prometheus = new PrivatePrometheus(url, child, dir);
    await waitFor(
      async () => !child.exited() && (await answers(`${url}/-/ready`)),
      () => `Prometheus ready on ${url} (is Debian's prometheus installed?): ${child.output()}`,
      30_000,
    );
    return prometheus;
  }

  /** An instant query; throws with Prometheus' message when the expression does not parse. */
  async query(
    expr: string,
  ): Promise<{ metric: Record<string, string>; value: [number, string] }[]> {
    const response = await fetch(`${this.url}/api/v1/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ query: expr }),
    });
    const body = (await response.json()) as {
      status: string;
      error?: string;
      data?: {
        resultType: string;
        result: { metric: Record<string, string>; value: [number, string] }[];
      };
    };
    if (body.status !== 'success')
      throw new Error(`query failed: ${body.error ?? response.status}: ${expr}`);
    if (body.data?.resultType !== 'vector') throw new Error(`expected a vector from: ${expr}`);
    return body.data.result;
  }

  async stop(): Promise<void> {
    await stopChild(this.child);
    await rm(this.dir, { recursive: true, force: true });
  }
}
