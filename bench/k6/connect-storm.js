// @ts-check
/* global __ENV */
/**
 * Connect storm: VUs ramp up fast; each opens a Socket.IO session on its node, joins a room,
 * holds it for HOLD_MS and leaves. Measures connect-to-joined time. Targets k6 >= 1.0.
 */
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import { nodeUrls, runChatSession, runPrefix, urlForVu } from './lib/socketio.js';
import { summaryOutputs } from './lib/summary.js';

const vus = Number(__ENV.VUS ?? 1000);

export const options = {
  scenarios: {
    storm: {
      executor: 'ramping-vus',
      startVUs: 0,
      stages: [
        { duration: __ENV.RAMP ?? '20s', target: vus },
        { duration: __ENV.HOLD ?? '20s', target: vus },
      ],
    },
  },
  thresholds: {
    connect_time: ['p(95)<1000'],
    connect_errors: ['count<1'],
    checks: ['rate>0.99'],
  },
};

const connectTime = new Trend('connect_time', true);
const connected = new Counter('sessions_connected');
const errors = new Counter('connect_errors');

export function setup() {
  return { run: runPrefix() };
}

/** @param {{ run: string }} data */
export default async function connectStorm(data) {
  const vu = exec.vu.idInTest;
  let ready = false;
  await runChatSession({
    url: urlForVu(vu, nodeUrls()),
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

/** @param {import('./lib/summary.js').SummaryData} data */
export function handleSummary(data) {
  return summaryOutputs('connect-storm', data);
}
