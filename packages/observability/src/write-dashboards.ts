#!/usr/bin/env node
// Regenerates dashboards/*.json from src/dashboards (npm run dashboards -w @parley/observability).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DASHBOARDS, renderDashboard, type DashboardFile } from './dashboards/index.js';
import { DASHBOARDS_DIR, REPO_ROOT } from './paths.js';

for (const file of Object.keys(DASHBOARDS) as DashboardFile[]) {
  await writeFile(join(DASHBOARDS_DIR, file), await renderDashboard(file, REPO_ROOT));
  console.log(`wrote dashboards/${file}`);
}
