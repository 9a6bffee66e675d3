// @ts-check
/* global __ENV */
/**
 * Socket.IO v5 over Engine.IO v4, spoken over k6's WebSocket API (`k6/websockets`, k6 >= 1.0).
 * k6 has no Socket.IO client, so the scripts frame packets themselves, exactly like the bench's
 * lean client (bench/src/client/framing.ts; https://socket.io/docs/v4/socket-io-protocol/):
 *   server `0{sid,...}` (open)  -> client `40{"user":...}` (connect with auth)
 *   server `40{sid}` (connected) | `44{message}` (refused)
 *   server `2` (ping)           -> client `3` (pong)
 *   client `42<ackId>["message",{...}]` -> server `43<ackId>[{ok,...}]`
 *   server `42["message",{id,room,from,body,ts,seq}]` to every member of the room
 * Each session rejoins with `after` from a cursor (last seq per room) that the VU keeps across its
 * sessions, i.e. across reconnects, and delivers the join ack's `missed`, deduped by id against the live stream
 * (docs/protocol.md, "Recovery").
 * Plain k6 JavaScript, type-checked against @types/k6 (bench/k6/tsconfig.json): no Node APIs,
 * no URL class (k6 has none without a jslib import).
 */
import { WebSocket } from 'k6/websockets';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'k6/timers';

/**
 * @typedef {{ id: string, room: string, from: string, body: string, ts: number, seq?: string }} ChatMessage
 * @typedef {{ ok: boolean, error?: { code: string, message: string }, missed?: ChatMessage[] }} Ack
 * @typedef {{ kind: 'open' } | { kind: 'ping' } | { kind: 'connect' }
 *   | { kind: 'connect_error', message: string } | { kind: 'event', name: string, data: unknown }
 *   | { kind: 'ack', ackId: number, data: unknown } | { kind: 'other' }} Frame
 */

/**
 * The node base URLs (`PARLEY_URLS=http://127.0.0.1:3001,http://127.0.0.1:3002`).
 * @returns {string[]}
 */
export function nodeUrls() {
  const raw = __ENV.PARLEY_URLS ?? 'http://127.0.0.1:3001';
  return raw
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

/**
 * Spreads virtual users over the nodes round-robin: VU n talks to node n mod N.
 * @param {number} vu
 * @param {string[]} [urls]
 * @returns {string}
 */
export function urlForVu(vu, urls = nodeUrls()) {
  return urls[vu % urls.length] ?? 'http://127.0.0.1:3001';
}

/** @param {string} baseUrl */
export function engineUrl(baseUrl) {
  const ws = baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '');
  return `${ws}/socket.io/?EIO=4&transport=websocket`;
}

/**
 * @param {string} name
 * @param {unknown} data
 * @param {number} [ackId]
 */
export function encodeEvent(name, data, ackId) {
  return `42${ackId === undefined ? '' : String(ackId)}${JSON.stringify([name, data])}`;
}

/**
 * Decodes one text frame from the server.
 * @param {string} text
 * @returns {Frame}
 */
export function decodeFrame(text) {
  if (text === '2') return { kind: 'ping' };
  if (text.startsWith('0')) return { kind: 'open' };
  if (text.startsWith('40')) return { kind: 'connect' };
  if (text.startsWith('44')) {
    const data = /** @type {{ message?: string }} */ (JSON.parse(text.slice(2)));
    return { kind: 'connect_error', message: data.message ?? 'refused' };
  }
  if (text.startsWith('42')) {
    const args = /** @type {[string, unknown]} */ (JSON.parse(text.slice(text.indexOf('['))));
    return { kind: 'event', name: args[0], data: args[1] };
  }
  if (text.startsWith('43')) {
    const start = text.indexOf('[');
    const args = /** @type {unknown[]} */ (JSON.parse(text.slice(start)));
    return { kind: 'ack', ackId: Number(text.slice(2, start)), data: args[0] };
  }
  return { kind: 'other' };
}

/** One Socket.IO session of one virtual user, with acks matched by id. */
export class ChatSession {
  /** @param {WebSocket} ws */
  constructor(ws) {
    this.ws = ws;
    this.nextAckId = 0;
    /** @type {{ [ackId: number]: (ack: Ack) => void }} */
    this.pending = {};
    /** @type {number[]} */
    this.timers = [];
    this.closed = false;
  }

  /**
   * @param {string} name
   * @param {unknown} data
   * @param {(ack: Ack) => void} [onAck]
   */
  emit(name, data, onAck) {
    if (this.closed) return;
    if (onAck === undefined) {
      this.ws.send(encodeEvent(name, data));
      return;
    }
    const ackId = this.nextAckId++;
    this.pending[ackId] = onAck;
    this.ws.send(encodeEvent(name, data, ackId));
  }

  /**
   * Runs `fn` every `ms` until the session closes.
   * @param {number} ms
   * @param {() => void} fn
   */
  every(ms, fn) {
    this.timers.push(setInterval(fn, ms));
  }

  close() {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    if (!this.closed) this.ws.close();
    this.closed = true;
  }

  /**
   * @param {number} ackId
   * @param {Ack} ack
   */
  settle(ackId, ack) {
    const callback = this.pending[ackId];
    delete this.pending[ackId];
    if (callback !== undefined) callback(ack);
  }
}

/**
 * @typedef {object} ChatSessionOptions
 * @property {string} url node base URL
 * @property {string} user handshake `auth.user` (AUTH_MODE=open)
 * @property {string[]} rooms joined right after connecting
 * @property {number} sessionMs the session closes after this long
 * @property {(session: ChatSession, connectMs: number) => void} [onReady] connected and joined
 * @property {{ [room: string]: string }} [cursor] last seq heard per room; updated, and sent as
 *   `after` when joining, so the next session gets what was missed in between. Default: one
 *   cursor per VU (k6 gives every VU its own module instance)
 * @property {(message: ChatMessage) => void} [onMessage]
 * @property {(reason: string) => void} [onError]
 */

/** @type {{ [room: string]: string }} */
const vuCursor = {};

/**
 * Connects, joins `rooms`, hands the session to `onReady`, and resolves when the socket closes
 * (after `sessionMs`, or earlier on error). k6 ends an async iteration when the promise settles.
 * @param {ChatSessionOptions} options
 * @returns {Promise<void>}
 */
export function runChatSession(options) {
  return new Promise((resolve) => {
    const started = Date.now();
    const ws = new WebSocket(engineUrl(options.url));
    const session = new ChatSession(ws);
    let joinsLeft = options.rooms.length;
    const stop = setTimeout(() => session.close(), options.sessionMs);
    const ready = () => options.onReady?.(session, Date.now() - started);
    const cursor = options.cursor ?? vuCursor;
    // Ids heard since connecting, kept until the rejoin's overlap with the live stream has passed.
    /** @type {{ [id: string]: true } | undefined} */
    let overlap = {};
    /** @type {number | undefined} */
    let forget;
    /** @param {ChatMessage} message */
    const deliver = (message) => {
      if (overlap !== undefined) {
        if (overlap[message.id] === true) return;
        overlap[message.id] = true;
      }
      if (message.seq !== undefined) cursor[message.room] = message.seq;
      options.onMessage?.(message);
    };

    ws.onmessage = (event) => {
      const frame = decodeFrame(String(event?.data ?? ''));
      switch (frame.kind) {
        case 'open':
          ws.send(`40${JSON.stringify({ user: options.user })}`);
          break;
        case 'ping':
          ws.send('3');
          break;
        case 'connect':
          if (joinsLeft === 0) ready();
          for (const room of options.rooms) {
            const after = cursor[room];
            session.emit('join', after === undefined ? { room } : { room, after }, (ack) => {
              if (!ack.ok) options.onError?.(`join ${room}: ${ack.error?.code ?? 'refused'}`);
              for (const message of ack.missed ?? []) deliver(message);
              joinsLeft -= 1;
              if (joinsLeft > 0) return;
              ready();
              forget = setTimeout(() => (overlap = undefined), 10_000);
            });
          }
          break;
        case 'connect_error':
          options.onError?.(`connect: ${frame.message}`);
          session.close();
          break;
        case 'event':
          if (frame.name === 'message') deliver(/** @type {ChatMessage} */ (frame.data));
          break;
        case 'ack':
          session.settle(frame.ackId, /** @type {Ack} */ (frame.data));
          break;
      }
    };
    ws.onerror = (event) => options.onError?.(`websocket: ${event?.error ?? 'error'}`);
    ws.onclose = () => {
      clearTimeout(stop);
      if (forget !== undefined) clearTimeout(forget);
      session.closed = true;
      session.close();
      resolve();
    };
  });
}

/** Message bodies carry the sender's clock so any VU can compute delivery latency (one k6 process). */
export function stampedBody() {
  return `k6 ${Date.now()}`;
}

/**
 * @param {string} body
 * @returns {number | undefined}
 */
export function sentAt(body) {
  const match = /^k6 (\d+)$/.exec(body);
  return match === null ? undefined : Number(match[1]);
}

/** A run-unique prefix from setup(), so ids and rooms never collide with other runs. */
export function runPrefix() {
  return __ENV.RUN_ID ?? `k6${Date.now().toString(36)}`;
}
