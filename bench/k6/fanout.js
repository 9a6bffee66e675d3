// @ts-check
/* global __ENV */
/**
 * One big room (fan-out): every VU joins the same room on its node; the first SENDERS VUs send,
 * everyone receives. Measures fan-out latency to many members across nodes. Targets k6 >= 1.0.
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

const senders = Number(__ENV.SENDERS ?? 5);
const sendEveryMs = Number(__ENV.SEND_EVERY_MS ?? 500);

export const options = {
  scenarios: {
    fanout: {
      executor: 'per-vu-iterations',
      vus: Number(__ENV.VUS ?? 500),
      iterations: 1,
      maxDuration: '2m',
    },
  },
  thresholds: {
    delivery_latency: ['p(99)<500'],
    ack_errors: ['count<1'],
    checks: ['rate>0.99'],
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
export default async function fanout(data) {
  const vu = exec.vu.idInTest;
  const user = `${data.run}-u${vu}`;
  const room = `${data.run}-big`;
  let seq = 0;

  await runChatSession({
    url: urlForVu(vu, nodeUrls()),
    user,
    rooms: [room],
    sessionMs: Number(__ENV.SESSION_MS ?? 30_000),
    onReady: (session) => {
      if (vu > senders) return;
      session.every(sendEveryMs, () => {
        sent.add(1);
        session.emit('message', { id: `${user}-${seq++}`, room, body: stampedBody() }, (ack) => {
          check(ack, { 'message acked': (a) => a.ok });
          if (!ack.ok) ackErrors.add(1);
        });
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
  return summaryOutputs('fanout', data);
}
