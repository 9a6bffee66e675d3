/**
 * handleSummary helper: k6's end-of-test data as JSON in K6_SUMMARY_DIR (default
 * bench/results), plus a short plain-text digest on stdout (no remote jslib import).
 */
export interface SummaryData {
  metrics: {
    [name: string]: {
      type?: string;
      values?: { [stat: string]: number };
      thresholds?: { [t: string]: { ok: boolean } };
    };
  };
}

export function summaryOutputs(script: string, data: SummaryData): { [path: string]: string } {
  const dir = __ENV.K6_SUMMARY_DIR ?? 'bench/results';
  const lines = [`${script}:`];
  for (const name of Object.keys(data.metrics).sort()) {
    const metric = data.metrics[name];
    if (metric === undefined || !/^(chat_|checks$|ws_sessions$)/.test(name)) continue;
    const values = Object.entries(metric.values ?? {})
      .map(([stat, value]) => `${stat}=${Math.round(value * 100) / 100}`)
      .join(' ');
    const failed = Object.values(metric.thresholds ?? {}).some((t) => !t.ok);
    lines.push(`  ${name}${failed ? ' (THRESHOLD FAILED)' : ''}: ${values}`);
  }
  return {
    [`${dir}/k6-${script}.json`]: JSON.stringify(data, null, 2),
    stdout: `${lines.join('\n')}\n`,
  };
}
