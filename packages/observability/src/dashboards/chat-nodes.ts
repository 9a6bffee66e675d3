import type { DashboardSpec } from './grafana.js';

const N = 'node=~"$node"';

/** The chat nodes: are they up, is traffic flowing, how fast are acks, who struggles. */
export const chatNodes: DashboardSpec = {
  uid: 'parley-chat-nodes',
  title: 'Parley / Chat nodes',
  description:
    'Socket.IO chat nodes: connections, messages, acknowledgement latency, runtime health.',
  tags: ['parley', 'chat-nodes'],
  variables: [{ name: 'node', label: 'Node', query: 'label_values(chat_connected_clients, node)' }],
  rows: [
    {
      title: 'Is every node up, native and taking clients?',
      panels: [
        {
          title: 'Nodes answering scrapes (healthy: all yes)',
          description:
            'Prometheus `up` for each chat node. A "no" means the node is down or unreachable.',
          type: 'stat',
          unit: 'bool_yes_no',
          targets: [{ expr: 'up{job="chat-node"}', legend: '{{instance}}' }],
          width: 6,
        },
        {
          title: 'uWebSockets.js native (healthy: yes on every node)',
          description: 'chat_uws_native: 1 when the native uWS binary is loaded, 0 for a fallback.',
          type: 'stat',
          unit: 'bool_yes_no',
          targets: [{ expr: `max by (node) (chat_uws_native{${N}})`, legend: '{{node}}' }],
          width: 6,
        },
        {
          title: 'Connected clients per node (healthy: an even spread)',
          description:
            'Open Socket.IO connections; a node far above the others is taking more than its share.',
          type: 'timeseries',
          unit: 'short',
          targets: [{ expr: `sum by (node) (chat_connected_clients{${N}})`, legend: '{{node}}' }],
          width: 12,
        },
      ],
    },
    {
      title: 'Is traffic flowing?',
      panels: [
        {
          title: 'Messages accepted per second (healthy: the offered load)',
          description: 'Messages Kafka accepted (acks=all) and the node acknowledged, per node.',
          type: 'timeseries',
          unit: 'suffix:msg/s',
          targets: [{ expr: `node:chat_messages_accepted:rate1m{${N}}`, legend: '{{node}}' }],
        },
        {
          title: 'Messages rejected per second by reason (healthy: near zero)',
          description:
            'Error acknowledgements by code. UNAVAILABLE means Kafka refused the message; RATE_LIMITED a client sent too fast.',
          type: 'timeseries',
          unit: 'suffix:msg/s',
          targets: [
            {
              expr: `node_reason:chat_messages_rejected:rate1m{${N}}`,
              legend: '{{node}} {{reason}}',
            },
          ],
        },
        {
          title: 'Deliveries per second (healthy: accepted × room members)',
          description: 'Messages written to client sockets, per node, after the Redis fan-out.',
          type: 'timeseries',
          unit: 'suffix:msg/s',
          targets: [{ expr: `node:chat_messages_delivered:rate1m{${N}}`, legend: '{{node}}' }],
        },
      ],
    },
    {
      title: 'How fast are messages acknowledged?',
      panels: [
        {
          title: 'Ack latency p50 / p99 (healthy: p99 under 100 ms)',
          description: 'From receiving a message to its acknowledgement, which waits for Kafka.',
          type: 'timeseries',
          unit: 's',
          targets: [
            { expr: `node:chat_ack_duration_seconds:p50_1m{${N}}`, legend: '{{node}} p50' },
            { expr: `node:chat_ack_duration_seconds:p99_1m{${N}}`, legend: '{{node}} p99' },
          ],
          width: 12,
        },
        {
          title: 'Ack latency distribution (healthy: one band low down)',
          description:
            'Acknowledgements per latency bucket over time; a second band higher up is a slow path.',
          type: 'heatmap',
          unit: 's',
          targets: [
            {
              expr: `sum by (le) (increase(chat_ack_duration_seconds_bucket{${N}}[$__rate_interval]))`,
              legend: '{{le}}',
              format: 'heatmap',
            },
          ],
          width: 12,
        },
        {
          title: 'Kafka produce latency p50 / p99 (healthy: p99 under 50 ms)',
          description: 'The produce call alone (acks=all); most of the ack latency should be here.',
          type: 'timeseries',
          unit: 's',
          targets: [
            {
              expr: `node:chat_kafka_produce_duration_seconds:p50_1m{${N}}`,
              legend: '{{node}} p50',
            },
            {
              expr: `node:chat_kafka_produce_duration_seconds:p99_1m{${N}}`,
              legend: '{{node}} p99',
            },
          ],
          width: 12,
        },
        {
          title: 'Kafka produce latency distribution (healthy: one band low down)',
          description: 'Produce calls per latency bucket over time.',
          type: 'heatmap',
          unit: 's',
          targets: [
            {
              expr: `sum by (le) (increase(chat_kafka_produce_duration_seconds_bucket{${N}}[$__rate_interval]))`,
              legend: '{{le}}',
              format: 'heatmap',
            },
          ],
          width: 12,
        },
      ],
    },
    {
      title: 'Are clients or the runtime struggling?',
      panels: [
        {
          title: 'Slow-client disconnects per minute (healthy: zero)',
          description:
            'Clients cut off because their send buffer kept growing (they read too slowly).',
          type: 'timeseries',
          unit: 'suffix:/min',
          targets: [
            {
              expr: `sum by (node) (rate(chat_slow_client_disconnects_total{${N}}[$__rate_interval])) * 60`,
              legend: '{{node}}',
            },
          ],
          width: 6,
        },
        {
          title: 'Event-loop lag p99 (healthy: under 20 ms)',
          description:
            'How late timers run on the node: above a few ms, every socket on the node waits.',
          type: 'timeseries',
          unit: 's',
          targets: [
            { expr: `max by (node) (nodejs_eventloop_lag_p99_seconds{${N}})`, legend: '{{node}}' },
          ],
          width: 6,
        },
        {
          title: 'CPU per node (healthy: under 80% of one core)',
          description:
            'Process CPU time per second; a Node.js process does its JavaScript on one core.',
          type: 'timeseries',
          unit: 'percentunit',
          targets: [
            {
              expr: `sum by (node) (rate(process_cpu_seconds_total{job="chat-node",${N}}[$__rate_interval]))`,
              legend: '{{node}}',
            },
          ],
          width: 6,
        },
        {
          title: 'Resident memory per node (healthy: flat under steady load)',
          description: 'RSS of the node process; steady growth at constant connections is a leak.',
          type: 'timeseries',
          unit: 'bytes',
          targets: [
            {
              expr: `sum by (node) (process_resident_memory_bytes{job="chat-node",${N}})`,
              legend: '{{node}}',
            },
          ],
          width: 6,
        },
      ],
    },
  ],
};
