import WebSocket from 'ws';
import { LeanSocket } from './lean-socket.js';

/** What the generator needs of a connection, whichever wire protocol the target speaks. */
export interface ChatClient {
  readonly connected: boolean;
  readonly reconnects: number;
  connect(): Promise<void>;
  /** Resolves when the target confirms the join; rejects with its error code. */
  join(room: string): Promise<void>;
  /** Sends one message; `onAck` gets the target's verdict (`code` is the error code if not ok). */
  send(message: OutgoingMessage, onAck: (ok: boolean, code?: string) => void): boolean;
  onMessage(handler: (message: IncomingMessage) => void): void;
  /** Called after a reconnect, so the generator can rejoin its rooms. */
  onReconnect(handler: () => void): void;
  close(): void;
}

export interface OutgoingMessage {
  id: string;
  room: string;
  body: string;
}

export interface IncomingMessage {
  id: string;
  room: string;
  from: string;
}

export type WireProtocol = 'socketio' | 'raw';

export function createChatClient(protocol: WireProtocol, url: string, user: string): ChatClient {
  return protocol === 'socketio' ? new SocketIoChatClient(url, user) : new RawChatClient(url, user);
}

interface AckReply {
  ok?: boolean;
  error?: { code?: string };
}

/** Parley's chat protocol (INTERFACES.md) over the lean Socket.IO client, `AUTH_MODE=open`. */
class SocketIoChatClient implements ChatClient {
  private readonly socket: LeanSocket;

  constructor(url: string, user: string) {
    this.socket = new LeanSocket({ url, auth: { user } });
  }

  get connected(): boolean {
    return this.socket.connected;
  }

  get reconnects(): number {
    return this.socket.reconnects;
  }

  connect(): Promise<void> {
    return this.socket.connect();
  }

  async join(room: string): Promise<void> {
    const reply = (await this.socket.emitWithAck('join', { room })) as AckReply | undefined;
    if (reply?.ok !== true)
      throw new Error(`join ${room} refused: ${reply?.error?.code ?? 'no reply'}`);
  }

  send(message: OutgoingMessage, onAck: (ok: boolean, code?: string) => void): boolean {
    return this.socket.emit('message', message, (reply) => {
      const ack = reply as AckReply | undefined;
      onAck(ack?.ok === true, ack?.error?.code);
    });
  }

  onMessage(handler: (message: IncomingMessage) => void): void {
    this.socket.on('message', (args) => handler(args[0] as IncomingMessage));
  }

  onReconnect(handler: () => void): void {
    this.socket.onConnect = (reconnected) => {
      if (reconnected) handler();
    };
  }

  close(): void {
    this.socket.close();
  }
}

/**
 * The raw uWebSockets.js target's JSON protocol (see targets/raw-uws.ts): one JSON object per
 * frame, `t` says what it is. Acks are matched by message id, joins by room.
 */
class RawChatClient implements ChatClient {
  connected = false;
  reconnects = 0;
  private ws: WebSocket | undefined;
  private messageHandler: ((message: IncomingMessage) => void) | undefined;
  private readonly acks = new Map<string, (ok: boolean, code?: string) => void>();
  private readonly joins = new Map<string, () => void>();

  constructor(
    private readonly url: string,
    private readonly user: string,
  ) {}

  connect(): Promise<void> {
    const target = new URL('/raw', this.url);
    target.protocol = 'ws:';
    target.searchParams.set('user', this.user);
    const ws = new WebSocket(target, { perMessageDeflate: false });
    this.ws = ws;

    ws.on('message', (raw: WebSocket.RawData) => this.onFrame(raw.toString()));
    ws.on('close', () => {
      this.connected = false;
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        this.connected = true;
        resolve();
      });
      ws.once('error', reject);
    });
  }

  join(room: string): Promise<void> {
    return new Promise((resolve) => {
      this.joins.set(room, resolve);
      this.ws?.send(JSON.stringify({ t: 'join', room }));
    });
  }

  send(message: OutgoingMessage, onAck: (ok: boolean, code?: string) => void): boolean {
    if (!this.connected || this.ws === undefined) return false;
    this.acks.set(message.id, onAck);
    this.ws.send(JSON.stringify({ t: 'msg', ...message }));
    return true;
  }

  onMessage(handler: (message: IncomingMessage) => void): void {
    this.messageHandler = handler;
  }

  onReconnect(): void {
    // The raw target is the ceiling measurement; a dropped connection there is reported as lost.
  }

  close(): void {
    this.ws?.close();
    this.connected = false;
  }

  private onFrame(text: string): void {
    const frame = JSON.parse(text) as { t: string; id?: string; room?: string; from?: string };
    if (frame.t === 'msg') {
      this.messageHandler?.(frame as IncomingMessage);
    } else if (frame.t === 'ack' && frame.id !== undefined) {
      this.acks.get(frame.id)?.(true);
      this.acks.delete(frame.id);
    } else if (frame.t === 'joined' && frame.room !== undefined) {
      this.joins.get(frame.room)?.();
      this.joins.delete(frame.room);
    }
  }
}
