import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DASHBOARDS, type DashboardFile } from './dashboards/index.js';
import { DASHBOARDS_DIR, PROMETHEUS_DIR } from './paths.js';
import { substituteVariables } from './promql.js';

/** One query of one panel of a committed dashboard, ready to send to Prometheus. */
export interface PanelQuery {
  dashboard: string;
  panel: string;
  refId: string;
  /** As written in the dashboard. */
  expr: string;
  /** With Grafana's variables replaced as for "All". */
  query: string;
}

interface PanelJson {
  type: string;
  title: string;
  targets?: { refId: string; expr: string }[];
  panels?: PanelJson[];
}

interface DashboardJson {
  uid: string;
  title: string;
  panels: PanelJson[];
  templating: { list: { name: string; allValue?: string }[] };
}

export async function readDashboard(file: DashboardFile): Promise<DashboardJson> {
  return JSON.parse(await readFile(join(DASHBOARDS_DIR, file), 'utf8')) as DashboardJson;
}

/** Every panel query of the committed dashboards (the JSON Grafana loads, not the source). */
export async function panelQueries(): Promise<PanelQuery[]> {
  const out: PanelQuery[] = [];
  for (const file of Object.keys(DASHBOARDS) as DashboardFile[]) {
    const dashboard = await readDashboard(file);
    const all = Object.fromEntries(
      dashboard.templating.list.map((v) => [v.name, v.allValue ?? '.*']),
    );

    const panels = dashboard.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
    for (const panel of panels) {
      for (const target of panel.targets ?? []) {
        out.push({
          dashboard: dashboard.title,
          panel: panel.title,
          refId: target.refId,
          expr: target.expr,
          query: substituteVariables(target.expr, all),
        });
      }
    }
  }
  return out;
}

/** The names recorded by deploy/prometheus/rules/*.yml recording rules. */
export async function recordedNames(): Promise<string[]> {
  const text = await readFile(join(PROMETHEUS_DIR, 'rules', 'recording.yml'), 'utf8');
  const rules = parse(text) as { groups: { rules: { record?: string }[] }[] };
  return rules.groups.flatMap((g) => g.rules.flatMap((r) => (r.record ? [r.record] : [])));
}
