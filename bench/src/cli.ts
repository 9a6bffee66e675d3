#!/usr/bin/env node
/**
 * `npm run bench`: drives simulated clients across chat nodes and reports the end-to-end truth
 * (issue 5, docs/bench.md). Without --targets it starts the nodes and a writer itself, one
 * target after another with --compare, and always stops them again, also on error and Ctrl-C.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceEnv } from '@parley/runtime';
import { createProgress } from './report/progress.js';
import { renderHtml } from './report/html.js';
import { formatMarkdown, formatRatios, formatTable } from './report/table.js';
import { killAllNow, stopAll } from './run/children.js';
import { parseOptions, USAGE, UsageError, type BenchOptions } from './run/options.js';
import { TARGETS, runTarget, type TargetResult, type TargetSpec } from './run/target.js';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

async function main(): Promise<number> {
  let options: BenchOptions | 'help';
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (
      error instanceof UsageError ||
      (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') === true
    ) {
      console.error(`bench: ${(error as Error).message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
  if (options === 'help') {
    console.log(USAGE);
    return 0;
  }

  const env = serviceEnv(root);
  const missing = missingSettings(env, options);
  if (missing.length > 0) {
    console.error(
      `bench: missing ${missing.join(', ')}; run it through \`npm run bench\` (which brings up the local ` +
        'stack) or set them in the environment',
    );
    return 2;
  }

  const specs: TargetSpec[] =
    options.targets !== undefined
      ? [
          {
            name: 'external',
            label: `running nodes ${options.targets.join(', ')}`,
            protocol: 'socketio',
            persists: true,
          },
        ]
      : options.compare
        ? [TARGETS.parley, TARGETS.stock, TARGETS.raw]
        : [TARGETS[options.target]];

  const logDir = join(root, '.stack', 'bench-logs');
  const progress = createProgress(process.stdout);
  const results: TargetResult[] = [];
  for (const spec of specs) {
    console.log(
      `bench: ${spec.name}: ${spec.label}; ${options.clients} clients, ${options.rooms} rooms, ` +
        `${options.durationS} s at ${options.rate} msg/s per client`,
    );
    const result = await runTarget(spec, {
      root,
      env,
      options,
      logDir,
      onTick: (target, tick) => progress.tick(target, tick),
      log: (line) => {
        progress.done();
        console.log(`bench: ${line}`);
      },
    });
    progress.done();
    results.push(result);
  }

  console.log(`\n${formatTable(results)}`);
  if (options.compare) console.log(`\n${formatRatios(results)}`);
  writeOutputs(options, results);

  console.log(
    `\nlost = ${results.map((r) => `${r.lost} (${r.target})`).join(', ')}; ` +
      `persisted = ${results.map((r) => `${r.persisted ?? 'n/a'} of ${r.acked} acked (${r.target})`).join(', ')}`,
  );
  // The exit status judges the system under test (the first target); with --compare the stock
  // and raw targets are yardsticks whose losses are reported, not failures of the run.
  const first = results[0];
  const truthful =
    first !== undefined &&
    first.lost === 0 &&
    (first.persisted === null || first.persisted === first.acked);
  return truthful ? 0 : 1;
}

function missingSettings(env: Record<string, string | undefined>, options: BenchOptions): string[] {
  const missing: string[] = [];
  if (options.targets !== undefined) return missing;
  if (env.REDIS_NODES === undefined && env.REDIS_URL === undefined)
    missing.push('REDIS_NODES (or REDIS_URL)');
  if (env.KAFKA_BROKERS === undefined) missing.push('KAFKA_BROKERS');
  if (env.DATABASE_URL === undefined) missing.push('DATABASE_URL');
  return missing;
}

function writeOutputs(options: BenchOptions, results: TargetResult[]): void {
  const out = resolve(root, options.out);
  const html = resolve(root, options.html);
  mkdirSync(dirname(out), { recursive: true });
  mkdirSync(dirname(html), { recursive: true });
  // One object per target; an array only with --compare (INTERFACES.md, "Bench result").
  writeFileSync(out, `${JSON.stringify(options.compare ? results : results[0], null, 2)}\n`);
  writeFileSync(html, renderHtml(results));
  console.log(`\nbench: wrote ${out}\nbench: wrote ${html}`);
  if (options.markdown !== undefined) {
    const markdown = resolve(root, options.markdown);
    const command = ['npm run bench --', ...process.argv.slice(2)].join(' ');
    writeFileSync(markdown, formatMarkdown(results, command));
    console.log(`bench: wrote ${markdown}`);
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\nbench: ${signal}: stopping the processes it started`);
    void stopAll().finally(() => process.exit(130));
  });
}
process.once('exit', killAllNow);

main().then(
  async (code) => {
    await stopAll();
    process.exit(code);
  },
  async (error: unknown) => {
    console.error(`bench: ${(error as Error).stack ?? String(error)}`);
    await stopAll();
    process.exit(1);
  },
);
