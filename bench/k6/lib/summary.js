// @ts-check
/* global __ENV */
/**
 * handleSummary helper: k6's end-of-test data as JSON in K6_SUMMARY_DIR (default
 * bench/results), plus a short plain-text digest of the chat metrics on stdout (no remote
 * jslib import, so the scripts run offline).
 * @typedef {{ metrics: { [name: string]: { type?: string, values?: { [stat: string]: number },
 *   thresholds?: { [expression: string]: { ok: boolean } } } } }} SummaryData
 */

/** Metrics the digest shows: the scripts' own, k6's checks and WebSocket sessions. */
const SHOWN =
  /^(delivery_latency|ack_latency|connect_time|messages_|ack_errors|connect_errors|sessions_connected|checks$|ws_sessions$)/;

/**
 * @param {string} script
 * @param {SummaryData} data
 * @returns {{ [path: string]: string }}
 */
export function summaryOutputs(script, data) {
  const dir = __ENV.K6_SUMMARY_DIR ?? 'bench/results';
  const lines = [`${script}:`];
  for (const name of Object.keys(data.metrics).sort()) {
    const metric = data.metrics[name];
    if (metric === undefined || !SHOWN.test(name)) continue;
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
