import { randomBytes } from 'node:crypto';
import { connect as tcpConnect, type Socket as TcpSocket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatNode } from '../src/index.js';
import { connect, createTopic, inProcessNode, request, uid, waitFor } from './helpers.js';

/** A masked client text frame (RFC 6455 §5.2), enough for short Engine.IO packets. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const mask = randomBytes(4);
  const header =
    payload.length < 126
      ? Buffer.from([0x81, 0x80 | payload.length])
      : Buffer.from([0x81, 0x80 | 126, payload.length >> 8, payload.length & 0xff]);
  const masked = Buffer.from(payload.map((byte, i) => byte ^ mask[i % 4]!));
  return Buffer.concat([header, mask, masked]);
}

/**
 * A websocket client that joins a room and then never reads: the kind of
 * client that would make uWS drop room messages silently.
 */
async function stalledClient(port: number, user: string, room: string): Promise<TcpSocket> {
  const socket = tcpConnect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  socket.on('error', () => undefined); // the server will cut it off
  await new Promise((resolve) => socket.once('connect', resolve));

  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  await waitFor('engine.io open packet', () => received.includes('"sid"'));
  socket.write(textFrame(`40${JSON.stringify({ user })}`));
  await waitFor('namespace connect', () => received.split('"sid"').length > 2);
  socket.write(textFrame(`420${JSON.stringify(['join', { room }])}`));
  await waitFor('join ack', () => received.includes('430[{"ok":true}]'));

  socket.pause(); // from here on, nothing is read: kernel buffers fill, then uWS's
  return socket;
}

describe('slow clients', () => {
  let node: ChatNode;

  beforeAll(async () => {
    node = await inProcessNode({
      PORT: '4140',
      NODE_ID: 'slow-client',
      KAFKA_TOPIC: await createTopic(),
      REDIS_CHANNEL_PREFIX: `parley-test-${uid()}`,
      MAX_BACKPRESSURE_BYTES: String(256 * 1024),
      SLOW_CLIENT_CHECK_MS: '200',
      RATE_LIMIT_PER_SEC: '10000',
      RATE_LIMIT_BURST: '10000',
    });
  });

  afterAll(async () => {
    await node?.close();
  });

  it('disconnects and counts a client that stops reading, while readers keep receiving', async () => {
    const room = `slow-${uid()}`;
    const stalled = await stalledClient(node.port, 'slowpoke', room);
    const closed = new Promise<void>((resolve) => stalled.once('close', () => resolve()));
    const sender = await connect(`http://127.0.0.1:${node.port}`, { user: 'speedy' });
    await request(sender, 'join', { room });
    let received = 0;
    sender.on('message', () => received++);

    const body = 'x'.repeat(4000);
    const slowDisconnects = async () =>
      (await node.metrics.registry.getSingleMetric('chat_slow_client_disconnects_total')?.get())
        ?.values[0]?.value ?? 0;
    let sent = 0;
    await waitFor(
      'the stalled client to be disconnected',
      async () => {
        if ((await slowDisconnects()) >= 1) return true;
        // Up to ~40 MB in total, in steps, until kernel buffers and the uWS limit are full.
        if (sent < 10_000) {
          await Promise.all(
            Array.from({ length: 100 }, () =>
              request(sender, 'message', { id: `s${sent++}`, room, body }),
            ),
          );
        }
        return false;
      },
      60_000,
    );
    stalled.resume(); // read what is left so the close arrives
    await closed;
    // The reading client misses nothing (its copies may trail the acks by a Redis round trip).
    await waitFor('every message at the reader', () => received === sent);
    expect(received).toBe(sent);
    sender.close();
  });
});
