import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Ports of the local stack: loopback only, away from every service's default. */
export const PORTS = {
  redis: [7101, 7102, 7103],
  kafka: 19092,
  kafkaController: 19093,
  postgres: 15432,
  prometheus: 19090,
} as const;

export const DEFAULT_PARTITIONS = 12;

/** The repository root: the nearest folder up whose package.json declares workspaces. */
export function repoRoot(start = dirname(fileURLToPath(import.meta.url))): string {
  let dir = resolve(start);
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && 'workspaces' in (JSON.parse(readFileSync(pkg, 'utf8')) as object))
      return dir;

    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no workspace root above ${start}`);
    dir = parent;
  }
}

export interface Layout {
  root: string;
  stack: string;
  envFile: string;
  stateFile: string;
  migrations: string;
  kafkaPom: string;
  kafkaLog4j: string;
}

export function layout(root = repoRoot()): Layout {
  const stack = join(root, '.stack');
  return {
    root,
    stack,
    envFile: join(stack, 'env'),
    stateFile: join(stack, 'state.json'),
    migrations: join(root, 'db/migrations'),
    kafkaPom: join(root, 'packages/stack/kafka/pom.xml'),
    kafkaLog4j: join(root, 'packages/stack/kafka/log4j2.properties'),
  };
}
