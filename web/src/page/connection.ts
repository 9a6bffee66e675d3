import {
  ClientEvent,
  ServerEvent,
  type ChatError,
  type JoinAck,
  type SequencedMessage,
} from '@parley/protocol';
import { io, type Socket } from 'socket.io-client';
import { isChatMessage } from './history.js';

/**
 * `idle` before the first join or after leaving; `offline` when the browser
 * reports no network, the server refused us, or reconnection gave up.
 */
export type ConnectionState = 'idle' | 'connecting' | 'connected' | 'reconnecting' | 'offline';

export interface ConnectionListener {
  state(state: ConnectionState, detail: string | undefined): void;
  /** Every established connection; `reconnect` is false only for the first one. */
  connected(reconnect: boolean): void;
  message(message: SequencedMessage): void;
}

/** The outcome of an acknowledged emit; `transient` errors are worth sending again. */
export type AckResult<T> =
  { ok: true; value: T } | { ok: false; error: ChatError; transient: boolean };

/** The server acks within ACK_TIMEOUT_MS (default 5 s) even when Kafka is away; allow twice that. */
const ACK_TIMEOUT_MS = 10_000;

/** Codes after which the same send may well succeed later (INTERFACES.md error codes). */
const TRANSIENT_CODES = new Set<string>(['UNAVAILABLE', 'RATE_LIMITED']);

/**
 * One Socket.IO connection to the node that served the page, with its state
 * told in words. socket.io-client reconnects by itself with backoff, except
 * after the server closed the socket ("io server disconnect", as a node does
 * when it drains on SIGTERM): then it waits for us, so we ask again.
 */
export class Connection {
  #socket: Socket | undefined;
  #hasConnected = false;
  #state: ConnectionState = 'idle';

  constructor(private readonly listener: ConnectionListener) {
    window.addEventListener('offline', () => {
      if (this.#socket !== undefined && !this.#socket.connected) this.#set('offline', 'no network');
    });
    window.addEventListener('online', () => {
      if (this.#socket !== undefined && !this.#socket.connected) this.#socket.connect();
    });
  }

  get connected(): boolean {
    return this.#socket?.connected ?? false;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  /** Connects as `user` (AUTH_MODE=open handshake), replacing any previous connection. */
  open(user: string): void {
    this.close();
    this.#hasConnected = false;
    this.#set('connecting', undefined);

    const socket = io({
      auth: { user },
      reconnectionDelay: 500,
      reconnectionDelayMax: 5_000,
      timeout: 5_000,
    });
    this.#socket = socket;
    this.#wire(socket);
  }

  close(): void {
    if (this.#socket === undefined) return;
    this.#socket.removeAllListeners();
    this.#socket.io.removeAllListeners();
    this.#socket.disconnect();
    this.#socket = undefined;
    this.#set('idle', undefined);
  }

  /** With `after` (the last seq seen), the ack carries what was missed (issue 7 recovery). */
  join(room: string, after?: string): Promise<AckResult<JoinAck>> {
    const payload = after === undefined ? { room } : { room, after };
    return this.#emit(ClientEvent.Join, payload, (ack) => ({ value: ack as unknown as JoinAck }));
  }

  leave(room: string): Promise<AckResult<void>> {
    return this.#emit(ClientEvent.Leave, { room }, () => ({ value: undefined }));
  }

  /** Resolves once Kafka has the message (the ack's promise), with the server's `ts`. */
  send(id: string, room: string, body: string): Promise<AckResult<number>> {
    return this.#emit(ClientEvent.Message, { id, room, body }, (ack) =>
      typeof ack.ts === 'number' ? { value: ack.ts } : undefined,
    );
  }

  #wire(socket: Socket): void {
    socket.on('connect', () => {
      const reconnect = this.#hasConnected;
      this.#hasConnected = true;
      this.#set('connected', undefined);
      this.listener.connected(reconnect);
    });

    socket.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') return;
      this.#set('reconnecting', describeDrop(reason));
      if (reason === 'io server disconnect') socket.connect();
    });

    socket.on('connect_error', (error: Error & { data?: { code?: unknown } }) => {
      // A refused handshake (bad name) will be refused again: stop and say why.
      if (error.data?.code === 'UNAUTHORIZED' || !socket.active) {
        this.#set('offline', error.message);
        return;
      }
      if (!navigator.onLine) this.#set('offline', 'no network');
      else this.#set(this.#hasConnected ? 'reconnecting' : 'connecting', error.message);
    });

    socket.io.on('reconnect_attempt', (attempt) => {
      if (!navigator.onLine) return;
      this.#set(this.#hasConnected ? 'reconnecting' : 'connecting', `attempt ${attempt}`);
    });
    socket.io.on('reconnect_failed', () => this.#set('offline', 'gave up reconnecting'));

    socket.on(ServerEvent.Message, (payload: unknown) => {
      if (isChatMessage(payload)) this.listener.message(payload);
    });
  }

  #emit<T>(event: string, payload: object, pick: Picker<T>): Promise<AckResult<T>> {
    const socket = this.#socket;
    if (socket === undefined || !socket.connected) {
      return Promise.resolve(notConnected());
    }

    return new Promise((resolve) => {
      socket.timeout(ACK_TIMEOUT_MS).emit(event, payload, (err: Error | null, ack: unknown) => {
        if (err !== null) {
          // Dropped connections fail their acks at once (socket.io-client's _clearAcks).
          const message = socket.connected ? 'no answer from the server' : 'connection lost';
          resolve({ ok: false, error: { code: 'UNAVAILABLE', message }, transient: true });
          return;
        }
        resolve(parseAck(ack, pick));
      });
    });
  }

  #set(state: ConnectionState, detail: string | undefined): void {
    this.#state = state;
    this.listener.state(state, detail);
  }
}

/** Takes the value out of a successful ack, or undefined when the ack lacks it. */
type Picker<T> = (ack: Record<string, unknown>) => { value: T } | undefined;

function parseAck<T>(ack: unknown, pick: Picker<T>): AckResult<T> {
  if (typeof ack !== 'object' || ack === null) return malformed();
  const record = ack as Record<string, unknown>;

  if (record.ok === true) {
    const picked = pick(record);
    return picked === undefined ? malformed() : { ok: true, value: picked.value };
  }
  const error = record.error as Partial<ChatError> | undefined;
  if (typeof error?.code !== 'string' || typeof error.message !== 'string') return malformed();
  return {
    ok: false,
    error: error as ChatError,
    transient: TRANSIENT_CODES.has(error.code),
  };
}

function malformed<T>(): AckResult<T> {
  return {
    ok: false,
    error: { code: 'INVALID', message: 'the server sent an unexpected answer' },
    transient: false,
  };
}

function notConnected<T>(): AckResult<T> {
  return { ok: false, error: { code: 'UNAVAILABLE', message: 'not connected' }, transient: true };
}

/** socket.io-client's disconnect reasons, in words a reader understands. */
function describeDrop(reason: string): string {
  switch (reason) {
    case 'io server disconnect':
      return 'closed by the server';
    case 'ping timeout':
      return 'the server stopped answering';
    case 'transport close':
      return 'connection closed';
    case 'transport error':
      return 'connection error';
    default:
      return reason;
  }
}
