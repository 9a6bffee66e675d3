#!/usr/bin/env node
// Applies db/migrations to DATABASE_URL and exits: the one-shot `migrate`
// service of docker-compose.yml, and usable by hand:
//   DATABASE_URL=postgres://... node packages/runtime/dist/migrate-cli.js
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createPgPool, databaseSettings } from './clients.js';
import { ConfigError, parseConfig } from './config.js';
import { migrate } from './migrate.js';

const settings = databaseSettings.extend({
  /** Folder of NNNN_name.sql files. Default: db/migrations of the repository. */
  MIGRATIONS_DIR: z
    .string()
    .min(1)
    .default(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'db', 'migrations')),
});

async function main(): Promise<void> {
  const config = parseConfig(settings);
  const pool = createPgPool({ ...config, DATABASE_POOL_SIZE: 1 }, 'parley-migrate');
  const client = await pool.connect();
  try {
    for (const m of await migrate(client, config.MIGRATIONS_DIR)) {
      console.log(`${m.applied ? 'applied' : 'already applied'} ${m.name}`);
    }
  } finally {
    client.release();
    await pool.end();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});
