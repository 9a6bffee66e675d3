/**
 * STAND-IN FOR k6, FOR TESTS ONLY. k6 cannot be installed on these machines (issue 5), so the
 * suite runs each k6 script's flow once under these small Node implementations of the k6
 * modules the scripts import (`k6`, `k6/websockets`, `k6/timers`, `k6/metrics`,
 * `k6/execution`), mapped in bench/vitest.config.ts. They implement only what the scripts use;
 * they say nothing about k6's own scheduling, thresholds or output.
 */
export interface Recorded {
  /** Every value added to each metric, by metric name. */
  metrics: Map<string, number[]>;
  checks: { name: string; ok: boolean }[];
  /** The VU the next `default()` call runs as (`exec.vu.idInTest`). */
  vu: number;
  iteration: number;
}

export const recorded: Recorded = { metrics: new Map(), checks: [], vu: 1, iteration: 0 };

export function resetRecorded(): void {
  recorded.metrics.clear();
  recorded.checks.length = 0;
}

export function values(name: string): number[] {
  return recorded.metrics.get(name) ?? [];
}
