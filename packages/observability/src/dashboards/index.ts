import { join } from 'node:path';
import * as prettier from 'prettier';
import { chatNodes } from './chat-nodes.js';
import { dashboardJson } from './grafana.js';
import { loadTest } from './load-test.js';
import { pipeline } from './pipeline.js';

export { DATASOURCE, dashboardJson } from './grafana.js';
export type { DashboardSpec, PanelSpec, RowSpec, Target } from './grafana.js';
export { K6_SERIES } from './load-test.js';

/** Every dashboard, by the file name it is written to under dashboards/. */
export const DASHBOARDS = {
  'chat-nodes.json': chatNodes,
  'pipeline.json': pipeline,
  'load-test.json': loadTest,
} as const;

export type DashboardFile = keyof typeof DASHBOARDS;

/**
 * The file content exactly as committed: the JSON formatted by prettier with the
 * repository's settings, so that `npm test`'s formatting check and the
 * generated-equals-committed check agree.
 */
export async function renderDashboard(file: DashboardFile, repoRoot: string): Promise<string> {
  const json = JSON.stringify(dashboardJson(DASHBOARDS[file]));
  const settings = await prettier.resolveConfig(join(repoRoot, 'dashboards', file));
  return prettier.format(json, { ...settings, parser: 'json' });
}
