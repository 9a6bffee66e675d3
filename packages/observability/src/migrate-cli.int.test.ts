import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serviceEnv } from '@parley/runtime';
import { REPO_ROOT } from './paths.js';

/**
 * The compose file's `migrate` one-shot runs `node packages/runtime/dist/migrate-cli.js`;
 * the chat nodes wait for it to exit 0. Here it runs against an empty database of
 * its own on the local stack's PostgreSQL.
 */
const database = `obs_migrate_${randomUUID().slice(0, 8)}`;
let admin: pg.Client;
let url: string;

function migrateCli(env: Record<string, string>) {
  return spawnSync(process.execPath, [join(REPO_ROOT, 'packages/runtime/dist/migrate-cli.js')], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    timeout: 60_000,
  });
}

beforeAll(async () => {
  const stackUrl = serviceEnv(REPO_ROOT).DATABASE_URL;
  if (!stackUrl)
    throw new Error('DATABASE_URL is not set and .stack/env has none: npm run stack -- up');
  admin = new pg.Client({ connectionString: stackUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);

  const target = new URL(stackUrl);
  target.pathname = `/${database}`;
  url = target.toString();
});

afterAll(async () => {
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
});

describe('migrate-cli (the compose migrate one-shot)', () => {
  it('applies every migration to an empty database, then applies nothing on a second run', async () => {
    const files = (await readdir(join(REPO_ROOT, 'db', 'migrations'))).filter((f) =>
      f.endsWith('.sql'),
    );

    const first = migrateCli({ DATABASE_URL: url });
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout.trim().split('\n')).toEqual(files.sort().map((f) => `applied ${f}`));

    const again = migrateCli({ DATABASE_URL: url });
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).not.toMatch(/^applied/m);

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    try {
      const { rows } = await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1`,
      );
      expect(rows.map((r) => r.table_name)).toEqual(
        expect.arrayContaining(['dead_letters', 'messages', 'schema_migrations']),
      );
    } finally {
      await db.end();
    }
  });

  it('exits non-zero naming DATABASE_URL when it is missing or malformed', () => {
    const result = migrateCli({ DATABASE_URL: 'mysql://nope' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/DATABASE_URL/);
  });
});
