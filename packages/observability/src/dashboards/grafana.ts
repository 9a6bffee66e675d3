/**
 * A small builder for Grafana dashboard JSON (schemaVersion 39, Grafana 10/11).
 * The dashboards under dashboards/ are generated from the modules beside this
 * one (`npm run dashboards -w @parley/observability`), so that layout, units and
 * the datasource are decided once here and a test can hold every panel to them.
 */

import type { Dashboard, Panel, RowPanel, VariableModel } from '@grafana/schema';

/** The provisioned Prometheus datasource (deploy/grafana/provisioning/datasources). */
export const DATASOURCE = { type: 'prometheus', uid: 'parley-prometheus' } as const;

export interface Target {
  expr: string;
  legend: string;
  /** `heatmap` for bucket series drawn as a heatmap; time series otherwise. */
  format?: 'heatmap' | 'time_series';
}

export interface PanelSpec {
  title: string;
  /** What the panel shows and what healthy looks like, shown on hover. */
  description: string;
  type: 'timeseries' | 'stat' | 'heatmap';
  /** A Grafana unit id: `s`, `bytes`, `percentunit`, `short`, `suffix:msg/s`... */
  unit: string;
  targets: Target[];
  /** Width in grid columns out of 24; default 8. */
  width?: number;
}

export interface RowSpec {
  /** The question the row answers. */
  title: string;
  panels: PanelSpec[];
}

export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: Variable[];
  rows: RowSpec[];
}

export interface Variable {
  name: string;
  label: string;
  /** `label_values(metric, label)` */
  query: string;
}

const PANEL_HEIGHT = 8;

function panelJson(spec: PanelSpec, id: number, x: number, y: number, width: number): Panel {
  const targets = spec.targets.map((t, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: DATASOURCE,
    expr: t.expr,
    legendFormat: t.legend,
    range: true,
    ...(t.format === 'heatmap' ? { format: 'heatmap' } : {}),
  }));

  const options: Record<string, unknown> =
    spec.type === 'heatmap'
      ? {
          calculate: false,
          yAxis: { unit: spec.unit },
          color: { mode: 'scheme', scheme: 'Oranges' },
          cellGap: 1,
        }
      : spec.type === 'stat'
        ? { reduceOptions: { calcs: ['lastNotNull'] }, colorMode: 'background', graphMode: 'none' }
        : { legend: { displayMode: 'table', placement: 'bottom', calcs: ['lastNotNull', 'max'] } };

  return {
    id,
    type: spec.type,
    title: spec.title,
    description: spec.description,
    datasource: DATASOURCE,
    gridPos: { x, y, w: width, h: PANEL_HEIGHT },
    fieldConfig: { defaults: { unit: spec.unit }, overrides: [] },
    options,
    targets,
  };
}

/**
 * Lays rows out top to bottom, panels left to right, wrapping at 24 columns.
 * Typed with Grafana's own schema types (@grafana/schema, the Grafana version
 * docker-compose.yml runs), so a misspelt or misplaced field fails the build.
 */
export function dashboardJson(spec: DashboardSpec): Dashboard {
  const panels: (Panel | RowPanel)[] = [];
  let id = 1;
  let y = 0;

  for (const row of spec.rows) {
    const rowPanel: RowPanel = {
      id: id++,
      type: 'row',
      title: row.title,
      collapsed: false,
      gridPos: { x: 0, y, w: 24, h: 1 },
      panels: [],
    };
    panels.push(rowPanel);
    y += 1;

    let x = 0;
    for (const panel of row.panels) {
      const width = panel.width ?? 8;
      if (x + width > 24) {
        x = 0;
        y += PANEL_HEIGHT;
      }
      panels.push(panelJson(panel, id++, x, y, width));
      x += width;
    }
    y += PANEL_HEIGHT;
  }

  return {
    uid: spec.uid,
    title: spec.title,
    description: spec.description,
    tags: spec.tags,
    editable: false,
    graphTooltip: 1,
    refresh: '5s',
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-15m', to: 'now' },
    timezone: 'browser',
    templating: {
      list: spec.variables.map((v): VariableModel => ({
        name: v.name,
        label: v.label,
        type: 'query',
        datasource: DATASOURCE,
        query: { query: v.query, refId: `${v.name}-values` },
        refresh: 2,
        includeAll: true,
        multi: true,
        allValue: '.*',
        current: { selected: true, text: ['All'], value: ['$__all'] },
        sort: 1,
      })),
    },
    annotations: { list: [] },
    panels,
  };
}
