import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import {
  createChatClient,
  type ChatClient,
  type IncomingMessage,
  type WireProtocol,
} from '../client/chat-client.js';
import { LatencyHistogram, roundMs, type Percentiles } from '../measure/histogram.js';

/**
 * The simulated users: connect, join, send at a steady rate, and account for every message.
 *
 * All clients live in this one process, so the sender's send time and the receiver's arrival
 * time come from the same monotonic clock (`performance.now()`): the delivery latency needs no
 * clock sync and no timestamp in the payload. Client `i` talks to node `i % nodes` and joins
 * room `floor(i / nodes) % rooms`, so every room has members on every node and most deliveries
 * cross a node boundary (which is what Redis pub/sub is for).
 */
export interface WorkloadOptions {
  /** Base URLs of the nodes, e.g. `http://127.0.0.1:3001`. */
  urls: string[];
  protocol: WireProtocol;
  clients: number;
  rooms: number;
  durationS: number;
  /** Messages per client per second. */
  ratePerClient: number;
  /** Prefix of every room, user and message id of this run, so its rows can be counted. */
  runId: string;
  /** Concurrent connection attempts. Default 50. */
  connectConcurrency?: number;
  /** How long to wait for in-flight acks and deliveries after the send phase. Default 10000. */
  drainTimeoutMs?: number;
  /** Called once per second during the send phase. */
  onTick?: (tick: Tick) => void;
  /** Called after connect + join, before the warm-up (e.g. to sample node memory). */
  onConnected?: () => Promise<void>;
  /** Seconds of untracked sending before the measured phase. Default 3. */
  warmupS?: number;
  /** Called when the measured send phase starts (e.g. to sample node CPU). */
  onSendStart?: () => Promise<void>;
  /** Called when the send phase ends, before the drain. */
  onSendEnd?: () => void;
}

export interface Tick {
  second: number;
  sentPerSec: number;
  deliveredPerSec: number;
  p50Ms: number;
  p99Ms: number;
  connections: number;
  errors: number;
}

export interface WorkloadResult {
  clients: number;
  rooms: number;
  connected: number;
  connectFailures: number;
  joinFailures: number;
  connectMs: Percentiles;
  durationS: number;
  sent: number;
  acked: number;
  ackErrors: Record<string, number>;
  delivered: number;
  expected: number;
  lost: number;
  duplicates: number;
  misrouted: number;
  reconnects: number;
  deliveriesPerSec: number;
  latencyMs: Percentiles;
  /** Deliveries where sender and receiver sat on different nodes (all of them with one node). */
  crossNodeDeliveries: number;
  ackMs: Percentiles;
  latencyBuckets: { upToMs: number; count: number }[];
  timeline: Tick[];
  generatorCpuPercent: number;
  generatorEventLoopP99Ms: number;
  /** Ids of the messages acked ok, to check them one by one in PostgreSQL. Not part of the JSON. */
  ackedIds: Set<string>;
}

interface Member {
  index: number;
  node: number;
  room: string;
  client: ChatClient;
}

/** One message in flight: who sent it, and which members have seen it. */
interface Tracked {
  sentAtMs: number;
  sender: number;
  acked: boolean;
  /** Receiver indices; duplicates are detected here. */
  receivedBy: Set<number>;
}

export async function runWorkload(options: WorkloadOptions): Promise<WorkloadResult> {
  const nodes = options.urls.length;
  const members = buildMembers(options);

  // 1. Connect with bounded concurrency, timing each handshake.
  const connectMs = new LatencyHistogram();
  let connectFailures = 0;
  await forEachLimited(members, options.connectConcurrency ?? 50, async (member) => {
    const started = performance.now();
    try {
      await member.client.connect();
      connectMs.recordMs(performance.now() - started);
    } catch {
      connectFailures += 1;
    }
  });

  // 2. Join: every member joins its one room, and rejoins it after a reconnect. Only members
  //    that joined count as recipients: a client that never got in cannot lose a message.
  let joinFailures = 0;
  const roomSize = new Map<string, number>();
  await forEachLimited(members, options.connectConcurrency ?? 50, async (member) => {
    if (!member.client.connected) return;
    member.client.onReconnect(() => void member.client.join(member.room).catch(() => undefined));
    try {
      await member.client.join(member.room);
      roomSize.set(member.room, (roomSize.get(member.room) ?? 0) + 1);
    } catch {
      joinFailures += 1;
    }
  });
  await options.onConnected?.();
  await warmUp(members, options);
  await options.onSendStart?.();

  // 3. Account for every delivery as it arrives.
  const tracked = new Map<string, Tracked>();
  const latency = new LatencyHistogram();
  const secondLatency = new LatencyHistogram();
  const ackLatency = new LatencyHistogram();
  const counts = { delivered: 0, duplicates: 0, misrouted: 0, foreign: 0, crossNode: 0 };
  const ackErrors: Record<string, number> = {};
  for (const member of members) {
    member.client.onMessage((message: IncomingMessage) => {
      const now = performance.now();
      if (message.room !== member.room) counts.misrouted += 1;

      const entry = tracked.get(message.id);
      if (entry === undefined) {
        counts.foreign += 1;
        return;
      }
      // A node may echo a message to its own sender; that is not a delivery to another user.
      if (entry.sender === member.index) return;
      if (entry.receivedBy.has(member.index)) {
        counts.duplicates += 1;
        return;
      }

      entry.receivedBy.add(member.index);
      counts.delivered += 1;
      const senderNode = entry.sender % nodes;
      if (nodes === 1 || senderNode !== member.node) {
        counts.crossNode += 1;
        latency.recordMs(now - entry.sentAtMs);
        secondLatency.recordMs(now - entry.sentAtMs);
      }
    });
  }

  // 4. Send at the set rate: a 10 ms ticker hands out the messages due so far, round-robin.
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const totalRate = options.clients * options.ratePerClient;
  const counters = { sent: 0, acked: 0, ackFailures: 0, cursor: 0, seq: 0 };
  const timeline: Tick[] = [];
  let lastTick = { sent: 0, delivered: 0 };

  const sendDue = (final = false): void => {
    // The last call uses the full duration: a timer may fire a fraction of a ms early.
    const elapsedS = final ? options.durationS : (performance.now() - started) / 1000;
    const due = Math.min(elapsedS, options.durationS) * totalRate - counters.sent;
    for (let i = 0; i < Math.floor(due); i += 1) {
      const member = nextConnected(members, counters);
      if (member === undefined) return;
      sendOne(member);
    }
  };

  const sendOne = (member: Member): void => {
    const id = `${options.runId}-${member.index}-${counters.seq++}`;
    const entry: Tracked = {
      sentAtMs: performance.now(),
      sender: member.index,
      acked: false,
      receivedBy: new Set(),
    };
    tracked.set(id, entry);
    counters.sent += 1;
    member.client.send({ id, room: member.room, body: `bench ${id}` }, (ok, code) => {
      if (ok) {
        entry.acked = true;
        counters.acked += 1;
        ackLatency.recordMs(performance.now() - entry.sentAtMs);
      } else {
        counters.ackFailures += 1;
        ackErrors[code ?? 'UNKNOWN'] = (ackErrors[code ?? 'UNKNOWN'] ?? 0) + 1;
      }
    });
  };

  const ticker = setInterval(() => sendDue(), 10);
  const reporter = setInterval(() => {
    const tick: Tick = {
      second: timeline.length + 1,
      sentPerSec: counters.sent - lastTick.sent,
      deliveredPerSec: counts.delivered - lastTick.delivered,
      p50Ms: secondLatency.percentileMs(50),
      p99Ms: secondLatency.percentileMs(99),
      connections: members.filter((m) => m.client.connected).length,
      errors: counters.ackFailures + connectFailures + joinFailures,
    };
    lastTick = { sent: counters.sent, delivered: counts.delivered };
    secondLatency.reset();
    timeline.push(tick);
    options.onTick?.(tick);
  }, 1000);

  await new Promise((resolve) => setTimeout(resolve, options.durationS * 1000));
  clearInterval(ticker);
  sendDue(true);
  const sendPhaseMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  loopDelay.disable();
  options.onSendEnd?.();

  // 5. Drain: wait for outstanding acks, then for every expected delivery, within a deadline.
  const expectedOf = (): number => {
    let expected = 0;
    for (const entry of tracked.values()) {
      if (entry.acked) expected += (roomSize.get(roomOf(entry, members)) ?? 1) - 1;
    }
    return expected;
  };
  const drainDeadline = performance.now() + (options.drainTimeoutMs ?? 10_000);
  while (performance.now() < drainDeadline) {
    const acksDone = counters.acked + counters.ackFailures >= counters.sent;
    if (acksDone && deliveredToAcked(tracked) >= expectedOf()) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  clearInterval(reporter);
  for (const member of members) member.client.close();

  const expected = expectedOf();
  const deliveredAcked = deliveredToAcked(tracked);
  return {
    clients: options.clients,
    rooms: options.rooms,
    connected: options.clients - connectFailures,
    connectFailures,
    joinFailures,
    connectMs: connectMs.percentiles(),
    durationS: options.durationS,
    sent: counters.sent,
    acked: counters.acked,
    ackErrors,
    delivered: counts.delivered,
    expected,
    lost: Math.max(0, expected - deliveredAcked),
    duplicates: counts.duplicates,
    misrouted: counts.misrouted,
    reconnects: members.reduce((sum, m) => sum + m.client.reconnects, 0),
    deliveriesPerSec: Math.round(counts.delivered / (sendPhaseMs / 1000)),
    latencyMs: latency.percentiles(),
    crossNodeDeliveries: counts.crossNode,
    ackMs: ackLatency.percentiles(),
    latencyBuckets: latency.buckets(),
    timeline,
    generatorCpuPercent: Math.round(((cpu.user + cpu.system) / 1000 / sendPhaseMs) * 1000) / 10,
    generatorEventLoopP99Ms: roundMs(loopDelay.percentile(99) / 1e6),
    ackedIds: new Set([...tracked].filter(([, entry]) => entry.acked).map(([id]) => id)),
  };
}

/**
 * Sends at the set rate for `warmupS` seconds with ids outside the run's prefix (`<runId>w-`),
 * so JIT, connection pools and Kafka partition leaders are warm before anything is measured.
 * Their deliveries are not tracked and their rows are not counted.
 */
async function warmUp(members: Member[], options: WorkloadOptions): Promise<void> {
  const warmupS = options.warmupS ?? 3;
  if (warmupS <= 0) return;

  const rate = options.clients * options.ratePerClient;
  const state = { cursor: 0, sent: 0, settled: 0 };
  const started = performance.now();
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const elapsedS = (performance.now() - started) / 1000;
      const due = Math.min(elapsedS, warmupS) * rate - state.sent;
      for (let i = 0; i < Math.floor(due); i += 1) {
        const member = nextConnected(members, state);
        if (member === undefined) break;
        const id = `${options.runId}w-${member.index}-${state.sent++}`;
        member.client.send({ id, room: member.room, body: 'warm-up' }, () => (state.settled += 1));
      }
      if (elapsedS >= warmupS) {
        clearInterval(timer);
        resolve();
      }
    }, 10);
  });

  const deadline = performance.now() + 10_000;
  while (state.settled < state.sent && performance.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function buildMembers(options: WorkloadOptions): Member[] {
  const nodes = options.urls.length;
  return Array.from({ length: options.clients }, (_, index) => {
    const node = index % nodes;
    const room = `${options.runId}-r${Math.floor(index / nodes) % options.rooms}`;
    const url = options.urls[node] as string;
    return {
      index,
      node,
      room,
      client: createChatClient(options.protocol, url, `${options.runId}-u${index}`),
    };
  });
}

function roomOf(entry: Tracked, members: Member[]): string {
  return members[entry.sender]?.room ?? '';
}

function deliveredToAcked(tracked: Map<string, Tracked>): number {
  let count = 0;
  for (const entry of tracked.values()) if (entry.acked) count += entry.receivedBy.size;
  return count;
}

function nextConnected(members: Member[], counters: { cursor: number }): Member | undefined {
  for (let tries = 0; tries < members.length; tries += 1) {
    const member = members[counters.cursor % members.length];
    counters.cursor += 1;
    if (member?.client.connected === true) return member;
  }
  return undefined;
}

async function forEachLimited<T>(
  items: T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  });
  await Promise.all(lanes);
}
