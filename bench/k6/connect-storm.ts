/**
 * Connect storm: VUs ramp up fast, each opens a Socket.IO session on its node, joins a room,
 * holds it briefly and leaves; measures handshake-to-joined time. Targets k6 >= 1.0.
 */
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { nodeUrls, runChatSession, runPrefix, urlForVu } from './lib/socketio.ts';
import { summaryOutputs, type SummaryData } from './lib/summary.ts';

export const options = {
  scenarios: {
    storm: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: __ENV.RAMP ?? '20s', target: Number(__ENV.VUS ?? 1000) },
        { duration: __ENV.HOLD ?? '20s', target: Number(__ENV.VUS ?? 1000) },
      ],
    },
  },
  thresholds: {
    chat_connect_time: ['p(95)<1000'],
    chat_connect_errors: ['count<1'],
    checks: ['rate>0.99'],
  },
};

const connectTime = new Trend('chat_connect_time', true);
const connected = new Counter('chat_sessions_connected');
const errors = new Counter('chat_connect_errors');

export function setup(): { run: string } {
  return { run: runPrefix() };
}

export default async function connectStorm(data: { run: string }): Promise<void> {
  const vu = exec.vu.idInTest;
  const urls = nodeUrls();
  let ready = false;
  await runChatSession({
    url: urlForVu(vu, urls),
    user: `${data.run}-u${vu}`,
    rooms: [`${data.run}-storm-${vu % 50}`],
    sessionMs: Number(__ENV.HOLD_MS ?? 5000),
    onReady: (_session, connectMs) => {
      ready = true;
      connected.add(1);
      connectTime.add(connectMs);
    },
    onError: () => errors.add(1),
  });
  check(ready, { 'connected and joined': (r) => r });
}

export function handleSummary(data: SummaryData): { [path: string]: string } {
  return summaryOutputs('connect-storm', data);
}
