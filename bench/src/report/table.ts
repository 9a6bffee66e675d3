import type { TargetResult } from '../run/target.js';

const mib = (bytes: number | null): string =>
  bytes === null ? 'n/a' : `${(bytes / 1048576).toFixed(1)} MiB`;
const kib = (bytes: number | null): string =>
  bytes === null ? 'n/a' : `${(bytes / 1024).toFixed(1)} KiB`;

/** One row per measure: its name and how a target's result shows it. */
export const ROWS: [string, (r: TargetResult) => string][] = [
  ['nodes / clients / rooms', (r) => `${r.nodes} / ${r.clients} / ${r.rooms}`],
  ['duration, rate per client', (r) => `${r.durationS} s, ${r.ratePerClient}/s`],
  ['connect p50 / p99', (r) => `${r.connectMs.p50} / ${r.connectMs.p99} ms`],
  ['sent / acked', (r) => `${r.sent} / ${r.acked}`],
  ['ack errors', (r) => formatErrors(r.ackErrors)],
  ['delivered / expected', (r) => `${r.delivered} / ${r.expected}`],
  ['lost', (r) => String(r.lost)],
  ['duplicates / misrouted', (r) => `${r.duplicates} / ${r.misrouted}`],
  ['deliveries per second', (r) => String(r.deliveriesPerSec)],
  [
    'delivery p50 / p90 / p99',
    (r) => `${r.latencyMs.p50} / ${r.latencyMs.p90} / ${r.latencyMs.p99} ms`,
  ],
  ['delivery p99.9 / max', (r) => `${r.latencyMs.p999} / ${r.latencyMs.max} ms`],
  ['ack p50 / p99 / max', (r) => `${r.ackMs.p50} / ${r.ackMs.p99} / ${r.ackMs.max} ms`],
  [
    'persisted / acked',
    (r) => (r.persisted === null ? 'n/a (not persisted)' : `${r.persisted} / ${r.acked}`),
  ],
  [
    'acked with a row',
    (r) => (r.persistedAcked === null ? 'n/a' : `${r.persistedAcked} of ${r.acked}`),
  ],
  [
    'persist lag p50 / p99',
    (r) => (r.persistLagMs === null ? 'n/a' : `${r.persistLagMs.p50} / ${r.persistLagMs.p99} ms`),
  ],
  ['node RSS peak', (r) => r.rssBytesPerNode.map(mib).join(', ')],
  [
    'node CPU (% of a core)',
    (r) => r.nodeCpuPercent.map((v) => (v === null ? 'n/a' : `${v}%`)).join(', '),
  ],
  ['memory per connection', (r) => kib(r.bytesPerConnection)],
  ['deliveries/s per node core', (r) => String(r.deliveriesPerCoreSec ?? 'n/a')],
  ['generator CPU, loop p99', (r) => `${r.generatorCpuPercent}%, ${r.generatorEventLoopP99Ms} ms`],
];

/** The final report on stdout: one column per target, one row per measure. */
export function formatTable(results: TargetResult[]): string {
  const header = ['', ...results.map((r) => r.target)];
  const body = ROWS.map(([name, cell]) => [name, ...results.map(cell)]);
  const widths = header.map((_, col) =>
    Math.max(...[header, ...body].map((row) => (row[col] ?? '').length)),
  );
  const line = (row: string[]): string =>
    row
      .map((cell, col) => cell.padEnd(widths[col] ?? 0))
      .join('  ')
      .trimEnd();

  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  for (const r of results)
    for (const warning of r.warnings) out.push(`WARNING [${r.target}]: ${warning}`);
  return out.join('\n');
}

function formatErrors(errors: Record<string, number>): string {
  const entries = Object.entries(errors);
  return entries.length === 0 ? '0' : entries.map(([code, n]) => `${code} ${n}`).join(', ');
}

/** The closing note of `--compare`: the ratios the goal is stated in, whatever they are. */
export function formatRatios(results: TargetResult[]): string {
  const by = (name: string): TargetResult | undefined => results.find((r) => r.target === name);
  const parley = by('parley');
  const stock = by('stock');
  const raw = by('raw');
  if (parley === undefined || (stock === undefined && raw === undefined)) return '';

  const ratio = (a: number | null | undefined, b: number | null | undefined): string =>
    a === null || a === undefined || b === null || b === undefined || b === 0
      ? 'n/a'
      : `${(a / b).toFixed(2)}x`;
  const lines = [
    'Ratios (goal: Parley >= 3x stock deliveries/s at equal or better p99, >= 50% of raw):',
  ];
  if (stock !== undefined) {
    lines.push(
      `  Parley / stock  deliveries/s ${ratio(parley.deliveriesPerSec, stock.deliveriesPerSec)} at the offered load, ` +
        `per node core ${ratio(parley.deliveriesPerCoreSec, stock.deliveriesPerCoreSec)}; ` +
        `p99 ${parley.latencyMs.p99} ms vs ${stock.latencyMs.p99} ms`,
    );
  }
  if (raw !== undefined) {
    lines.push(
      `  Parley / raw    deliveries/s ${ratio(parley.deliveriesPerSec, raw.deliveriesPerSec)} at the offered load, ` +
        `per node core ${ratio(parley.deliveriesPerCoreSec, raw.deliveriesPerCoreSec)}; ` +
        `p99 ${parley.latencyMs.p99} ms vs ${raw.latencyMs.p99} ms`,
    );
  }
  lines.push(
    '  At a fixed offered load every target that keeps up delivers the same rate; the per-core figure ' +
      '(deliveries/s divided by the node CPU it took) is the capacity comparison.',
  );
  return lines.join('\n');
}

/**
 * The same table as Markdown, for regenerating the figures in docs (`--markdown FILE`): the
 * command that produced them goes above it, so a document never carries hand-copied numbers.
 */
export function formatMarkdown(results: TargetResult[], command: string): string {
  const header = `| measure | ${results.map((r) => r.target).join(' | ')} |`;
  const rule = `| --- |${results.map(() => ' --- |').join('')}`;
  const body = ROWS.map(([name, cell]) => `| ${name} | ${results.map(cell).join(' | ')} |`);
  const ratios = formatRatios(results);
  const warnings = results.flatMap((r) => r.warnings.map((w) => `- [${r.target}] ${w}`));
  return [
    `\`${command}\` (${results[0]?.startedAt ?? ''})`,
    '',
    header,
    rule,
    ...body,
    ...(ratios === '' ? [] : ['', '```', ratios, '```']),
    ...(warnings.length === 0 ? [] : ['', 'Warnings:', '', ...warnings]),
    '',
  ].join('\n');
}
