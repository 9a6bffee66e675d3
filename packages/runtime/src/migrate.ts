import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type pg from 'pg';

export interface AppliedMigration {
  name: string;
  applied: boolean;
}

const MIGRATION_NAME = /^\d{4}_[a-z0-9_]+\.sql$/;

/**
 * Applies the plain SQL files of `dir` in name order, each in its own
 * transaction, recording name and checksum in `schema_migrations`. A file that
 * changed after it was applied is an error: migrations are append-only.
 * A session advisory lock serialises concurrent runners (several nodes starting).
 */
export async function migrate(client: pg.ClientBase, dir: string): Promise<AppliedMigration[]> {
  const files = (await readdir(dir)).filter((f) => MIGRATION_NAME.test(f)).sort();
  const results: AppliedMigration[] = [];

  await client.query('SELECT pg_advisory_lock(727274)');
  try {
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY, checksum text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
    const { rows } = await client.query<{ name: string; checksum: string }>(
      'SELECT name, checksum FROM schema_migrations',
    );
    const done = new Map(rows.map((r) => [r.name, r.checksum]));

    for (const name of files) {
      const sql = await readFile(join(dir, name), 'utf8');
      const checksum = createHash('sha256').update(sql).digest('hex');
      const previous = done.get(name);
      if (previous !== undefined) {
        if (previous !== checksum)
          throw new Error(`migration ${name} was changed after it was applied`);
        results.push({ name, applied: false });
        continue;
      }

      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [
          name,
          checksum,
        ]);
        await client.query('COMMIT');
      } catch (error) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${name} failed`, { cause: error });
      }
      results.push({ name, applied: true });
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock(727274)');
  }
  return results;
}
