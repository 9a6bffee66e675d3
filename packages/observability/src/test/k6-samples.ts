import { pushTimeseries } from 'prometheus-remote-write';

/**
 * Stands in for k6's `experimental-prometheus-rw` output, which cannot run on
 * these machines (no k6 binary): the same wire format (a snappy-compressed
 * protobuf WriteRequest POSTed to /api/v1/write) and the series names k6 gives
 * the load-test dashboard's metrics. Counters grow with every push, as k6's do.
 */
export class K6RemoteWriter {
  private pushes = 0;

  constructor(
    private readonly writeUrl: string,
    private readonly testid: string,
  ) {}

  async push(): Promise<void> {
    this.pushes += 1;
    const n = this.pushes;
    const values: Record<string, number> = {
      k6_vus: 4,
      k6_ws_sessions_total: 4 + n,
      k6_messages_sent_total: 4 * n,
      k6_messages_received_total: 12 * n,
      k6_ack_errors_total: 0,
      // Trend stats arrive as gauges in seconds.
      k6_delivery_latency_p50: 0.004,
      k6_delivery_latency_p99: 0.012 + (n % 3) / 1000,
      k6_ack_latency_p99: 0.006,
    };

    const timestamp = Date.now();
    const result = await pushTimeseries(
      Object.entries(values).map(([name, value]) => ({
        labels: { __name__: name, testid: this.testid, scenario: 'room-chat' },
        samples: [{ value, timestamp }],
      })),
      { url: this.writeUrl, fetch: globalThis.fetch as never },
    );
    if (result.status !== 204 && result.status !== 200) {
      throw new Error(`remote write refused: ${result.status} ${result.errorMessage ?? ''}`);
    }
  }
}
