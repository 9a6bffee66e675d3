import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from './options.js';

describe('bench options', () => {
  it('defaults to the 2-core workload and the results folder', () => {
    expect(parseOptions([])).toMatchObject({
      clients: 1000,
      rooms: 100,
      nodes: 2,
      durationS: 30,
      rate: 0.5,
      compare: false,
      target: 'parley',
      out: 'bench/results/latest.json',
      html: 'bench/results/latest.html',
    });
  });

  it('names every bad option in one error', () => {
    const error = (() => {
      try {
        parseOptions(['--clients', 'many', '--rate', '0', '--targets', 'ftp://x']);
      } catch (caught) {
        return caught as Error;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(UsageError);
    expect(error?.message).toMatch(/--clients/);
    expect(error?.message).toMatch(/--rate/);
    expect(error?.message).toMatch(/--targets/);
  });

  it('refuses --compare with --targets, since compare starts its own targets', () => {
    expect(() => parseOptions(['--compare', '--targets', 'http://127.0.0.1:3001'])).toThrow(
      /--compare/,
    );
  });

  it('takes fractional rates and durations but whole clients', () => {
    expect(parseOptions(['--rate', '0.25', '--duration', '2.5'])).toMatchObject({
      rate: 0.25,
      durationS: 2.5,
    });
    expect(() => parseOptions(['--clients', '10.5'])).toThrow(/--clients/);
  });
});
