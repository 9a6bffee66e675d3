import { randomUUID } from 'node:crypto';
import { io, type Socket } from 'socket.io-client';

type Ack = { ok: boolean; error?: { code: string } };

/**
 * Light chat traffic against one node: a few clients in one room, each sending
 * a message per tick, plus one message the node must refuse, so that the
 * accepted, delivered, rejected and latency series all move.
 */
export class ChatTraffic {
  private readonly sockets: Socket[] = [];
  acked = 0;
  rejected = 0;
  received = 0;

  private constructor(private readonly room: string) {}

  static async connect(url: string, clients: number, tag: string): Promise<ChatTraffic> {
    const traffic = new ChatTraffic(`obs-${tag}`);
    for (let i = 0; i < clients; i++) {
      const socket = io(url, {
        transports: ['websocket'],
        auth: { user: `obs-${tag}-${i}` },
        reconnection: false,
      });
      socket.on('message', () => {
        traffic.received += 1;
      });
      traffic.sockets.push(socket);

      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const ack = (await socket.timeout(10_000).emitWithAck('join', { room: traffic.room })) as Ack;
      if (!ack.ok) throw new Error(`join refused: ${JSON.stringify(ack)}`);
    }
    return traffic;
  }

  /** One message from every client; answers when every acknowledgement has arrived. */
  async tick(): Promise<void> {
    await Promise.all(
      this.sockets.map(async (socket) => {
        const ack = (await socket
          .timeout(10_000)
          .emitWithAck('message', { id: randomUUID(), room: this.room, body: 'watching' })) as Ack;
        if (ack.ok) this.acked += 1;
      }),
    );

    // An id with characters outside [A-Za-z0-9_-]: the node answers INVALID.
    const first = this.sockets[0];
    if (first) {
      const ack = (await first
        .timeout(10_000)
        .emitWithAck('message', { id: 'not valid!', room: this.room, body: 'x' })) as Ack;
      if (!ack.ok) this.rejected += 1;
    }
  }

  close(): void {
    for (const socket of this.sockets) socket.disconnect();
  }
}
