import { io, type Socket } from 'socket.io-client';

export interface Received {
  id: string;
  room: string;
  from: string;
  body: string;
  ts: number;
}

interface Ack {
  ok: boolean;
  id?: string;
  error?: { code: string };
}

/**
 * A well-behaved chat client as issue 7 asks of one: it keeps every message it
 * sent until the node acknowledged it, and when its node goes away it connects
 * to the next URL, joins its rooms again and resends each unacknowledged
 * message with the SAME id, which is the idempotency key end to end. Error acks
 * (UNAVAILABLE while a dependency is down) are retried too, so the only way a
 * message is never acknowledged is that the test ends first.
 */
export class ChatClient {
  /** Ids the node answered `ok` for, with the time of the first ok. */
  readonly acked = new Map<string, number>();
  /** Messages sent and not acknowledged yet, by id. */
  readonly pending = new Map<string, { room: string; body: string }>();
  readonly received: Received[] = [];
  /** Error codes the node answered with, counted. */
  readonly errors = new Map<string, number>();
  /** Epoch ms of each (re)connect after the first. */
  readonly reconnects: number[] = [];
  private socket: Socket | undefined;
  private urlIndex = 0;
  private closed = false;
  private readonly rooms = new Set<string>();

  constructor(
    readonly user: string,
    private readonly urls: string[],
    private readonly ackTimeoutMs = 8000,
    /** `websocket` (default) or `polling` (HTTP long-polling only). */
    private readonly transport: 'websocket' | 'polling' = 'websocket',
  ) {}

  get url(): string {
    return this.urls[this.urlIndex % this.urls.length] ?? '';
  }

  get connected(): boolean {
    return this.socket?.connected === true;
  }

  /** Connects to the current URL; on failure moves on to the next one until `deadlineMs`. */
  async connect(deadlineMs = 30_000): Promise<void> {
    const until = Date.now() + deadlineMs;
    for (;;) {
      try {
        await this.open(this.url);
        return;
      } catch (error) {
        if (this.closed || Date.now() > until) throw error;
        this.urlIndex += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }

  private async open(url: string): Promise<void> {
    const socket = io(url, {
      auth: { user: this.user },
      transports: [this.transport],
      forceNew: true,
      reconnection: false,
      timeout: 5000,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('connect_error', (error) => {
        socket.close();
        reject(error);
      });
    });
    socket.on('message', (m: Received) => this.received.push(m));
    socket.on('disconnect', () => void this.failOver());
    this.socket = socket;

    for (const room of this.rooms) await this.join(room);
    for (const [id, m] of this.pending) this.emit(id, m.room, m.body);
  }

  /** The node went away: try the next URL (its peer), then resend what is pending. */
  private async failOver(): Promise<void> {
    if (this.closed) return;
    this.urlIndex += 1;
    await this.connect().catch(() => undefined);
    if (!this.closed) this.reconnects.push(Date.now());
  }

  async join(room: string): Promise<void> {
    this.rooms.add(room);
    const ack = (await this.socket?.timeout(this.ackTimeoutMs).emitWithAck('join', { room })) as
      Ack | undefined;
    if (ack?.ok !== true) throw new Error(`join ${room} refused: ${JSON.stringify(ack)}`);
  }

  /** Sends a message and keeps it pending until an ok arrives (resent on reconnect). */
  send(id: string, room: string, body: string): void {
    this.pending.set(id, { room, body });
    this.emit(id, room, body);
  }

  private emit(id: string, room: string, body: string): void {
    const socket = this.socket;
    if (socket === undefined || !socket.connected) return; // resent on the next connect
    socket
      .timeout(this.ackTimeoutMs)
      .emitWithAck('message', { id, room, body })
      .then(
        (ack: Ack) => {
          if (ack.ok) {
            if (!this.acked.has(id)) this.acked.set(id, Date.now());
            this.pending.delete(id);
            return;
          }
          const code = ack.error?.code ?? 'UNKNOWN';
          this.errors.set(code, (this.errors.get(code) ?? 0) + 1);
        },
        () => this.errors.set('TIMEOUT', (this.errors.get('TIMEOUT') ?? 0) + 1),
      );
  }

  /** Resends everything still pending on the current connection (after error acks). */
  retryPending(): void {
    for (const [id, m] of this.pending) this.emit(id, m.room, m.body);
  }

  close(): void {
    this.closed = true;
    this.socket?.close();
  }
}
