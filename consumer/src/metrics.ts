import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * The writer's metrics, named as in shared/INTERFACES.md. Every series without
 * labels starts at zero so dashboards are never empty; the per-partition lag
 * appears at zero when a partition is assigned.
 */
export interface WriterMetrics {
  registry: Registry;
  rowsWritten: Counter;
  duplicatesSkipped: Counter;
  deadLetters: Counter;
  batchRows: Histogram;
  flushDuration: Histogram;
  persistLag: Histogram;
  consumerLag: Gauge<'partition'>;
  flushRetries: Counter;
  flushes: Counter<'route'>;
}

export function createWriterMetrics(options: { defaultMetrics?: boolean } = {}): WriterMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const metrics: WriterMetrics = {
    registry,
    rowsWritten: new Counter({
      name: 'writer_rows_written_total',
      help: 'Messages inserted into PostgreSQL (new ids only)',
      registers,
    }),
    duplicatesSkipped: new Counter({
      name: 'writer_duplicates_skipped_total',
      help: 'Valid records whose id was already stored or repeated in the same batch',
      registers,
    }),
    deadLetters: new Counter({
      name: 'writer_dead_letters_total',
      help: 'Records stored in dead_letters instead of messages',
      registers,
    }),
    batchRows: new Histogram({
      name: 'writer_batch_rows',
      help: 'Records per committed flush (rows and dead letters)',
      buckets: [1, 10, 50, 100, 250, 500, 1000, 2500, 5000, 10_000, 25_000],
      registers,
    }),
    flushDuration: new Histogram({
      name: 'writer_flush_duration_seconds',
      help: 'Time of one successful flush transaction, BEGIN to COMMIT',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    persistLag: new Histogram({
      name: 'writer_persist_lag_seconds',
      help: 'PostgreSQL commit time minus the record ts given by the chat node',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    }),
    consumerLag: new Gauge({
      name: 'writer_consumer_lag_messages',
      help: 'High watermark minus the next offset to store, per assigned partition',
      labelNames: ['partition'],
      registers,
    }),
    flushRetries: new Counter({
      name: 'writer_flush_retries_total',
      help: 'Flushes retried after a retriable PostgreSQL failure',
      registers,
    }),
    flushes: new Counter({
      name: 'writer_flushes_total',
      help: 'Committed flushes by route: direct COPY, staged (ON CONFLICT), direct_then_staged, isolating',
      labelNames: ['route'],
      registers,
    }),
  };
  for (const route of ['direct', 'staged', 'direct_then_staged', 'isolating']) {
    metrics.flushes.inc({ route }, 0);
  }
  return metrics;
}
