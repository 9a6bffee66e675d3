import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { createLogger } from '@parley/runtime';
import { classifyPgError } from '../store/errors.js';
import type { FlushResult, MessageRow } from '../store/rows.js';
import { Batcher, WriterStoppedError, type BatchEntry, type FlushMode } from './batcher.js';

const logger = createLogger({ service: 'batcher-test' }, 'silent');

function entry(count: number, prefix = 'm'): BatchEntry {
  const rows: MessageRow[] = [];
  for (let i = 0; i < count; i++) {
    rows.push({ id: `${prefix}${i}`, room: 'r', sender: 's', body: 'b', tsMs: 1, node: 'n' });
  }
  return { rows, sources: [], deadLetters: [] };
}

function ok(entries: readonly BatchEntry[]): FlushResult {
  const inserted = entries.reduce((n, e) => n + e.rows.length, 0);
  return { inserted, skipped: 0, deadLettered: 0, rejected: 0, committedAtMs: Date.now() };
}

function dbError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError('refused', 0, 'error');
  error.code = code;
  return error;
}

interface Harness {
  batcher: Batcher;
  flushes: { records: number; mode: FlushMode }[];
  fatal: unknown[];
}

function harness(
  flush: (entries: readonly BatchEntry[], mode: FlushMode, attempt: number) => Promise<FlushResult>,
  bounds: { maxRows?: number; maxWaitMs?: number; maxInFlight?: number } = {},
): Harness {
  const flushes: Harness['flushes'] = [];
  const fatal: unknown[] = [];
  const batcher = new Batcher({
    maxRows: bounds.maxRows ?? 10,
    maxWaitMs: bounds.maxWaitMs ?? 60_000,
    maxInFlight: bounds.maxInFlight ?? 1,
    retryInitialMs: 1,
    retryMaxMs: 4,
    flush: (entries, mode) => {
      flushes.push({ records: entries.reduce((n, e) => n + e.rows.length, 0), mode });
      return flush(entries, mode, flushes.length);
    },
    classify: classifyPgError,
    onFlushed: () => undefined,
    onRetry: () => undefined,
    onFatal: (error) => fatal.push(error),
    logger,
  });
  return { batcher, flushes, fatal };
}

describe('Batcher', () => {
  it('flushes as soon as the size bound is reached, gathering entries from several partitions', async () => {
    const h = harness(async (entries) => ok(entries));
    await Promise.all([h.batcher.submit(entry(4, 'a')), h.batcher.submit(entry(6, 'b'))]);
    expect(h.flushes).toEqual([{ records: 10, mode: 'copy' }]);
  });

  it('flushes a partial batch when the oldest record has waited the time bound', async () => {
    const h = harness(async (entries) => ok(entries), { maxWaitMs: 20 });
    await h.batcher.submit(entry(3));
    expect(h.flushes).toEqual([{ records: 3, mode: 'copy' }]);
  });

  it('never puts more than the size bound in one flush when entries fit', async () => {
    const h = harness(async (entries) => ok(entries), { maxRows: 10, maxWaitMs: 5 });
    await Promise.all([6, 6, 6].map((n, i) => h.batcher.submit(entry(n, `p${i}`))));
    expect(h.flushes.every((f) => f.records <= 10)).toBe(true);
    expect(h.flushes.reduce((n, f) => n + f.records, 0)).toBe(18);
  });

  it('does not report a batch committed until a retried flush succeeds', async () => {
    const h = harness(async (entries, _mode, attempt) => {
      if (attempt <= 3)
        throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      return ok(entries);
    });
    await h.batcher.submit(entry(10));
    expect(h.flushes).toHaveLength(4);
    expect(h.fatal).toEqual([]);
  });

  it('isolates rows after a data error instead of retrying the same batch forever', async () => {
    const h = harness(async (entries, mode) => {
      if (mode === 'copy') throw dbError('23514');
      return ok(entries);
    });
    await h.batcher.submit(entry(10));
    expect(h.flushes.map((f) => f.mode)).toEqual(['copy', 'isolating']);
  });

  it('rejects waiting batches on a fatal error, so their offsets are never committed', async () => {
    const h = harness(async () => {
      throw dbError('42P01');
    });
    await expect(h.batcher.submit(entry(10))).rejects.toBeInstanceOf(WriterStoppedError);
    await expect(h.batcher.submit(entry(1))).rejects.toBeInstanceOf(WriterStoppedError);
    expect(h.fatal).toHaveLength(1);
  });

  it('abandon() rejects a batch stuck in retries (drain timeout)', async () => {
    const h = harness(async () => {
      throw dbError('57P03');
    });
    const waiting = h.batcher.submit(entry(10));
    h.batcher.abandon(new WriterStoppedError('drain timed out'));
    await expect(waiting).rejects.toBeInstanceOf(WriterStoppedError);
  });

  it('runs up to maxInFlight flushes at once and still commits every entry', async () => {
    let running = 0;
    let most = 0;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const h = harness(
      async (entries) => {
        most = Math.max(most, ++running);
        if (most === 2) release();
        await gate;
        running--;
        return ok(entries);
      },
      { maxRows: 5, maxInFlight: 2 },
    );
    await Promise.all([0, 1, 2].map((i) => h.batcher.submit(entry(5, `c${i}`))));
    expect(most).toBe(2);
    expect(h.flushes.reduce((n, f) => n + f.records, 0)).toBe(15);
  });

  it('drain() flushes what waits without waiting for the time bound', async () => {
    const h = harness(async (entries) => ok(entries), { maxWaitMs: 60_000 });
    const waiting = h.batcher.submit(entry(2));
    h.batcher.drain();
    await waiting;
    expect(h.flushes).toEqual([{ records: 2, mode: 'copy' }]);
  });
});
