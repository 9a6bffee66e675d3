export {
  DASHBOARDS,
  DATASOURCE,
  K6_SERIES,
  dashboardJson,
  renderDashboard,
  type DashboardFile,
  type DashboardSpec,
  type PanelSpec,
  type RowSpec,
  type Target,
} from './dashboards/index.js';
export {
  composeSchemaErrors,
  readCompose,
  type ComposeFile,
  type ComposeService,
} from './compose.js';
export { panelQueries, recordedNames, type PanelQuery } from './panels.js';
export { metricNames, substituteVariables } from './promql.js';
