import WebSocket from 'ws';

/**
 * A bare Engine.IO v4 / Socket.IO v5 websocket, spoken frame by frame, so a
 * test can send what no real client library would: the fuzzer's hostile
 * frames, or a client that stops reading. Engine.IO pings ("2") are answered
 * with pongs ("3") so a connection stays up as long as the test wants it.
 */
export class RawSocket {
  readonly frames: string[] = [];
  private nextAck = 0;
  private readonly acks = new Map<number, (value: unknown) => void>();
  closedWith: number | undefined;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      if (text === '2') return ws.send('3');
      this.frames.push(text);
      const ack = /^43(\d+)(.*)$/s.exec(text);
      if (ack !== null) {
        const resolve = this.acks.get(Number(ack[1]));
        this.acks.delete(Number(ack[1]));
        resolve?.((JSON.parse(ack[2] ?? '[]') as unknown[])[0]);
      }
    });
    ws.on('close', (code) => (this.closedWith = code));
  }

  /** Opens the websocket and, unless `connect` is false, joins namespace `/` as `user`. */
  static async open(
    url: string,
    user: string,
    { connect = true, headers = {} }: { connect?: boolean; headers?: Record<string, string> } = {},
  ): Promise<RawSocket> {
    const wsUrl = `${url.replace(/^http/, 'ws')}/socket.io/?EIO=4&transport=websocket`;
    const ws = new WebSocket(wsUrl, { headers });
    const socket = new RawSocket(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    if (!connect) return socket;

    ws.send(`40${JSON.stringify({ user })}`);
    await socket.until((f) => f.startsWith('40{'), 5000);
    return socket;
  }

  get open(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  send(frame: string | Buffer): void {
    if (this.open) this.ws.send(frame);
  }

  /** Sends bytes as a text frame even when they are not UTF-8 (which RFC 6455 forbids). */
  sendText(bytes: Buffer): void {
    if (this.open) this.ws.send(bytes, { binary: false });
  }

  /** Resolves once the connection is closed, or after `timeoutMs` while it stays open. */
  async closedWithin(timeoutMs: number): Promise<boolean> {
    const until = Date.now() + timeoutMs;
    while (this.open && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    return !this.open;
  }

  /** Emits `event` with an ack id and resolves to the ack's first argument. */
  request(event: string, payload: unknown, timeoutMs = 5000): Promise<unknown> {
    const id = (this.nextAck += 1);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no ack for ${event}`)), timeoutMs);
      this.acks.set(id, (value) => {
        clearTimeout(timer);
        resolve(value);
      });
      this.send(`42${id}${JSON.stringify([event, payload])}`);
    });
  }

  /** Resolves once a received frame satisfies `match`. */
  async until(match: (frame: string) => boolean, timeoutMs: number): Promise<string> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.find(match);
      if (found !== undefined) return found;
      if (!this.open || Date.now() > until) throw new Error('frame not received');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Stops reading from the TCP socket: the kernel buffers fill, then the server's. */
  stall(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  close(): void {
    this.ws.terminate();
  }
}
