import { describe, expect, it } from 'vitest';
import { sumSeries } from './processes.js';

const TEXT = [
  '# HELP chat_connected_clients Connected clients.',
  '# TYPE chat_connected_clients gauge',
  'chat_connected_clients{node="a"} 3',
  'chat_connected_clients_peak{node="a"} 9',
  'chat_messages_rejected_total{reason="RATE_LIMITED",node="a"} 4',
  'chat_messages_rejected_total{reason="INVALID",node="a"} 2',
  'writer_rows_written_total 17',
].join('\n');

describe('sumSeries', () => {
  it('reads a series and ignores comments and metrics that only share a prefix', () => {
    expect(sumSeries(TEXT, 'chat_connected_clients')).toBe(3);
  });

  it('sums every label set, or only those containing the given labels', () => {
    expect(sumSeries(TEXT, 'chat_messages_rejected_total')).toBe(6);
    expect(sumSeries(TEXT, 'chat_messages_rejected_total', 'reason="INVALID"')).toBe(2);
  });

  it('reads an unlabelled series and answers 0 for an absent one', () => {
    expect(sumSeries(TEXT, 'writer_rows_written_total')).toBe(17);
    expect(sumSeries(TEXT, 'chat_slow_client_disconnects_total')).toBe(0);
  });
});
