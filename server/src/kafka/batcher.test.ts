import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BatcherError, LingerBatcher } from './batcher.js';

/** A send whose completion the test controls. */
function controlledSend() {
  const batches: number[][] = [];
  const pending: { resolve: () => void; reject: (e: Error) => void }[] = [];
  const send = (items: number[]) =>
    new Promise<void>((resolve, reject) => {
      batches.push(items);
      pending.push({ resolve, reject });
    });
  return { batches, pending, send };
}

function batcher(send: (items: number[]) => Promise<void>, overrides = {}) {
  return new LingerBatcher<number>({
    lingerMs: 5,
    maxBatch: 3,
    maxPending: 10,
    timeoutMs: 1000,
    send,
    ...overrides,
  });
}

async function failureOf(promise: Promise<void>): Promise<string> {
  try {
    await promise;
    return 'resolved';
  } catch (error) {
    return error instanceof BatcherError ? error.code : 'other';
  }
}

describe('LingerBatcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('collects items submitted within the linger into one send', async () => {
    const s = controlledSend();
    const b = batcher(s.send);
    const results = [b.submit(1), b.submit(2)];

    expect(s.batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(5);
    expect(s.batches).toEqual([[1, 2]]);

    s.pending[0]?.resolve();
    await expect(Promise.all(results)).resolves.toEqual([undefined, undefined]);
  });

  it('sends a full batch at once and caps its size', async () => {
    const s = controlledSend();
    const b = batcher(s.send);
    for (const n of [1, 2, 3, 4]) void b.submit(n).catch(() => undefined);

    expect(s.batches).toEqual([[1, 2, 3]]);
  });

  it('never resolves an item before its batch was accepted', async () => {
    const s = controlledSend();
    const b = batcher(s.send, { lingerMs: 0 });
    let resolved = false;
    void b.submit(1).then(() => (resolved = true));

    await vi.advanceTimersByTimeAsync(500);
    expect(resolved).toBe(false);

    s.pending[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(resolved).toBe(true);
  });

  it('keeps one send in flight and sends what queued meanwhile right after it', async () => {
    const s = controlledSend();
    const b = batcher(s.send, { lingerMs: 0 });
    void b.submit(1);
    void b.submit(2);
    void b.submit(3);

    expect(s.batches).toEqual([[1]]);
    s.pending[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.batches).toEqual([[1], [2, 3]]);
  });

  it('refuses new items with `full` once maxPending wait', async () => {
    const s = controlledSend();
    const b = batcher(s.send, { maxPending: 2 });
    void b.submit(1).catch(() => undefined);
    void b.submit(2).catch(() => undefined);

    expect(await failureOf(b.submit(3))).toBe('full');
  });

  it('fails every item of a batch whose send failed', async () => {
    const s = controlledSend();
    const b = batcher(s.send, { lingerMs: 0, maxBatch: 5 });
    const first = failureOf(b.submit(1));
    const later = [b.submit(2), b.submit(3)].map(failureOf);

    s.pending[0]?.reject(new Error('broker down'));
    expect(await first).toBe('send_failed');

    await vi.advanceTimersByTimeAsync(0);
    s.pending[1]?.resolve();
    expect(await Promise.all(later)).toEqual(['resolved', 'resolved']);
  });

  it('times out an item that waits too long and does not send it afterwards', async () => {
    const s = controlledSend();
    const b = batcher(s.send, { lingerMs: 0, timeoutMs: 100 });
    const inFlight = failureOf(b.submit(1));
    const queued = failureOf(b.submit(2));

    await vi.advanceTimersByTimeAsync(100);
    expect(await inFlight).toBe('timeout');
    expect(await queued).toBe('timeout');

    s.pending[0]?.resolve();
    await vi.advanceTimersByTimeAsync(0);
    expect(s.batches).toEqual([[1]]);
    expect(b.pending).toBe(0);
  });

  it('drain sends what is queued, then refuses new items', async () => {
    const s = controlledSend();
    const b = batcher(s.send, { lingerMs: 50 });
    const queued = b.submit(1);

    const drained = b.drain();
    expect(s.batches).toEqual([[1]]);
    s.pending[0]?.resolve();
    await drained;

    await expect(queued).resolves.toBeUndefined();
    expect(await failureOf(b.submit(2))).toBe('closed');
  });
});
