// @ts-check
/* global __ENV */
/**
 * Soak: a steady, modest load for a long time (default 30 min); each iteration is one session
 * of SESSION_MS, so connections churn too. Watch node RSS and p99 drift in Grafana while it
 * runs. Targets k6 >= 1.0.
 */
import { check } from 'k6';
import exec from 'k6/execution';
import { Counter, Trend } from 'k6/metrics';
import {
  nodeUrls,
  runChatSession,
  runPrefix,
  sentAt,
  stampedBody,
  urlForVu,
} from './lib/socketio.js';
import { summaryOutputs } from './lib/summary.js';

const rooms = Number(__ENV.ROOMS ?? 50);

export const options = {
  scenarios: {
    soak: {
      executor: 'constant-vus',
      vus: Number(__ENV.VUS ?? 200),
      duration: __ENV.DURATION ?? '30m',
    },
  },
  thresholds: {
    delivery_latency: ['p(99)<250', 'p(99.9)<1000'],
    ack_errors: ['count<10'],
    checks: ['rate>0.999'],
  },
};

const deliveryLatency = new Trend('delivery_latency', true);
const sent = new Counter('messages_sent');
const received = new Counter('messages_received');
const ackErrors = new Counter('ack_errors');

export function setup() {
  return { run: runPrefix() };
}

/** @param {{ run: string }} data */
export default async function soak(data) {
  const vu = exec.vu.idInTest;
  const urls = nodeUrls();
  const user = `${data.run}-u${vu}`;
  const room = `${data.run}-r${Math.floor(vu / urls.length) % rooms}`;
  const iteration = exec.vu.iterationInScenario;
  let seq = 0;

  await runChatSession({
    url: urlForVu(vu, urls),
    user,
    rooms: [room],
    sessionMs: Number(__ENV.SESSION_MS ?? 60_000),
    onReady: (session) => {
      session.every(Number(__ENV.SEND_EVERY_MS ?? 2000), () => {
        sent.add(1);
        session.emit(
          'message',
          { id: `${user}-${iteration}-${seq++}`, room, body: stampedBody() },
          (ack) => {
            check(ack, { 'message acked': (a) => a.ok });
            if (!ack.ok) ackErrors.add(1);
          },
        );
      });
    },
    onMessage: (message) => {
      if (message.from === user) return;
      received.add(1);
      const at = sentAt(message.body);
      if (at !== undefined) deliveryLatency.add(Date.now() - at);
    },
    onError: () => ackErrors.add(1),
  });
}

/** @param {import('./lib/summary.js').SummaryData} data */
export function handleSummary(data) {
  return summaryOutputs('soak', data);
}
