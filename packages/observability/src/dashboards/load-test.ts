import type { DashboardSpec } from './grafana.js';

/**
 * The k6 series this dashboard reads, as k6's `experimental-prometheus-rw`
 * output names them: built-ins `vus` and `ws_*` (WebSocket API), and the bench
 * scripts' custom Trend `delivery_latency` (time values arrive in seconds) with
 * K6_PROMETHEUS_RW_TREND_STATS=p(50),p(99),max as docker-compose.yml sets it.
 */
export const K6_SERIES = [
  'k6_vus',
  'k6_ws_sessions_total',
  'k6_ws_msgs_sent_total',
  'k6_ws_msgs_received_total',
  'k6_delivery_latency_p50',
  'k6_delivery_latency_p99',
] as const;

const T = 'testid=~"$testid"';

/** k6's view of a load test beside the server's own view of the same traffic. */
export const loadTest: DashboardSpec = {
  uid: 'parley-load-test',
  title: 'Parley / Load test',
  description: 'k6 metrics by Prometheus remote write next to what the chat nodes measured.',
  tags: ['parley', 'load-test'],
  variables: [{ name: 'testid', label: 'Test id', query: 'label_values(k6_vus, testid)' }],
  rows: [
    {
      title: 'What load is k6 offering?',
      panels: [
        {
          title: 'Virtual users (healthy: follows the scenario ramp)',
          description: 'k6 VUs alive; each holds one Socket.IO session on one of the nodes.',
          type: 'timeseries',
          unit: 'short',
          targets: [{ expr: `sum(k6_vus{${T}})`, legend: 'VUs' }],
        },
        {
          title: 'WebSocket sessions opened per second (healthy: only during ramp-up)',
          description: 'New sessions; opens in steady state mean VUs are reconnecting.',
          type: 'timeseries',
          unit: 'suffix:sessions/s',
          targets: [
            { expr: `sum(rate(k6_ws_sessions_total{${T}}[$__rate_interval]))`, legend: 'sessions' },
          ],
        },
        {
          title: 'WebSocket frames per second, k6 side (healthy: received ≥ sent × room size)',
          description:
            'Frames k6 sent and received, Socket.IO pings and acknowledgements included.',
          type: 'timeseries',
          unit: 'suffix:frames/s',
          targets: [
            { expr: `sum(rate(k6_ws_msgs_sent_total{${T}}[$__rate_interval]))`, legend: 'sent' },
            {
              expr: `sum(rate(k6_ws_msgs_received_total{${T}}[$__rate_interval]))`,
              legend: 'received',
            },
          ],
        },
      ],
    },
    {
      title: 'Do k6 and the server agree on what happened?',
      panels: [
        {
          title: 'Delivery latency seen by k6, p50 / p99 (healthy: p99 under 250 ms)',
          description: 'Send to receipt on another VU: the end-to-end latency users feel.',
          type: 'timeseries',
          unit: 's',
          targets: [
            { expr: `max(k6_delivery_latency_p50{${T}})`, legend: 'k6 p50' },
            { expr: `max(k6_delivery_latency_p99{${T}})`, legend: 'k6 p99' },
          ],
          width: 12,
        },
        {
          title: 'Ack latency p99 seen by the server (healthy: well under the k6 delivery p99)',
          description: "The nodes' own acknowledgement p99 over all nodes for the same traffic.",
          type: 'timeseries',
          unit: 's',
          targets: [{ expr: ':chat_ack_duration_seconds:p99_1m', legend: 'server ack p99' }],
          width: 12,
        },
        {
          title: 'Messages accepted and delivered by the server (healthy: tracks the k6 frames)',
          description: 'The server side of the frames above, summed over nodes.',
          type: 'timeseries',
          unit: 'suffix:msg/s',
          targets: [
            { expr: 'sum(node:chat_messages_accepted:rate1m)', legend: 'accepted' },
            { expr: 'sum(node:chat_messages_delivered:rate1m)', legend: 'delivered' },
          ],
          width: 12,
        },
        {
          title: 'Connected clients, all nodes (healthy: equals the VUs)',
          description: "The nodes' count of open connections; below the VUs means sessions failed.",
          type: 'timeseries',
          unit: 'short',
          targets: [{ expr: 'sum(chat_connected_clients)', legend: 'connected' }],
          width: 12,
        },
      ],
    },
  ],
};
