// @ts-check
/* global __ENV */
/**
 * Room chat: every VU joins one of ROOMS rooms (members on every node, since VUs are spread
 * round-robin), sends every SEND_EVERY_MS, and measures the delivery latency of everyone else's
 * messages. Targets k6 >= 1.0: `k6 run bench/k6/room-chat.js` (docs/bench.md).
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

const rooms = Number(__ENV.ROOMS ?? 20);
const sendEveryMs = Number(__ENV.SEND_EVERY_MS ?? 1000);
const sessionMs = Number(__ENV.SESSION_MS ?? 20_000);

export const options = {
  scenarios: {
    chat: {
      executor: 'constant-vus',
      vus: Number(__ENV.VUS ?? 100),
      duration: __ENV.DURATION ?? '1m',
    },
  },
  thresholds: {
    delivery_latency: ['p(99)<250'],
    ack_latency: ['p(99)<250'],
    ack_errors: ['count<1'],
    checks: ['rate>0.99'],
  },
};

// Names match the load-test dashboard (k6_delivery_latency_p99 via Prometheus remote write).
const deliveryLatency = new Trend('delivery_latency', true);
const ackLatency = new Trend('ack_latency', true);
const sent = new Counter('messages_sent');
const received = new Counter('messages_received');
const ackErrors = new Counter('ack_errors');

export function setup() {
  return { run: runPrefix() };
}

/** @param {{ run: string }} data */
export default async function roomChat(data) {
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
    sessionMs,
    onReady: (session) => {
      session.every(sendEveryMs, () => {
        const started = Date.now();
        sent.add(1);
        session.emit(
          'message',
          { id: `${user}-${iteration}-${seq++}`, room, body: stampedBody() },
          (ack) => {
            check(ack, { 'message acked': (a) => a.ok });
            if (ack.ok) ackLatency.add(Date.now() - started);
            else ackErrors.add(1);
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
  return summaryOutputs('room-chat', data);
}
