import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { PROMETHEUS_DIR } from './paths.js';
import { run } from './tools.js';

const promtool = (...args: string[]) => run('promtool', args, 'prometheus');

describe('promtool', () => {
  it('accepts the deployment config and the rule files it loads', () => {
    const result = promtool('check', 'config', join(PROMETHEUS_DIR, 'prometheus.yml'));
    expect(result.output).toMatch(/2 rule files found/);
    expect(result.status, result.output).toBe(0);
  });

  it('accepts every rule file', async () => {
    const files = (await readdir(join(PROMETHEUS_DIR, 'rules'))).filter((f) => f.endsWith('.yml'));
    expect(files.sort()).toEqual(['alerts.yml', 'recording.yml']);

    const result = promtool(
      'check',
      'rules',
      ...files.map((f) => join(PROMETHEUS_DIR, 'rules', f)),
    );
    expect(result.status, result.output).toBe(0);
  });

  it('fires each alert when its condition holds and stays quiet otherwise (promtool test rules)', async () => {
    const dir = join(PROMETHEUS_DIR, 'tests');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.yml'));
    expect(files.length).toBeGreaterThan(0);

    const result = promtool('test', 'rules', ...files.map((f) => join(dir, f)));
    expect(result.status, result.output).toBe(0);
  });

  it('has a unit test in which each alert fires', async () => {
    const alerts = parse(await readFile(join(PROMETHEUS_DIR, 'rules', 'alerts.yml'), 'utf8')) as {
      groups: { rules: { alert: string }[] }[];
    };
    const dir = join(PROMETHEUS_DIR, 'tests');
    const firing = new Set<string>();
    for (const file of (await readdir(dir)).filter((f) => f.endsWith('.yml'))) {
      const suite = parse(await readFile(join(dir, file), 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts: unknown[] }[] }[];
      };
      for (const t of suite.tests.flatMap((c) => c.alert_rule_test ?? [])) {
        if (t.exp_alerts.length > 0) firing.add(t.alertname);
      }
    }

    const names = alerts.groups.flatMap((g) => g.rules.map((r) => r.alert));
    expect(names.filter((n) => !firing.has(n))).toEqual([]);
  });

  it('rejects a broken rule file, so the checks above can fail', () => {
    const result = promtool('check', 'rules', join(PROMETHEUS_DIR, 'prometheus.yml'));
    expect(result.status).not.toBe(0);
  });
});
