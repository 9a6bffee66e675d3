import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

/**
 * A tiny in-process chat server on the official socket.io Server that keeps Parley's protocol
 * contract (INTERFACES.md: join/message acks, broadcast to the room), for tests of the k6
 * scripts that must not depend on Kafka. The live-node tests cover the real server.
 */
export async function startContractServer(
  port: number,
): Promise<{ url: string; close: () => Promise<void> }> {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'] });
  io.on('connection', (socket) => {
    const user = String((socket.handshake.auth as { user?: unknown }).user ?? 'anonymous');
    socket.on('join', async (data: { room: string }, ack: (reply: unknown) => void) => {
      await socket.join(data.room);
      ack({ ok: true });
    });
    socket.on(
      'message',
      (data: { id: string; room: string; body: string }, ack: (reply: unknown) => void) => {
        const ts = Date.now();
        io.to(data.room).emit('message', {
          id: data.id,
          room: data.room,
          from: user,
          body: data.body,
          ts,
        });
        ack({ ok: true, id: data.id, ts });
      },
    );
  });
  await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}
