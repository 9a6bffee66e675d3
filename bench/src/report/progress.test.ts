import { describe, expect, it } from 'vitest';
import { createProgress } from './progress.js';

function stream(isTTY: boolean): { out: string[]; stream: NodeJS.WriteStream } {
  const out: string[] = [];
  const fake = { isTTY, write: (text: string) => out.push(text) > 0 };
  return { out, stream: fake as unknown as NodeJS.WriteStream };
}

const ESC = String.fromCharCode(27);

const tick = (second: number) => ({
  second,
  sentPerSec: 500,
  deliveredPerSec: 4500,
  p50Ms: 2,
  p99Ms: 30,
  connections: 1000,
  errors: 0,
});

describe('progress output', () => {
  it('rewrites one line in place on a terminal and ends it with a newline', () => {
    const { out, stream: tty } = stream(true);
    const progress = createProgress(tty);
    progress.tick('parley', tick(1));
    progress.tick('parley', tick(2));
    progress.done();

    expect(out).toHaveLength(3);
    expect(out[0]?.startsWith(`\r${ESC}[2K[parley]   1s  sent 500/s  delivered 4500/s`)).toBe(true);
    expect(out[1]).toContain('p99 30 ms  connections 1000  errors 0');
    expect(out[2]).toBe('\n');
  });

  it('degrades to a plain line every few seconds without control characters off a terminal', () => {
    const { out, stream: pipe } = stream(false);
    const progress = createProgress(pipe, 5);
    for (let second = 1; second <= 10; second += 1) progress.tick('stock', tick(second));
    progress.done();

    expect(out).toHaveLength(2);
    expect(out.join('')).not.toContain('\r');
    expect(out.join('')).not.toContain(ESC);
    expect(out[1]).toMatch(/^\[stock\] {2}10s .*\n$/);
  });
});
