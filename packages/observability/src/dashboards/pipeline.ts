import type { DashboardSpec } from './grafana.js';

/** Kafka to PostgreSQL: is the writer keeping up, how do flushes behave, what went wrong. */
export const pipeline: DashboardSpec = {
  uid: 'parley-pipeline',
  title: 'Parley / Pipeline',
  description:
    'The writer: Kafka consumer lag, rows written, batches, flushes, duplicates, dead letters.',
  tags: ['parley', 'pipeline'],
  variables: [],
  rows: [
    {
      title: 'Is the writer keeping up with the chat nodes?',
      panels: [
        {
          title: 'Kafka consumer lag per partition (healthy: near zero, not growing)',
          description: 'Messages in Kafka the writer has not committed yet, per partition.',
          type: 'timeseries',
          unit: 'short',
          targets: [
            {
              expr: 'max by (partition) (writer_consumer_lag_messages)',
              legend: 'partition {{partition}}',
            },
          ],
        },
        {
          title: 'Rows written vs messages accepted per second (healthy: the lines overlap)',
          description:
            'Rows the writer stored beside messages the nodes acknowledged; a gap is lag building up.',
          type: 'timeseries',
          unit: 'suffix:rows/s',
          targets: [
            { expr: ':writer_rows_written:rate1m', legend: 'rows written' },
            { expr: 'sum(node:chat_messages_accepted:rate1m)', legend: 'messages accepted' },
          ],
        },
        {
          title: 'Persistence lag p50 / p99 (healthy: p99 under 1 s)',
          description: "From the node's acceptance timestamp to the PostgreSQL commit.",
          type: 'timeseries',
          unit: 's',
          targets: [
            { expr: ':writer_persist_lag_seconds:p50_1m', legend: 'p50' },
            { expr: ':writer_persist_lag_seconds:p99_1m', legend: 'p99' },
          ],
        },
      ],
    },
    {
      title: 'How does each flush behave?',
      panels: [
        {
          title: 'Batch size p50 / p99 (healthy: grows with load, under the batch limit)',
          description:
            'Rows per flush: small batches at low load keep latency down, large ones at high load.',
          type: 'timeseries',
          unit: 'short',
          targets: [
            { expr: ':writer_batch_rows:p50_1m', legend: 'p50' },
            { expr: ':writer_batch_rows:p99_1m', legend: 'p99' },
          ],
          width: 12,
        },
        {
          title: 'Flush duration p50 / p99 (healthy: p99 under 250 ms)',
          description:
            'One flush: COPY into PostgreSQL, insert, commit, then the Kafka offset commit.',
          type: 'timeseries',
          unit: 's',
          targets: [
            { expr: ':writer_flush_duration_seconds:p50_1m', legend: 'p50' },
            { expr: ':writer_flush_duration_seconds:p99_1m', legend: 'p99' },
          ],
          width: 12,
        },
      ],
    },
    {
      title: 'Is anything going wrong?',
      panels: [
        {
          title: 'Duplicates skipped per second (healthy: zero outside redeliveries)',
          description:
            'Records whose id was already stored: Kafka redelivery after a restart or a client resend.',
          type: 'timeseries',
          unit: 'suffix:rows/s',
          targets: [
            {
              expr: 'sum(rate(writer_duplicates_skipped_total[$__rate_interval]))',
              legend: 'duplicates',
            },
          ],
        },
        {
          title: 'Dead letters in the last hour (healthy: zero)',
          description:
            'Records the writer could not store; they are kept in the dead_letters table.',
          type: 'stat',
          unit: 'short',
          targets: [
            { expr: 'sum(increase(writer_dead_letters_total[1h]))', legend: 'dead letters' },
          ],
        },
        {
          title: 'Writer answering scrapes (healthy: yes)',
          description: 'Prometheus `up` for the writer.',
          type: 'stat',
          unit: 'bool_yes_no',
          targets: [{ expr: 'up{job="writer"}', legend: '{{instance}}' }],
        },
      ],
    },
  ],
};
