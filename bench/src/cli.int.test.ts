import { execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceEnv } from '@parley/runtime';
import { describe, expect, it } from 'vitest';
import { waitFor } from './testing/wait.js';

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

function childrenOf(pid: number): number[] {
  try {
    const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' });
    return out
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((n) => n > 0);
  } catch {
    return []; // ps exits 1 when there are none
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The bench must never leave servers behind on a shared machine (ports 4340-4349). */
describe('bench CLI', () => {
  it('stops every process it started when interrupted with SIGINT', async () => {
    const cli = spawn(
      process.execPath,
      [
        resolve(root, 'bench/dist/cli.js'),
        '--target',
        'raw',
        '--clients',
        '20',
        '--rooms',
        '2',
        '--duration',
        '60',
        '--base-port',
        '4340',
        '--out',
        '/dev/null',
        '--html',
        '/dev/null',
      ],
      { env: { ...serviceEnv(root) }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    cli.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((done) => cli.once('exit', (code) => done(code)));

    await waitFor(() => output.includes('node(s) ready'), 'the raw nodes to be ready', 30_000);
    const started = childrenOf(cli.pid as number);
    expect(started).toHaveLength(2);

    cli.kill('SIGINT');
    expect(await exited).toBe(130);
    await waitFor(() => started.every((pid) => !alive(pid)), 'the nodes to be gone', 10_000);
  });

  it('exits 2 naming the bad option, before starting anything', async () => {
    const cli = spawn(process.execPath, [resolve(root, 'bench/dist/cli.js'), '--clients', 'lots'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let errors = '';
    cli.stderr.on('data', (chunk: Buffer) => (errors += chunk.toString()));
    const code = await new Promise<number | null>((done) => cli.once('exit', (c) => done(c)));

    expect(code).toBe(2);
    expect(errors).toMatch(/--clients: expected a positive integer \(got "lots"\)/);
  });
});
