import { describe, expect, it, vi } from 'vitest';
import { createMetrics } from '../metrics.js';
import { countSlowDisconnect, guardUwsSend } from './slow-clients.js';

/** A stand-in for a uWS WebSocket whose send results the test scripts. */
function fakeSocket(results: number[]) {
  return {
    sent: [] as unknown[],
    ended: [] as [number | undefined, string | undefined][],
    send(message: unknown) {
      this.sent.push(message);
      return results.shift() ?? 1;
    },
    end(code?: number, reason?: string) {
      this.ended.push([code, reason]);
    },
    getBufferedAmount: () => 0,
  };
}

const counterValue = async (metrics: ReturnType<typeof createMetrics>, name: string) =>
  (await metrics.registry.getSingleMetric(name)?.get())?.values[0]?.value;

describe('guardUwsSend', () => {
  it('passes frames through while uWS accepts them', () => {
    const ws = fakeSocket([1, 0, 1]);
    const guarded = guardUwsSend(ws, createMetrics('t', false));

    expect([guarded.send('a'), guarded.send('b'), guarded.send('c')]).toEqual([1, 0, 1]);
    expect(ws.sent).toEqual(['a', 'b', 'c']);
    expect(ws.ended).toEqual([]);
  });

  it('never lets a dropped frame go unnoticed: counts it and closes the socket with 1013', async () => {
    vi.useFakeTimers();
    try {
      const metrics = createMetrics('t', false);
      const ws = fakeSocket([1, 2]);
      const guarded = guardUwsSend(ws, metrics);

      guarded.send('a');
      expect(guarded.send('b')).toBe(2);
      expect(guarded.send('c')).toBe(2); // nothing more reaches a socket that is closing
      expect(ws.sent).toEqual(['a', 'b']);

      vi.runAllTimers();
      expect(ws.ended).toEqual([[1013, 'slow consumer']]);
      expect(await counterValue(metrics, 'chat_slow_client_disconnects_total')).toBe(1);
      expect(await counterValue(metrics, 'chat_backpressure_drops_total')).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('delegates every other method to the socket itself', () => {
    const ws = fakeSocket([]);
    const guarded = guardUwsSend(ws, createMetrics('t', false));
    expect(guarded.getBufferedAmount()).toBe(0);
  });

  it('counts one slow client once when the sweep closed it and its close frame is then dropped', async () => {
    vi.useFakeTimers();
    try {
      const metrics = createMetrics('t', false);
      const ws = fakeSocket([2]);
      const guarded = guardUwsSend(ws, metrics);

      countSlowDisconnect(guarded, metrics); // the sweep noticed first
      guarded.send('close packet'); // then uWS drops what engine.io writes on disconnect
      vi.runAllTimers();

      expect(await counterValue(metrics, 'chat_slow_client_disconnects_total')).toBe(1);
      expect(await counterValue(metrics, 'chat_backpressure_drops_total')).toBe(1);
    } finally {
      vi.useRealTimers();
    }
  });
});
