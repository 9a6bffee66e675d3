import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * Reads a `.stack/env` file: shell `KEY=value` lines, `#` comments allowed.
 * Values may be single- or double-quoted; nothing is expanded.
 */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;

    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (match === null) throw new Error(`env file line ${index + 1}: expected KEY=value`);

    const [, key, rawValue] = match as unknown as [string, string, string];
    out[key] = rawValue.replace(
      /^'(.*)'$|^"(.*)"$/,
      (_m, single?: string, double?: string) => single ?? double ?? '',
    );
  }
  return out;
}

/** The settings of the running local stack, or undefined when none was brought up. */
export function readStackEnv(root = process.cwd()): Record<string, string> | undefined {
  const path = resolve(root, '.stack/env');
  if (!existsSync(path)) return undefined;
  return parseEnvFile(readFileSync(path, 'utf8'));
}

/**
 * The environment a test or tool should use: the process's own settings, with
 * any missing ones filled from the running local stack's .stack/env.
 */
export function serviceEnv(root = process.cwd()): Record<string, string | undefined> {
  const stack = readStackEnv(findRoot(root)) ?? {};
  return { ...stack, ...process.env };
}

function findRoot(start: string): string {
  let dir = resolve(start);
  while (!existsSync(resolve(dir, '.stack/env')) && resolve(dir, '..') !== dir)
    dir = resolve(dir, '..');
  return dir;
}
