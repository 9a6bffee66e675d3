import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startContractServer } from './chat-server.js';
import { recorded, resetRecorded, values } from './registry.js';

/**
 * Runs each k6 script's flow once under the k6 STAND-IN modules (see registry.ts) against an
 * in-process socket.io server keeping Parley's protocol contract. Several VUs run at once so
 * deliveries between VUs (the latency Trend) are exercised.
 */
interface K6Script {
  options: { thresholds: Record<string, string[]> };
  setup: () => { run: string };
  default: (data: { run: string }) => Promise<void>;
  handleSummary: (data: { metrics: Record<string, unknown> }) => Record<string, string>;
}

const env = globalThis as unknown as { __ENV: Record<string, string> };
let server: Awaited<ReturnType<typeof startContractServer>>;

async function load(name: string): Promise<K6Script> {
  // A computed path keeps tsc from pulling the k6-typed scripts into this project's build.
  const path = `../../k6/${name}.js`;
  return (await import(/* @vite-ignore */ path)) as K6Script;
}

async function runVus(script: K6Script, vus: number): Promise<void> {
  const data = script.setup();
  const runs: Promise<void>[] = [];
  for (let vu = 1; vu <= vus; vu += 1) {
    recorded.vu = vu;
    runs.push(script.default(data));
  }
  await Promise.all(runs);
}

describe('k6 scripts under the k6 stand-in', () => {
  beforeAll(async () => {
    server = await startContractServer(4311);
    env.__ENV = {
      PARLEY_URLS: `${server.url},${server.url}`,
      SESSION_MS: '1500',
      HOLD_MS: '300',
      SEND_EVERY_MS: '100',
      ROOMS: '1',
      SENDERS: '2',
      K6_SUMMARY_DIR: '/tmp',
    };
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => resetRecorded());

  it('room-chat: every VU sends, others receive, and delivery latency is recorded', async () => {
    const script = await load('room-chat');
    await runVus(script, 4);

    expect(values('messages_sent').length).toBeGreaterThan(10);
    expect(values('messages_received').length).toBeGreaterThan(values('messages_sent').length);
    expect(values('delivery_latency').length).toBe(values('messages_received').length);
    expect(values('ack_errors')).toEqual([]);
    expect(recorded.checks.every((c) => c.ok)).toBe(true);
    expect(Object.keys(script.options.thresholds)).toContain('delivery_latency');
  });

  it('connect-storm: every VU connects and joins, and connect time is recorded per VU', async () => {
    const script = await load('connect-storm');
    await runVus(script, 10);

    expect(values('sessions_connected')).toHaveLength(10);
    expect(values('connect_time')).toHaveLength(10);
    expect(values('connect_errors')).toEqual([]);
    expect(recorded.checks.filter((c) => c.ok)).toHaveLength(10);
  });

  it('fanout: only the senders send and every other member receives their messages', async () => {
    const script = await load('fanout');
    env.__ENV.SESSION_MS = '1500';
    await runVus(script, 6);

    const sent = values('messages_sent').length;
    expect(sent).toBeGreaterThan(4);
    // Each message reaches the 5 members other than its sender, give or take the last in flight.
    expect(values('messages_received').length).toBeGreaterThanOrEqual((sent - 2) * 5);
    expect(values('ack_errors')).toEqual([]);
  });

  it('soak: a session sends, receives and records latency like room-chat', async () => {
    const script = await load('soak');
    env.__ENV.SEND_EVERY_MS = '100';
    await runVus(script, 3);

    expect(values('messages_sent').length).toBeGreaterThan(5);
    expect(values('delivery_latency').length).toBeGreaterThan(0);
    expect(values('ack_errors')).toEqual([]);
  });

  it('handleSummary writes the JSON summary and a digest of the chat metrics', async () => {
    const script = await load('room-chat');
    const outputs = script.handleSummary({
      metrics: { messages_sent: { type: 'counter', values: { count: 3 } } },
    });

    expect(JSON.parse(outputs['/tmp/k6-room-chat.json'] ?? '')).toHaveProperty('metrics');
    expect(outputs.stdout).toContain('messages_sent: count=3');
  });
});
