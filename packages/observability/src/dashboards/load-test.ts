import type { DashboardSpec } from './grafana.js';

/**
 * The k6 series this dashboard reads, as k6's `experimental-prometheus-rw`
 * output names them: the built-ins `vus` and `ws_sessions` (k6/websockets), and
 * the custom metrics of bench/k6/*.js: Counters `messages_sent`,
 * `messages_received`, `ack_errors` (suffixed `_total`) and the time Trends
 * `delivery_latency`, `ack_latency` (one gauge per stat, in
 * seconds; K6_PROMETHEUS_RW_TREND_STATS=p(50),p(99),max as docker-compose.yml sets it).
 */
export const K6_SERIES = [
  'k6_vus',
  'k6_ws_sessions_total',
  'k6_messages_sent_total',
  'k6_messages_received_total',
  'k6_ack_errors_total',
  'k6_delivery_latency_p50',
  'k6_delivery_latency_p99',
  'k6_ack_latency_p99',
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
          title: 'Chat messages per second, k6 side (healthy: received ≈ sent × room size)',
          description: 'Messages the VUs sent, and messages they received from other VUs.',
          type: 'timeseries',
          unit: 'suffix:msg/s',
          targets: [
            {
              expr: `sum(rate(k6_messages_sent_total{${T}}[$__rate_interval]))`,
              legend: 'sent',
            },
            {
              expr: `sum(rate(k6_messages_received_total{${T}}[$__rate_interval]))`,
              legend: 'received',
            },
            {
              expr: `sum(rate(k6_ack_errors_total{${T}}[$__rate_interval]))`,
              legend: 'ack errors',
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
          title: 'Ack latency p99, k6 vs server (healthy: close, the gap is the network)',
          description:
            "k6's ack Trend beside the nodes' own acknowledgement p99 over all nodes for the same traffic.",
          type: 'timeseries',
          unit: 's',
          targets: [
            { expr: `max(k6_ack_latency_p99{${T}})`, legend: 'k6 ack p99' },
            { expr: ':chat_ack_duration_seconds:p99_1m', legend: 'server ack p99' },
          ],
          width: 12,
        },
        {
          title:
            'Messages accepted and delivered by the server (healthy: tracks k6 sent and received)',
          description: 'The server side of the k6 counts above, summed over nodes.',
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
