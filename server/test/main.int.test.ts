import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));

function run(env: Record<string, string>, args: string[] = []) {
  // Only what is given: no .stack/env fallback from a parent directory (cwd is /).
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    cwd: '/',
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe('node server/dist/main.js', () => {
  it('exits non-zero with one message naming every bad variable', () => {
    const { code, stderr } = run({ PORT: 'x', AUTH_MODE: 'jwt', KAFKA_BROKERS: 'nohost' });
    expect(code).toBe(2);
    for (const name of ['PORT', 'JWT_SECRET', 'KAFKA_BROKERS', 'DATABASE_URL', 'REDIS_NODES'])
      expect(stderr).toContain(name);
  });

  it('--print-config prints the effective config with secrets redacted', () => {
    const { code, stdout } = run(
      {
        KAFKA_BROKERS: '127.0.0.1:1',
        REDIS_URL: 'redis://127.0.0.1:1',
        DATABASE_URL: 'postgres://u:hunter2@127.0.0.1:1/db',
        AUTH_MODE: 'jwt',
        JWT_SECRET: 's'.repeat(40),
      },
      ['--print-config'],
    );
    expect(code).toBe(0);
    const printed = JSON.parse(stdout) as Record<string, unknown>;
    expect(printed).toMatchObject({ AUTH_MODE: 'jwt', JWT_SECRET: '[redacted]', PORT: 4000 });
    expect(stdout).not.toContain('hunter2');
  });

  it('refuses to start on the JavaScript fallback of uWebSockets.js unless allowed', () => {
    const { code, stdout, stderr } = run({
      KAFKA_BROKERS: '127.0.0.1:1',
      REDIS_URL: 'redis://127.0.0.1:1',
      DATABASE_URL: 'postgres://u:p@127.0.0.1:1/db',
      UWS_USE_FALLBACK: 'true', // makes the fork load its fallback, as a failed binary would
    });
    expect(code).toBe(1);
    expect(stdout + stderr).toContain('UWS_ALLOW_FALLBACK');
  });
});
