import { chownSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import pg from 'pg';
import { migrate, type AppliedMigration } from '@parley/runtime';
import type { Layout } from './layout.js';
import { PORTS } from './layout.js';
import { isRoot, postgresBinDir } from './bootstrap.js';
import { run, StackError, waitFor } from './proc.js';
import type { ServiceProcess } from './state.js';
import type { TestCertificates } from './tls.js';
import { processStartTicks } from './state.js';

export const PG_USER = 'parley';
export const PG_PASSWORD = 'parley';
export const PG_DATABASE = 'parley';

export function databaseUrl(database = PG_DATABASE, port: number = PORTS.postgres): string {
  return `postgres://${PG_USER}:${PG_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/**
 * PostgreSQL refuses to run as root, so as root every server command runs as
 * the `postgres` system user that Debian's package creates, and the data folder
 * belongs to it.
 */
function asServerUser(cmd: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
}

function serverUserIds(): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (line === undefined)
    throw new StackError(
      'running as root but there is no postgres system user; install the postgresql package',
    );
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** The postgres user must be able to enter every folder above .stack/pg. */
function checkTraversable(dir: string): void {
  if (!isRoot()) return;
  for (let d = dirname(dir); d !== dirname(d); d = dirname(d)) {
    if ((statSync(d).mode & 0o001) === 0) {
      throw new StackError(`the postgres user cannot enter ${d}; run: chmod o+x ${d}`);
    }
  }
}

const serverSettings = (port: number): string =>
  [
    `port = ${port}`,
    "listen_addresses = '127.0.0.1'",
    // TCP only: a socket path under a deep checkout could exceed the 107-byte limit.
    "unix_socket_directories = ''",
    'max_connections = 200',
    'shared_buffers = 256MB',
    'max_wal_size = 2GB',
    'checkpoint_timeout = 15min',
    'log_min_messages = warning',
    '',
  ].join('\n');

/**
 * Starts a server on `dataDir` (initialised on first use) listening on `port`.
 * The stack's server and the tests' scratch servers share this.
 */
export function launchPostgres(
  dataDir: string,
  port: number,
  log: (line: string) => void,
  tls?: TestCertificates,
): ServiceProcess {
  const bin = postgresBinDir();
  if (bin === undefined)
    throw new StackError('PostgreSQL server binaries not found under /usr/lib/postgresql');
  const ids = serverUserIds();
  const own = (path: string): void => {
    if (ids !== undefined) chownSync(path, ids.uid, ids.gid);
  };

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    log(`initialising PostgreSQL in ${dataDir} (first run only)`);
    checkTraversable(dataDir);
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    own(dataDir);
    const pwfile = `${dataDir}.pw`;
    writeFileSync(pwfile, `${PG_PASSWORD}\n`, { mode: 0o600 });
    own(pwfile);
    const [cmd, args] = asServerUser(join(bin, 'initdb'), [
      '-D',
      dataDir,
      '-U',
      PG_USER,
      `--pwfile=${pwfile}`,
      '--auth-host=scram-sha-256',
      '--auth-local=trust',
      '-E',
      'UTF8',
      '--locale=C.UTF-8',
    ]);
    run(cmd, args);
  }
  const conf = join(dataDir, 'postgresql.auto.conf');
  writeFileSync(
    conf,
    serverSettings(port) + (tls === undefined ? '' : requireTls(dataDir, tls, own)),
  );
  own(conf);

  const logFile = `${dataDir}.log`;
  if (!existsSync(logFile)) {
    writeFileSync(logFile, '');
    own(logFile);
  }
  const [cmd, args] = asServerUser(join(bin, 'pg_ctl'), [
    '-D',
    dataDir,
    '-l',
    logFile,
    '-w',
    '-t',
    '60',
    'start',
  ]);
  run(cmd, args);

  const pid = Number(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  return { pid, startTicks: processStartTicks(pid) ?? '', port, command: 'postgres' };
}

export function startPostgres(paths: Layout, log: (line: string) => void): ServiceProcess {
  return launchPostgres(join(paths.stack, 'pg'), PORTS.postgres, log);
}

/**
 * Turns on TLS and refuses every connection without it, as managed PostgreSQL
 * does; clients then use `sslmode=verify-full` with the test CA.
 */
function requireTls(dataDir: string, tls: TestCertificates, own: (path: string) => void): string {
  const cert = join(dataDir, 'server.crt');
  const key = join(dataDir, 'server.key');
  writeFileSync(cert, readFileSync(tls.certFile));
  writeFileSync(key, readFileSync(tls.keyFile), { mode: 0o600 });
  const hba = join(dataDir, 'pg_hba.conf');
  writeFileSync(
    hba,
    [
      'local all all trust',
      'hostssl all all 127.0.0.1/32 scram-sha-256',
      'hostnossl all all 0.0.0.0/0 reject',
      '',
    ].join('\n'),
  );
  for (const path of [cert, key, hba]) own(path);
  return "ssl = on\nssl_cert_file = 'server.crt'\nssl_key_file = 'server.key'\n";
}

/** Creates the database if needed and applies the migrations. */
export async function preparePostgres(
  migrations: string,
  port: number = PORTS.postgres,
  urlQuery = '',
): Promise<AppliedMigration[]> {
  await waitFor(
    'PostgreSQL',
    async () => {
      const client = new pg.Client({ connectionString: databaseUrl('postgres', port) + urlQuery });
      await client.connect();
      await client.end();
      return true;
    },
    30000,
    250,
  );

  const admin = new pg.Client({ connectionString: databaseUrl('postgres', port) + urlQuery });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [
      PG_DATABASE,
    ]);
    if (rowCount === 0) await admin.query(`CREATE DATABASE ${PG_DATABASE}`);
  } finally {
    await admin.end();
  }

  const client = new pg.Client({ connectionString: databaseUrl(PG_DATABASE, port) + urlQuery });
  await client.connect();
  try {
    return await migrate(client, migrations);
  } finally {
    await client.end();
  }
}

export function stopPostgres(dataDir: string): void {
  const bin = postgresBinDir();
  if (bin === undefined || !existsSync(join(dataDir, 'postmaster.pid'))) return;
  const [cmd, args] = asServerUser(join(bin, 'pg_ctl'), [
    '-D',
    dataDir,
    '-m',
    'fast',
    '-w',
    'stop',
  ]);
  run(cmd, args);
}
