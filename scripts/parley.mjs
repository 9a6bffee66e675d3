#!/usr/bin/env node
// The root commands (`npm run bench`, `npm test`, `npm run stack`) start here.
// This file runs before anything is installed or built, so it is plain
// JavaScript with no dependencies: it installs the npm packages if they are
// missing, builds the workspaces (turbo caches unchanged ones), brings the
// local stack up when no external services are configured, then hands off.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' };

function step(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env, ...options });
  if (result.error) {
    console.error(`parley: could not run ${cmd}: ${result.error.message}`);
    process.exit(1);
  }
  return result.status ?? 1;
}

function must(cmd, args, what) {
  const code = step(cmd, args);
  if (code !== 0) {
    console.error(
      `parley: ${what} failed (exit ${code}); run it by hand to see why: ${cmd} ${args.join(' ')}`,
    );
    process.exit(code);
  }
}

function ensureDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json');
  const lock = join(root, 'package-lock.json');
  if (existsSync(marker) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs) return;
  console.log('parley: installing npm packages (npm ci)');
  must('npm', ['ci', '--no-audit', '--no-fund'], 'npm ci');
}

function build() {
  must(
    bin('turbo'),
    ['run', 'build', '--output-logs=errors-only', '--log-prefix=none'],
    'the build',
  );
}

function parseEnvFile(path) {
  const out = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line.trim());
    if (match) out[match[1]] = match[2];
  }
  return out;
}

/** External services win: with all three set, the local stack is not touched. */
function ensureStack(withPrometheus) {
  const external = (env.REDIS_NODES || env.REDIS_URL) && env.KAFKA_BROKERS && env.DATABASE_URL;
  if (external) {
    console.log('parley: using the services configured in the environment');
    return;
  }
  const args = [join(root, 'packages/stack/dist/cli.js'), 'up'];
  if (withPrometheus) args.push('--prometheus');
  must(process.execPath, args, 'bringing up the local stack');
  Object.assign(env, parseEnvFile(join(root, '.stack/env')), { PARLEY_LOCAL_STACK: '1' });
}

/**
 * Runs vitest, then prints one plain closing line ("N passed, N failed") that
 * CI reads, since it does not parse vitest's own summary.
 */
function test(args) {
  must(
    bin('prettier'),
    ['--check', '.', '--log-level', 'warn'],
    'the formatting check (npm run format fixes it)',
  );
  const report = join(root, '.stack', 'vitest-report.json');
  const code = step(bin('vitest'), [
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
    ...args,
  ]);

  if (existsSync(report)) {
    const r = JSON.parse(readFileSync(report, 'utf8'));
    const skipped = r.numPendingTests + r.numTodoTests;
    console.log(
      `\nvitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed, ${skipped} skipped`,
    );
    if (r.numTotalTests === 0) {
      console.error('parley: no test ran');
      process.exit(1);
    }
  }
  process.exit(code);
}

const [command, ...rest] = process.argv.slice(2);
switch (command) {
  case 'stack':
    ensureDependencies();
    build();
    process.exit(step(process.execPath, [join(root, 'packages/stack/dist/cli.js'), ...rest]));
    break;
  case 'test':
    ensureDependencies();
    build();
    ensureStack(true);
    test(rest);
    break;
  case 'bench':
    ensureDependencies();
    build();
    ensureStack(rest.includes('--prometheus'));
    process.exit(step(process.execPath, [join(root, 'bench/dist/cli.js'), ...rest]));
    break;
  case 'bench-writer':
    ensureDependencies();
    build();
    ensureStack(false);
    process.exit(
      step(process.execPath, [join(root, 'consumer/dist/bench/writer-bench.js'), ...rest]),
    );
    break;
  default:
    console.error('usage: node scripts/parley.mjs <test|bench|bench-writer|stack> [args]');
    process.exit(2);
}
