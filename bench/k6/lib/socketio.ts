/**
 * Socket.IO v5 over Engine.IO v4, spoken over k6's WebSocket API (`k6/websockets`, k6 >= 1.0).
 * k6 has no Socket.IO client, so the scripts frame packets themselves, exactly like the bench's
 * lean client (bench/src/client/framing.ts; https://socket.io/docs/v4/socket-io-protocol/):
 *   server `0{sid,...}` (open)  -> client `40{"user":...}` (connect with auth)
 *   server `40{sid}` (connected) | `44{message}` (refused)
 *   server `2` (ping)           -> client `3` (pong)
 *   client `42<ackId>["message",{...}]` -> server `43<ackId>[{ok,...}]`
 *   server `42["message",{id,room,from,body,ts}]` to every member of the room
 * Plain k6 JavaScript: no Node APIs, no URL class (k6 has none without a jslib import).
 */
import { WebSocket } from 'k6/websockets';
import { clearInterval, clearTimeout, setInterval, setTimeout } from 'k6/timers';

/** The node base URLs (`PARLEY_URLS=http://127.0.0.1:3001,http://127.0.0.1:3002`). */
export function nodeUrls(): string[] {
  const raw = __ENV.PARLEY_URLS ?? 'http://127.0.0.1:3001';
  return raw
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
}

/** Spreads virtual users over the nodes round-robin: VU n talks to node n mod N. */
export function urlForVu(vu: number, urls: string[] = nodeUrls()): string {
  return urls[vu % urls.length] ?? 'http://127.0.0.1:3001';
}

export function engineUrl(baseUrl: string): string {
  const ws = baseUrl.replace(/^http/, 'ws').replace(/\/+$/, '');
  return `${ws}/socket.io/?EIO=4&transport=websocket`;
}

export function encodeEvent(name: string, data: unknown, ackId?: number): string {
  return `42${ackId === undefined ? '' : String(ackId)}${JSON.stringify([name, data])}`;
}

export type Frame =
  | { kind: 'open' }
  | { kind: 'ping' }
  | { kind: 'connect' }
  | { kind: 'connect_error'; message: string }
  | { kind: 'event'; name: string; data: unknown }
  | { kind: 'ack'; ackId: number; data: unknown }
  | { kind: 'other' };

/** Decodes one text frame from the server. */
export function decodeFrame(text: string): Frame {
  if (text === '2') return { kind: 'ping' };
  if (text.startsWith('0')) return { kind: 'open' };
  if (text.startsWith('40')) return { kind: 'connect' };
  if (text.startsWith('44')) {
    const data = JSON.parse(text.slice(2)) as { message?: string };
    return { kind: 'connect_error', message: data.message ?? 'refused' };
  }
  if (text.startsWith('42')) {
    const args = JSON.parse(text.slice(text.indexOf('['))) as [string, unknown];
    return { kind: 'event', name: args[0], data: args[1] };
  }
  if (text.startsWith('43')) {
    const start = text.indexOf('[');
    const args = JSON.parse(text.slice(start)) as unknown[];
    return { kind: 'ack', ackId: Number(text.slice(2, start)), data: args[0] };
  }
  return { kind: 'other' };
}

export interface ChatMessage {
  id: string;
  room: string;
  from: string;
  body: string;
  ts: number;
}

export interface Ack {
  ok: boolean;
  error?: { code: string; message: string };
}

export interface ChatSessionOptions {
  url: string;
  user: string;
  /** Rooms joined right after connecting. */
  rooms: string[];
  /** Closes the session after this long. */
  sessionMs: number;
  /** Called once connected and every room is joined (elapsed ms since the socket was created). */
  onReady?: (session: ChatSession, connectMs: number) => void;
  onMessage?: (message: ChatMessage) => void;
  onError?: (reason: string) => void;
}

/** One Socket.IO session of one virtual user, with acks matched by id. */
export class ChatSession {
  private nextAckId = 0;
  private readonly pending: { [ackId: number]: (ack: Ack) => void } = {};
  private readonly timers: number[] = [];

  constructor(private readonly ws: WebSocket) {}

  emit(name: string, data: unknown, onAck?: (ack: Ack) => void): void {
    if (onAck === undefined) {
      this.ws.send(encodeEvent(name, data));
      return;
    }
    const ackId = this.nextAckId++;
    this.pending[ackId] = onAck;
    this.ws.send(encodeEvent(name, data, ackId));
  }

  /** Runs `fn` every `ms` until the session closes. */
  every(ms: number, fn: () => void): void {
    this.timers.push(setInterval(fn, ms));
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.ws.close();
  }

  /** @internal */
  settle(ackId: number, ack: Ack): void {
    const callback = this.pending[ackId];
    delete this.pending[ackId];
    callback?.(ack);
  }
}

/**
 * Connects, joins `rooms`, hands the session to `onReady`, and resolves when the socket closes
 * (after `sessionMs`, or earlier on error). k6 ends an async iteration when the promise settles.
 */
export function runChatSession(options: ChatSessionOptions): Promise<void> {
  return new Promise((resolve) => {
    const started = Date.now();
    const ws = new WebSocket(engineUrl(options.url));
    const session = new ChatSession(ws);
    let joinsLeft = options.rooms.length;
    const stop = setTimeout(() => session.close(), options.sessionMs);

    const ready = (): void => options.onReady?.(session, Date.now() - started);
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
            session.emit('join', { room }, (ack) => {
              if (!ack.ok) options.onError?.(`join ${room}: ${ack.error?.code ?? 'refused'}`);
              joinsLeft -= 1;
              if (joinsLeft === 0) ready();
            });
          }
          break;
        case 'connect_error':
          options.onError?.(`connect: ${frame.message}`);
          session.close();
          break;
        case 'event':
          if (frame.name === 'message') options.onMessage?.(frame.data as ChatMessage);
          break;
        case 'ack':
          session.settle(frame.ackId, frame.data as Ack);
          break;
      }
    };
    ws.onerror = (event) => options.onError?.(`websocket: ${event?.error ?? 'error'}`);
    ws.onclose = () => {
      clearTimeout(stop);
      session.close();
      resolve();
    };
  });
}

/** Message bodies carry the sender's clock so any VU can compute delivery latency (one k6 process). */
export function stampedBody(): string {
  return `k6 ${Date.now()}`;
}

export function sentAt(body: string): number | undefined {
  const match = /^k6 (\d+)$/.exec(body);
  return match === null ? undefined : Number(match[1]);
}

/** A run-unique prefix, so ids and rooms never collide with other runs. */
export function runPrefix(): string {
  return __ENV.RUN_ID ?? `k6${Date.now().toString(36)}`;
}
