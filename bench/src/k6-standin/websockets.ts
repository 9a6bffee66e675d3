// STAND-IN for `k6/websockets`, tests only: see registry.ts. The browser-style WebSocket k6
// offers, implemented over the `ws` package; text frames only.
import NodeWebSocket from 'ws';

interface MessageEvent {
  data: string;
  type: number;
  timestamp: number;
}

export class WebSocket {
  onopen: () => void = () => undefined;
  onmessage: (event?: MessageEvent) => void = () => undefined;
  onclose: () => void = () => undefined;
  onerror: (event?: { error: string; type: number; timestamp: number }) => void = () => undefined;
  private readonly socket: NodeWebSocket;

  constructor(readonly url: string) {
    this.socket = new NodeWebSocket(url, { perMessageDeflate: false });
    this.socket.on('open', () => this.onopen());
    this.socket.on('message', (data: NodeWebSocket.RawData) =>
      this.onmessage({ data: data.toString(), type: 1, timestamp: Date.now() }),
    );
    this.socket.on('close', () => this.onclose());
    this.socket.on('error', (error) =>
      this.onerror({ error: error.message, type: 0, timestamp: Date.now() }),
    );
  }

  get readyState(): number {
    return this.socket.readyState;
  }

  send(data: string): void {
    if (this.socket.readyState === NodeWebSocket.OPEN) this.socket.send(data);
  }

  close(): void {
    if (
      this.socket.readyState === NodeWebSocket.OPEN ||
      this.socket.readyState === NodeWebSocket.CONNECTING
    ) {
      this.socket.close();
    }
  }
}
