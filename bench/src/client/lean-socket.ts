import WebSocket from 'ws';
import {
  DISCONNECT_FRAME,
  EngineType,
  decodeSocketPacket,
  encodeAck,
  encodeConnect,
  encodeEvent,
  engineUrl,
} from './framing.js';

/**
 * A minimal Socket.IO v5 client over one plain WebSocket, for the load generator. A thousand
 * `socket.io-client` instances cost the generator more CPU and memory than the server under
 * test (issue 5), so this client skips polling, upgrades, binary packets, namespaces and
 * buffering: it opens the WebSocket transport directly, answers pings, emits events with
 * optional acks, and reconnects with capped backoff.
 */
export interface LeanSocketOptions {
  /** The node's base URL, e.g. `http://127.0.0.1:3001`. */
  url: string;
  /** Handshake `auth` payload, e.g. `{ user }` for `AUTH_MODE=open`. */
  auth?: Record<string, unknown>;
  /** Reconnect after an unexpected close. Default true. */
  reconnect?: boolean;
  /** First reconnect delay; doubles up to `maxReconnectDelayMs`. Default 200. */
  reconnectDelayMs?: number;
  /** Default 5000. */
  maxReconnectDelayMs?: number;
  /** How long a connect may take before it fails. Default 10000. */
  connectTimeoutMs?: number;
}

export type AckCallback = (...args: unknown[]) => void;
export type EventHandler = (args: unknown[], ack: AckCallback | undefined) => void;

export class LeanSocket {
  /** Socket.IO session id of the current connection, empty while disconnected. */
  id = '';
  connected = false;
  reconnects = 0;
  pingsAnswered = 0;

  /** Called after every successful (re)connect, before queued work resumes. */
  onConnect: ((reconnected: boolean) => void) | undefined;
  onDisconnect: ((reason: string) => void) | undefined;

  private ws: WebSocket | undefined;
  private closedByUser = false;
  private everConnected = false;
  private nextAckId = 0;
  private readonly acks = new Map<number, AckCallback>();
  private readonly handlers = new Map<string, EventHandler>();
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly options: Required<Omit<LeanSocketOptions, 'auth'>> &
    Pick<LeanSocketOptions, 'auth'>;

  constructor(options: LeanSocketOptions) {
    this.options = {
      reconnect: true,
      reconnectDelayMs: 200,
      maxReconnectDelayMs: 5000,
      connectTimeoutMs: 10_000,
      ...options,
    };
  }

  /** Resolves on the first Socket.IO `connect`; rejects on a connect error or timeout. */
  connect(): Promise<void> {
    this.closedByUser = false;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.ws?.terminate();
        reject(new Error(`connect to ${this.options.url} timed out`));
      }, this.options.connectTimeoutMs);
      this.open((error) => {
        clearTimeout(timer);
        if (error === undefined) resolve();
        else reject(error);
      });
    });
  }

  /** Registers the one handler of a server event (the generator needs no more than one). */
  on(event: string, handler: EventHandler): void {
    this.handlers.set(event, handler);
  }

  emit(event: string, data: unknown, ack?: AckCallback): boolean {
    if (!this.connected || this.ws === undefined) return false;

    let ackId: number | undefined;
    if (ack !== undefined) {
      ackId = this.nextAckId++;
      this.acks.set(ackId, ack);
    }
    this.ws.send(encodeEvent(event, data, ackId));
    return true;
  }

  /** Emits and resolves with the ack's first argument; rejects when not acked in time. */
  emitWithAck(event: string, data: unknown, timeoutMs = 10_000): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no ack for ${event} in ${timeoutMs} ms`)),
        timeoutMs,
      );
      const sent = this.emit(event, data, (first) => {
        clearTimeout(timer);
        resolve(first);
      });
      if (!sent) {
        clearTimeout(timer);
        reject(new Error('not connected'));
      }
    });
  }

  /** Acks still awaited; they are dropped, not failed, when the connection drops. */
  get pendingAcks(): number {
    return this.acks.size;
  }

  close(): void {
    this.closedByUser = true;
    clearTimeout(this.retryTimer);
    if (this.ws !== undefined && this.ws.readyState === WebSocket.OPEN) {
      this.ws.send(DISCONNECT_FRAME);
      this.ws.close();
    } else this.ws?.terminate();
    this.connected = false;
  }

  /** Drops the transport without a goodbye, as a network fault would; reconnect applies. */
  dropTransport(): void {
    this.ws?.terminate();
  }

  private open(done?: (error?: Error) => void): void {
    const ws = new WebSocket(engineUrl(this.options.url), { perMessageDeflate: false });
    this.ws = ws;
    let settled = false;
    const settle = (error?: Error): void => {
      if (settled) return;
      settled = true;
      done?.(error);
    };

    ws.on('message', (raw: WebSocket.RawData) => {
      const error = this.onFrame(ws, raw.toString());
      if (error !== undefined) {
        settle(error);
        ws.terminate();
      } else if (this.connected) settle();
    });
    ws.on('error', (error) => settle(error));
    ws.on('close', () => this.onClose(ws, settled, settle));
  }

  private onFrame(ws: WebSocket, text: string): Error | undefined {
    switch (text[0]) {
      case EngineType.Open:
        // The open packet's pingInterval/pingTimeout need no timer here: we only answer pings.
        ws.send(encodeConnect(this.options.auth));
        return undefined;
      case EngineType.Ping:
        // The v4 heartbeat is server-initiated: answer every ping or the server closes us.
        this.pingsAnswered += 1;
        ws.send(EngineType.Pong);
        return undefined;
      case EngineType.Close:
        ws.close();
        return undefined;
      case EngineType.Message:
        return this.onPacket(ws, text.slice(1));
      default:
        return undefined;
    }
  }

  private onPacket(ws: WebSocket, text: string): Error | undefined {
    const packet = decodeSocketPacket(text);
    if (packet === undefined) return undefined;

    switch (packet.type) {
      case 'connect': {
        const reconnected = this.everConnected;
        this.id = packet.sid;
        this.connected = true;
        this.everConnected = true;
        if (reconnected) this.reconnects += 1;
        this.onConnect?.(reconnected);
        return undefined;
      }
      case 'connect_error':
        this.closedByUser = true;
        return new Error(`connect error: ${packet.message}`);
      case 'disconnect':
        ws.close();
        return undefined;
      case 'ack': {
        const ack = this.acks.get(packet.ackId);
        this.acks.delete(packet.ackId);
        ack?.(...packet.args);
        return undefined;
      }
      case 'event': {
        const { ackId } = packet;
        const reply =
          ackId === undefined ? undefined : (...args: unknown[]) => ws.send(encodeAck(ackId, args));
        this.handlers.get(packet.name)?.(packet.args, reply);
        return undefined;
      }
    }
  }

  private onClose(ws: WebSocket, settled: boolean, settle: (error?: Error) => void): void {
    if (ws !== this.ws) return;
    const wasConnected = this.connected;
    this.connected = false;
    this.id = '';
    this.acks.clear();
    if (wasConnected) this.onDisconnect?.('transport close');
    if (!settled) settle(new Error(`connection to ${this.options.url} closed before connect`));

    // Failed reconnect attempts are rescheduled by `scheduleReconnect`, not here.
    if (this.closedByUser || !this.options.reconnect || !wasConnected) return;
    this.scheduleReconnect(this.options.reconnectDelayMs);
  }

  private scheduleReconnect(delayMs: number): void {
    this.retryTimer = setTimeout(() => {
      if (this.closedByUser) return;
      this.open((error) => {
        if (error !== undefined && !this.closedByUser) {
          this.scheduleReconnect(Math.min(delayMs * 2, this.options.maxReconnectDelayMs));
        }
      });
    }, delayMs);
  }
}
