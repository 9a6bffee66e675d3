import { ErrorCode } from '@parley/protocol';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Why a client event was refused: the error codes plus the reasons that have no code. */
export const REJECT_REASONS = [...Object.values(ErrorCode), 'UNKNOWN_EVENT'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/**
 * The chat node's series (names fixed by INTERFACES.md). One registry per node,
 * so several nodes in one process (tests) do not share counters; every series
 * carries `node` through the registry's default labels.
 */
export function createMetrics(nodeId: string, withDefaults: boolean) {
  const registry = new Registry();
  registry.setDefaultLabels({ node: nodeId });
  // Process CPU, memory, GC and event-loop lag (nodejs_eventloop_lag_seconds).
  if (withDefaults) collectDefaultMetrics({ register: registry });

  const registers = [registry];
  const metrics = {
    registry,
    connectedClients: new Gauge({
      name: 'chat_connected_clients',
      help: 'Socket.IO connections currently open on this node',
      registers,
    }),
    accepted: new Counter({
      name: 'chat_messages_accepted_total',
      help: 'Messages Kafka accepted and that were acknowledged ok',
      registers,
    }),
    rejected: new Counter({
      name: 'chat_messages_rejected_total',
      help: 'Client events answered with an error, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    delivered: new Counter({
      name: 'chat_messages_delivered_total',
      help: 'Room deliveries to sockets of this node (room size at broadcast time)',
      registers,
    }),
    ackDuration: new Histogram({
      name: 'chat_ack_duration_seconds',
      help: 'From receiving a message to acknowledging it, ok or not',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    produceDuration: new Histogram({
      name: 'chat_kafka_produce_duration_seconds',
      help: 'Duration of one Kafka produce request (one batch)',
      buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    produceBatchMessages: new Histogram({
      name: 'chat_kafka_batch_messages',
      help: 'Messages per Kafka produce request',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
      registers,
    }),
    producerPending: new Gauge({
      name: 'chat_kafka_pending_messages',
      help: 'Messages queued or in flight to Kafka',
      registers,
    }),
    uwsNative: new Gauge({
      name: 'chat_uws_native',
      help: '1 when the native uWebSockets.js binary is loaded, 0 for the JavaScript fallback',
      registers,
    }),
    slowClientDisconnects: new Counter({
      name: 'chat_slow_client_disconnects_total',
      help: 'Websockets disconnected because their send buffer passed MAX_BACKPRESSURE_BYTES',
      registers,
    }),
    backpressureDrops: new Counter({
      name: 'chat_backpressure_drops_total',
      help: 'Frames uWebSockets.js dropped because a client was over its back-pressure limit',
      registers,
    }),
    connectionsRefused: new Counter({
      name: 'chat_connections_refused_total',
      help: 'Handshakes refused, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
  };

  for (const reason of REJECT_REASONS) metrics.rejected.inc({ reason }, 0);
  for (const reason of ['origin', 'capacity', 'per_ip', 'unauthorized']) {
    metrics.connectionsRefused.inc({ reason }, 0);
  }
  return metrics;
}

export type Metrics = ReturnType<typeof createMetrics>;
