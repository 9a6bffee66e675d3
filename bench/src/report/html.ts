import type { TargetResult } from '../run/target.js';
import { formatRatios, formatTable } from './table.js';

/**
 * The self-contained HTML report: inline SVG charts drawn here, no scripts, no CDN, so the file
 * opens from disk anywhere (CI artifacts, air-gapped machines).
 */
export function renderHtml(results: TargetResult[], generatedAt = new Date()): string {
  const colors = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
  const series = (pick: (t: TargetResult['timeline'][number]) => number, suffix = ''): Series[] =>
    results.map((r, i) => ({
      name: `${r.target}${suffix}`,
      color: colors[i % colors.length] ?? '#000',
      points: r.timeline.map((t) => [t.second, pick(t)] as [number, number]),
    }));
  const dashed = (list: Series[]): Series[] => list.map((s) => ({ ...s, dashed: true }));

  const latencyChart = lineChart('Delivery latency over time (ms, per second)', [
    ...series((t) => t.p99Ms, ' p99'),
    ...dashed(series((t) => t.p50Ms, ' p50')),
  ]);
  const throughputChart = lineChart('Throughput over time (per second)', [
    ...series((t) => t.deliveredPerSec, ' delivered'),
    ...dashed(series((t) => t.sentPerSec, ' sent')),
  ]);
  const histogram = histogramChart(
    'Delivery latency histogram (log buckets, share of deliveries)',
    results.map((r, i) => ({
      name: r.target,
      color: colors[i % colors.length] ?? '#000',
      buckets: r.latencyBuckets,
    })),
  );

  const warnings = results.flatMap((r) =>
    r.warnings.map((w) => `<li>${escape(`[${r.target}] ${w}`)}</li>`),
  );
  const ratios = formatRatios(results);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Parley bench report</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px}
pre{background:#f6f6f6;padding:12px;white-space:pre-wrap;font-size:12.5px}
.warn{color:#a40000} svg{background:#fff;border:1px solid #ddd} .muted{color:#666}
</style></head><body>
<h1>Parley bench report</h1>
<p class="muted">${escape(generatedAt.toISOString())} &middot; ${results.map((r) => escape(`${r.target}: ${r.label}`)).join(' &middot; ')}</p>
${warnings.length > 0 ? `<h2 class="warn">Warnings</h2><ul class="warn">${warnings.join('')}</ul>` : ''}
<h2>Summary</h2>
<pre>${escape(formatTable(results))}${ratios === '' ? '' : `\n\n${escape(ratios)}`}</pre>
<h2>Latency over time</h2>${latencyChart}
<h2>Latency histogram</h2>${histogram}
<h2>Throughput over time</h2>${throughputChart}
<h2>How to read this</h2>
<p>Delivery latency is measured from the sender's emit to another client's receipt, on one clock (all
clients live in the generator), counting only deliveries that crossed nodes when there are several.
Lost = expected deliveries of acknowledged messages that never arrived. Persisted counts this run's rows
in PostgreSQL. See docs/bench.md.</p>
</body></html>
`;
}

interface Series {
  name: string;
  color: string;
  points: [number, number][];
  dashed?: boolean;
}

const WIDTH = 1000;
const HEIGHT = 300;
const PAD = { left: 60, right: 170, top: 24, bottom: 36 };

function lineChart(title: string, list: Series[]): string {
  const all = list.flatMap((s) => s.points);
  const maxX = Math.max(1, ...all.map(([x]) => x));
  const maxY = niceMax(Math.max(0, ...all.map(([, y]) => y)));
  const x = (v: number): number => PAD.left + (v / maxX) * (WIDTH - PAD.left - PAD.right);
  const y = (v: number): number =>
    HEIGHT - PAD.bottom - (v / maxY) * (HEIGHT - PAD.top - PAD.bottom);

  const lines = list.map((s) => {
    const d = s.points
      .map(([px, py], i) => `${i === 0 ? 'M' : 'L'}${x(px).toFixed(1)},${y(py).toFixed(1)}`)
      .join('');
    const dash = s.dashed === true ? ' stroke-dasharray="5 4"' : '';
    return `<path d="${d}" fill="none" stroke="${s.color}" stroke-width="1.8"${dash}/>`;
  });
  const legend = list.map((s, i) => {
    const ly = PAD.top + i * 18;
    const dash = s.dashed === true ? ' stroke-dasharray="5 4"' : '';
    return `<line x1="${WIDTH - 160}" y1="${ly}" x2="${WIDTH - 135}" y2="${ly}" stroke="${s.color}" stroke-width="2"${dash}/><text x="${WIDTH - 128}" y="${ly + 4}">${escape(s.name)}</text>`;
  });
  return svg(title, [...axes(maxX, maxY, x, y, 's'), ...lines, ...legend]);
}

function histogramChart(
  title: string,
  list: { name: string; color: string; buckets: { upToMs: number; count: number }[] }[],
): string {
  const edges = [...new Set(list.flatMap((s) => s.buckets.map((b) => b.upToMs)))].sort(
    (a, b) => a - b,
  );
  const shares = list.map((s) => {
    const total = s.buckets.reduce((sum, b) => sum + b.count, 0) || 1;
    return new Map(s.buckets.map((b) => [b.upToMs, b.count / total]));
  });
  const maxShare = niceMax(Math.max(0.01, ...shares.flatMap((m) => [...m.values()])));
  const slot = (WIDTH - PAD.left - PAD.right) / Math.max(1, edges.length);
  const barWidth = Math.max(1, (slot - 2) / Math.max(1, list.length));
  const y = (v: number): number =>
    HEIGHT - PAD.bottom - (v / maxShare) * (HEIGHT - PAD.top - PAD.bottom);

  const bars = edges.flatMap((edge, i) =>
    list.map((s, j) => {
      const share = shares[j]?.get(edge) ?? 0;
      const bx = PAD.left + i * slot + j * barWidth;
      return `<rect x="${bx.toFixed(1)}" y="${y(share).toFixed(1)}" width="${barWidth.toFixed(1)}" height="${(HEIGHT - PAD.bottom - y(share)).toFixed(1)}" fill="${s.color}" opacity="0.8"/>`;
    }),
  );
  const labelEvery = Math.max(1, Math.ceil(edges.length / 12));
  const labels = edges
    .map((edge, i) =>
      i % labelEvery === 0
        ? `<text x="${(PAD.left + i * slot).toFixed(1)}" y="${HEIGHT - PAD.bottom + 16}" font-size="11">${formatMs(edge)}</text>`
        : '',
    )
    .join('');
  const yTicks = [0, 0.25, 0.5, 0.75, 1].map(
    (f) =>
      `<text x="${PAD.left - 8}" y="${y(f * maxShare) + 4}" text-anchor="end" font-size="11">${formatPercent(f * maxShare)}</text>`,
  );
  const legend = list.map(
    (s, i) =>
      `<rect x="${WIDTH - 160}" y="${PAD.top + i * 18 - 6}" width="20" height="10" fill="${s.color}"/><text x="${WIDTH - 132}" y="${PAD.top + i * 18 + 4}">${escape(s.name)}</text>`,
  );
  const axis = `<line x1="${PAD.left}" y1="${HEIGHT - PAD.bottom}" x2="${WIDTH - PAD.right}" y2="${HEIGHT - PAD.bottom}" stroke="#999"/>`;
  const xTitle = `<text x="${(WIDTH - PAD.right) / 2}" y="${HEIGHT - 4}" font-size="11">latency up to (ms)</text>`;
  return svg(title, [axis, ...bars, labels, ...yTicks, ...legend, xTitle]);
}

function axes(
  maxX: number,
  maxY: number,
  x: (v: number) => number,
  y: (v: number) => number,
  xUnit: string,
): string[] {
  const out = [
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${x(maxX)}" y2="${y(0)}" stroke="#999"/>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${PAD.left}" y2="${y(maxY)}" stroke="#999"/>`,
  ];
  for (let i = 0; i <= 4; i += 1) {
    const v = (maxY * i) / 4;
    out.push(`<line x1="${PAD.left}" y1="${y(v)}" x2="${x(maxX)}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(
      `<text x="${PAD.left - 8}" y="${y(v) + 4}" text-anchor="end" font-size="11">${formatNumber(v)}</text>`,
    );
    const xv = Math.round((maxX * i) / 4);
    out.push(
      `<text x="${x(xv)}" y="${y(0) + 16}" text-anchor="middle" font-size="11">${xv} ${xUnit}</text>`,
    );
  }
  return out;
}

function svg(title: string, parts: string[]): string {
  return `<figure><figcaption>${escape(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="system-ui,sans-serif" font-size="12">${parts.join('')}</svg></figure>`;
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value) ?? 10;
  return step * magnitude;
}

function formatNumber(value: number): string {
  if (value >= 1000) return `${Math.round(value / 100) / 10}k`;
  return String(Math.round(value * 100) / 100);
}

function formatPercent(share: number): string {
  return share >= 0.2 ? `${Math.round(share * 100)}%` : `${(share * 100).toFixed(1)}%`;
}

function formatMs(value: number): string {
  return value < 1 ? value.toFixed(2) : value < 10 ? value.toFixed(1) : String(Math.round(value));
}

function escape(text: string): string {
  return text.replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c,
  );
}
