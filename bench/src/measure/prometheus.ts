/**
 * Reads samples out of the Prometheus text exposition format (https://prometheus.io/docs/instrumenting/exposition_formats/).
 * Only what the bench needs: the sum of every series of one metric name, labels ignored.
 */
export function sumMetric(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line.startsWith(name)) continue;

    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(
      rest
        .slice(rest.lastIndexOf('}') + 1)
        .trim()
        .split(' ')[0],
    );
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

export interface ProcessSample {
  atMs: number;
  rssBytes: number | undefined;
  cpuSeconds: number | undefined;
}

export async function sampleProcess(metricsUrl: string): Promise<ProcessSample> {
  const atMs = Date.now();
  try {
    const response = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
    const text = await response.text();
    return {
      atMs,
      rssBytes: sumMetric(text, 'process_resident_memory_bytes'),
      cpuSeconds: sumMetric(text, 'process_cpu_seconds_total'),
    };
  } catch {
    return { atMs, rssBytes: undefined, cpuSeconds: undefined };
  }
}

/** CPU use between two samples as a percentage of one core. */
export function cpuPercent(from: ProcessSample, to: ProcessSample): number | undefined {
  if (from.cpuSeconds === undefined || to.cpuSeconds === undefined || to.atMs <= from.atMs)
    return undefined;
  return (
    Math.round(((to.cpuSeconds - from.cpuSeconds) / ((to.atMs - from.atMs) / 1000)) * 1000) / 10
  );
}
