import { RecoveryCursor, type JoinAck, type SequencedMessage } from '@parley/protocol';
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
  /** The message's place in its room's recovery window, when the node keeps one. */
  seq?: string;
}

export type WireProtocol = 'socketio' | 'raw';

export function createChatClient(protocol: WireProtocol, url: string, user: string): ChatClient {
  return protocol === 'socketio' ? new SocketIoChatClient(url, user) : new RawChatClient(url, user);
}

interface AckReply {
  ok?: boolean;
  error?: { code?: string };
}

/** How long after a rejoin live copies of recovered messages are still recognised as such. */
const RECOVERY_OVERLAP_MS = 10_000;

/**
 * Parley's chat protocol (INTERFACES.md) over the lean Socket.IO client, `AUTH_MODE=open`.
 * After a reconnect it rejoins with `after` (the last seq it heard in the room) and delivers the
 * join ack's `missed` (docs/protocol.md, "Recovery"). Ids are remembered only from a reconnect
 * until RECOVERY_OVERLAP_MS after the rejoin, to dedupe the overlap of `missed` and the live
 * stream without an id set per connection for the whole run.
 */
class SocketIoChatClient implements ChatClient {
  private readonly socket: LeanSocket;
  private readonly lastSeq = new Map<string, string>();
  private handler: ((message: IncomingMessage) => void) | undefined;
  private recovering: RecoveryCursor | undefined;

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
    const after = this.recovering === undefined ? undefined : this.lastSeq.get(room);
    const payload = after === undefined ? { room } : { room, after };
    const reply = (await this.socket.emitWithAck('join', payload)) as
      (AckReply & Partial<JoinAck>) | undefined;
    if (reply?.ok !== true)
      throw new Error(`join ${room} refused: ${reply?.error?.code ?? 'no reply'}`);

    const cursor = this.recovering;
    if (cursor === undefined) return;
    for (const message of cursor.merge(reply.missed ?? [])) this.deliver(message);
    setTimeout(() => {
      if (this.recovering === cursor) this.recovering = undefined;
    }, RECOVERY_OVERLAP_MS).unref();
  }

  send(message: OutgoingMessage, onAck: (ok: boolean, code?: string) => void): boolean {
    return this.socket.emit('message', message, (reply) => {
      const ack = reply as AckReply | undefined;
      onAck(ack?.ok === true, ack?.error?.code);
    });
  }

  onMessage(handler: (message: IncomingMessage) => void): void {
    this.handler = handler;
    this.socket.on('message', (args) => {
      const message = args[0] as IncomingMessage;
      if (this.recovering?.accept(message as SequencedMessage) === false) return;
      this.deliver(message);
    });
  }

  onReconnect(handler: () => void): void {
    this.socket.onConnect = (reconnected) => {
      if (!reconnected) return;
      this.recovering = new RecoveryCursor();
      handler();
    };
  }

  private deliver(message: IncomingMessage): void {
    // The latest seq heard, not the highest: cheaper per message, and a lower `after` only
    // brings back copies that the rejoin dedupes.
    if (message.seq !== undefined) this.lastSeq.set(message.room, message.seq);
    this.handler?.(message);
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
