import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Layout } from './layout.js';
import { PORTS } from './layout.js';
import { startDetached } from './proc.js';
import type { ServiceProcess } from './state.js';

/**
 * Prometheus from Debian's package, scraping whatever chat nodes and writers
 * run. Processes announce themselves by file service discovery: one JSON file
 * per process group under .stack/prometheus/targets, which Prometheus watches.
 * The remote-write receiver is on, for k6's Prometheus output.
 */
export function targetsDir(paths: Layout): string {
  return join(paths.stack, 'prometheus', 'targets');
}

export function prometheusConfig(paths: Layout): string {
  const targets = targetsDir(paths);
  return `# Written by \`npm run stack -- up --prometheus\`; edits are overwritten.
global:
  scrape_interval: 5s
  evaluation_interval: 5s
scrape_configs:
  - job_name: chat-node
    file_sd_configs:
      - files: ['${targets}/chat-node-*.json']
  - job_name: writer
    file_sd_configs:
      - files: ['${targets}/writer-*.json']
`;
}

export function startPrometheus(paths: Layout): ServiceProcess {
  const dir = join(paths.stack, 'prometheus');
  mkdirSync(targetsDir(paths), { recursive: true });
  const config = join(dir, 'prometheus.yml');
  writeFileSync(config, prometheusConfig(paths));

  const args = [
    `--config.file=${config}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${PORTS.prometheus}`,
    '--web.enable-remote-write-receiver',
    '--web.enable-lifecycle',
    '--storage.tsdb.retention.time=2d',
  ];
  return startDetached('prometheus', args, join(dir, 'prometheus.log'), PORTS.prometheus);
}

/** Announces scrape targets (`host:port` of `/metrics`) for `job` under `name`. */
export function registerScrapeTargets(
  paths: Layout,
  job: 'chat-node' | 'writer',
  name: string,
  targets: string[],
): string {
  mkdirSync(targetsDir(paths), { recursive: true });
  const file = join(targetsDir(paths), `${job}-${name}.json`);
  writeFileSync(file, JSON.stringify([{ targets, labels: { source: name } }]));
  return file;
}

export function unregisterScrapeTargets(file: string): void {
  rmSync(file, { force: true });
}
