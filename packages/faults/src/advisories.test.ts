import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '@parley/stack';

/**
 * Every installed copy of the Socket.IO stack and its WebSocket/cookie
 * dependencies is past the published advisories (issue 7). `npm audit` would
 * say the same, but its endpoint is not reachable from CI here, so the floor
 * of each advisory is checked against the tree npm actually installed.
 */
const FLOORS: { name: string; patched: string; advisory: string }[] = [
  { name: 'socket.io-parser', patched: '4.2.3', advisory: 'GHSA-cqmj-92xf-r6r9 (CVE-2023-32695)' },
  { name: 'engine.io', patched: '6.4.2', advisory: 'GHSA-q9mw-68c2-j6m5 (CVE-2023-31125)' },
  { name: 'socket.io', patched: '4.6.2', advisory: 'GHSA-25hc-qcg6-38wj (CVE-2024-38355)' },
  { name: 'ws', patched: '8.17.1', advisory: 'GHSA-3h5v-q93c-6h6q (CVE-2024-37890)' },
  { name: 'cookie', patched: '0.7.0', advisory: 'GHSA-pxg6-pf52-xh8x (CVE-2024-47764)' },
];

/** Every `node_modules/<name>/package.json` below `dir`, nested copies included. */
function installedCopies(dir: string, name: string, found: string[] = []): string[] {
  const modules = join(dir, 'node_modules');
  if (!existsSync(modules)) return found;

  const own = join(modules, name, 'package.json');
  if (existsSync(own)) found.push(own);
  for (const entry of readdirSync(modules)) {
    if (entry.startsWith('.')) continue;
    const scoped = entry.startsWith('@')
      ? readdirSync(join(modules, entry)).map((e) => join(modules, entry, e))
      : [join(modules, entry)];
    for (const pkg of scoped) installedCopies(pkg, name, found);
  }
  return found;
}

function atLeast(version: string, floor: string): boolean {
  const a = version.split(/[.-]/).slice(0, 3).map(Number);
  const b = floor.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

describe('dependencies past the published advisories', () => {
  const root = repoRoot();

  it.each(FLOORS)('every installed $name is at least $patched ($advisory)', ({ name, patched }) => {
    const copies = installedCopies(root, name);
    expect(copies.length).toBeGreaterThan(0);
    const stale = copies
      .map((file) => ({
        file,
        version: (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version,
      }))
      .filter(({ version }) => !atLeast(version, patched));
    expect(stale).toEqual([]);
  });

  it('compares versions numerically, not as strings', () => {
    expect(atLeast('8.17.1', '8.17.1')).toBe(true);
    expect(atLeast('8.13.0', '8.17.1')).toBe(false);
    expect(atLeast('8.100.0', '8.17.1')).toBe(true);
    expect(atLeast('4.2.10', '4.2.3')).toBe(true);
  });
});
