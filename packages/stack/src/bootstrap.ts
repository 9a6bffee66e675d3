import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { StackError, which } from './proc.js';

/**
 * System software of the local stack, from Debian's packages. As root the
 * missing ones are installed; otherwise one message names the exact command.
 * Nothing is fetched from anywhere but the package registries.
 */
export interface Requirement {
  /** What must be on the machine, for the message. */
  what: string;
  present: () => boolean;
  /** The Debian package that brings it. */
  aptPackage: string;
}

export function postgresBinDir(): string | undefined {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return undefined;

  const versions = readdirSync(base)
    .filter((v) => /^\d+$/.test(v) && existsSync(join(base, v, 'bin/pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] === undefined ? undefined : join(base, versions[0], 'bin');
}

export function requirements(withPrometheus: boolean): Requirement[] {
  const list: Requirement[] = [
    { what: 'redis-server 7', present: () => which('redis-server'), aptPackage: 'redis-server' },
    { what: 'redis-cli', present: () => which('redis-cli'), aptPackage: 'redis-tools' },
    {
      what: 'PostgreSQL server',
      present: () => postgresBinDir() !== undefined,
      aptPackage: 'postgresql',
    },
    { what: 'java (JDK 17+)', present: () => which('java'), aptPackage: 'openjdk-17-jre-headless' },
    { what: 'mvn', present: () => which('mvn'), aptPackage: 'maven' },
  ];
  if (withPrometheus) {
    list.push({ what: 'prometheus', present: () => which('prometheus'), aptPackage: 'prometheus' });
  }
  return list;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/** Installs what is missing (as root) or throws one message naming the command to run. */
export function ensureSystemPackages(withPrometheus: boolean, log: (line: string) => void): void {
  const missing = requirements(withPrometheus).filter((r) => !r.present());
  if (missing.length === 0) return;

  const packages = [...new Set(missing.map((r) => r.aptPackage))];
  const command = `apt-get update && apt-get install -y --no-install-recommends ${packages.join(' ')}`;
  if (!isRoot() || !which('apt-get')) {
    throw new StackError(
      `missing ${missing.map((r) => r.what).join(', ')}. Install them with:\n  sudo sh -c '${command}'`,
    );
  }

  log(`installing ${packages.join(', ')} from Debian's packages`);
  // Services the packages may start themselves listen on the default ports; the
  // stack's own instances use other ports, so the two never collide.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [
    ['update', '-qq'],
    ['install', '-y', '-qq', '--no-install-recommends', ...packages],
  ]) {
    const result = spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env });
    if (result.status !== 0)
      throw new StackError(`apt-get ${args.join(' ')} failed; run by hand:\n  ${command}`);
  }

  const still = missing.filter((r) => !r.present());
  if (still.length > 0)
    throw new StackError(`still missing after apt-get: ${still.map((r) => r.what).join(', ')}`);
}
