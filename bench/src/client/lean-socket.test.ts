import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/wait.js';
import { LeanSocket } from './lean-socket.js';

/**
 * Contract: the lean generator client against the official socket.io Server (stock node:http,
 * websocket transport), so the bench measures the same protocol real clients speak.
 */
describe('LeanSocket against an official socket.io server', () => {
  let http: HttpServer;
  let io: Server;
  let url: string;
  const serverSockets: Socket[] = [];

  beforeAll(async () => {
    http = createServer();
    // A short heartbeat so the ping/pong test proves several rounds within its deadline.
    io = new Server(http, { pingInterval: 100, pingTimeout: 300, transports: ['websocket'] });
    io.use((socket, next) => {
      const auth = socket.handshake.auth as { user?: unknown };
      if (auth.user === 'forbidden') next(new Error('not allowed'));
      else next();
    });
    io.on('connection', (socket) => {
      serverSockets.push(socket);
      socket.data.user = (socket.handshake.auth as { user?: string }).user;
      socket.on('echo', (data: unknown, ack?: (reply: unknown) => void) =>
        ack?.({ ok: true, data }),
      );
      socket.on('shout', (data: unknown) => socket.emit('heard', { from: socket.data.user, data }));
    });
    await new Promise<void>((resolve) => http.listen(4301, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => io.close(() => resolve()));
  });

  it('completes the handshake with the auth payload and gets the server-side socket id', async () => {
    const client = new LeanSocket({ url, auth: { user: 'alice' } });
    await client.connect();

    const server = serverSockets.find((s) => s.id === client.id);
    expect(server?.data.user).toBe('alice');
    client.close();
  });

  it('answers server pings so the connection outlives several ping timeouts', async () => {
    const client = new LeanSocket({ url, auth: { user: 'pinger' } });
    await client.connect();

    await waitFor(() => client.pingsAnswered >= 8, 'eight pings answered');
    expect(client.connected).toBe(true);
    expect(client.reconnects).toBe(0);
    client.close();
  });

  it('delivers events both ways and resolves acks with the server reply', async () => {
    const client = new LeanSocket({ url, auth: { user: 'bob' } });
    const heard: unknown[] = [];
    client.on('heard', (args) => heard.push(args[0]));
    await client.connect();

    client.emit('shout', 'hi');
    await expect(client.emitWithAck('echo', { n: 1 })).resolves.toEqual({
      ok: true,
      data: { n: 1 },
    });
    await waitFor(() => heard.length === 1, 'the server event');
    expect(heard[0]).toEqual({ from: 'bob', data: 'hi' });
    client.close();
  });

  it('acknowledges events the server emits with an ack callback', async () => {
    const client = new LeanSocket({ url, auth: { user: 'carol' } });
    client.on('question', (args, ack) => ack?.({ answer: (args[0] as number) * 2 }));
    await client.connect();

    const server = serverSockets.find((s) => s.id === client.id);
    const reply = await server?.timeout(2000).emitWithAck('question', 21);
    expect(reply).toEqual({ answer: 42 });
    client.close();
  });

  it('reconnects after the server drops the transport and works again', async () => {
    const client = new LeanSocket({ url, auth: { user: 'dave' }, reconnectDelayMs: 20 });
    await client.connect();
    const firstId = client.id;

    serverSockets.find((s) => s.id === firstId)?.conn.close();
    await waitFor(() => client.connected && client.id !== firstId, 'a new session');
    expect(client.reconnects).toBe(1);
    await expect(client.emitWithAck('echo', 'again')).resolves.toEqual({ ok: true, data: 'again' });
    client.close();
  });

  it('rejects connect with the server middleware error and does not retry', async () => {
    const client = new LeanSocket({ url, auth: { user: 'forbidden' } });
    await expect(client.connect()).rejects.toThrow(/not allowed/);
    expect(client.connected).toBe(false);
  });

  it('does not reconnect after close() and stops answering', async () => {
    const client = new LeanSocket({ url, auth: { user: 'erin' } });
    await client.connect();
    const id = client.id;
    client.close();

    await waitFor(() => !io.sockets.sockets.has(id), 'the server to drop the session');
    expect(client.connected).toBe(false);
    expect(client.reconnects).toBe(0);
  });
});
