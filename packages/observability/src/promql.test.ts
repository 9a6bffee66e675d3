import { describe, expect, it } from 'vitest';
import { metricNames, substituteVariables } from './promql.js';

describe('metricNames', () => {
  it('names every selected metric and nothing else', () => {
    const expr =
      'sum by (node, le) (rate(chat_ack_duration_seconds_bucket{node=~"a|b", le!="0.1"}[1m])) * 60' +
      ' / on (node) group_left (reason) node:chat_messages_accepted:rate1m offset 5m > bool 1e3';
    expect(metricNames(expr).sort()).toEqual([
      'chat_ack_duration_seconds_bucket',
      'node:chat_messages_accepted:rate1m',
    ]);
  });

  it('ignores function names and string arguments', () => {
    expect(metricNames('histogram_quantile(0.99, sum by (le) (x_bucket))')).toEqual(['x_bucket']);
    expect(metricNames('label_replace(up, "a", "$1", "instance", "(.*)")')).toEqual(['up']);
  });
});

describe('substituteVariables', () => {
  it('replaces Grafana builtins and dashboard variables in both spellings', () => {
    expect(substituteVariables('rate(x{node=~"$node"}[$__rate_interval])', { node: '.*' })).toBe(
      'rate(x{node=~".*"}[1m])',
    );
    expect(substituteVariables('x{a=~"${node:regex}"}', { node: 'n1' })).toBe('x{a=~"n1"}');
  });

  it('refuses a variable it does not know instead of sending it to Prometheus', () => {
    expect(() => substituteVariables('x{a="$nope"}')).toThrow(/\$nope/);
  });
});
