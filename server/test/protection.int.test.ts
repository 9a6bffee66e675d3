import { SignJWT } from 'jose';
import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatNode } from '../src/index.js';
import { connect, createTopic, inProcessNode, request, uid, waitFor } from './helpers.js';

const SECRET = 'a-test-secret-that-is-long-enough-1234';
const url = (node: ChatNode) => `http://127.0.0.1:${node.port}`;

async function token(
  claims: Record<string, unknown>,
  secret = SECRET,
  expiresIn = '5m',
): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

async function connectError(
  target: string,
  auth: Record<string, unknown>,
  extra = {},
): Promise<Error & { data?: unknown }> {
  try {
    const socket = await connect(target, auth, 'websocket', extra);
    socket.close();
  } catch (error) {
    return error as Error & { data?: unknown };
  }
  throw new Error('connection was accepted');
}

function disconnected(socket: Socket): Promise<string> {
  return new Promise((resolve) => socket.once('disconnect', (reason) => resolve(reason)));
}

/**
 * Hostile and careless clients: every invalid input gets the documented error
 * or a clean disconnect, and the node keeps serving everyone else.
 */
describe('protection', () => {
  let open: ChatNode;
  let jwt: ChatNode;
  let bystander: Socket;
  const bystanderRoom = `calm-${uid()}`;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    const KAFKA_TOPIC = await createTopic();
    const prefix = `parley-test-${uid()}`;
    [open, jwt] = await Promise.all([
      inProcessNode({
        PORT: '4110',
        NODE_ID: 'protect-open',
        KAFKA_TOPIC,
        REDIS_CHANNEL_PREFIX: prefix,
        RATE_LIMIT_PER_SEC: '50',
        RATE_LIMIT_BURST: '50',
        MAX_BODY_BYTES: '1024',
        MAX_FRAME_BYTES: '4096',
        ALLOWED_ORIGINS: 'http://good.example',
        MAX_CONNECTIONS: '6',
      }),
      inProcessNode({
        PORT: '4111',
        NODE_ID: 'protect-jwt',
        KAFKA_TOPIC,
        REDIS_CHANNEL_PREFIX: prefix,
        AUTH_MODE: 'jwt',
        JWT_SECRET: SECRET,
      }),
    ]);
    bystander = await connect(url(open), { user: 'bystander' });
    await request(bystander, 'join', { room: bystanderRoom });
  });

  afterAll(async () => {
    for (const socket of [bystander, ...sockets]) socket?.close();
    await Promise.all([open?.close(), jwt?.close()]);
  });

  /** The node still serves an unrelated client end to end. */
  async function bystanderStillServed(): Promise<void> {
    const id = `calm-${uid()}`;
    expect(
      await request(bystander, 'message', { id, room: bystanderRoom, body: 'still here' }),
    ).toMatchObject({ ok: true, id });
  }

  async function client(user = `u-${uid()}`): Promise<Socket> {
    const socket = await connect(url(open), { user });
    sockets.push(socket);
    return socket;
  }

  it.each([
    ['a payload that is not an object', 'join', 'lobby', 'INVALID'],
    ['a room with a space', 'join', { room: 'has space' }, 'INVALID'],
    ['a room of 65 characters', 'join', { room: 'r'.repeat(65) }, 'INVALID'],
    ['an inbox room', 'join', { room: 'user:someone' }, 'FORBIDDEN'],
    ['a dm room', 'join', { room: 'dm:a:b' }, 'FORBIDDEN'],
    ['an id with a space', 'message', { id: 'bad id', room: 'r', body: 'x' }, 'INVALID'],
    ['an id of 65 characters', 'message', { id: 'i'.repeat(65), room: 'r', body: 'x' }, 'INVALID'],
    ['an empty body', 'message', { id: 'ok', room: 'r', body: '' }, 'INVALID'],
    ['a body that is not a string', 'message', { id: 'ok', room: 'r', body: 42 }, 'INVALID'],
    ['a body with NUL', 'message', { id: 'ok', room: 'r', body: 'a\u0000b' }, 'INVALID'],
    [
      'a body with a lone surrogate',
      'message',
      { id: 'ok', room: 'r', body: 'a\ud800' },
      'INVALID',
    ],
    [
      'a body over MAX_BODY_BYTES',
      'message',
      { id: 'ok', room: 'r', body: 'é'.repeat(600) },
      'TOO_LARGE',
    ],
    ['a room not joined', 'message', { id: 'ok', room: `nj-${uid()}`, body: 'x' }, 'FORBIDDEN'],
    ['a malformed dm room', 'message', { id: 'ok', room: 'dm:zed:abe', body: 'x' }, 'INVALID'],
    ['an unknown event', 'shout', { room: 'r' }, 'INVALID'],
  ])('answers %s with %s', async (_what, event, payload, code) => {
    const socket = await client();
    const ack = await request(socket, event, payload);
    expect(ack).toEqual({ ok: false, error: { code, message: expect.any(String) } });
    socket.close();
    await bystanderStillServed();
  });

  it('disconnects a client that sends a frame over MAX_FRAME_BYTES', async () => {
    const socket = await client();
    const gone = disconnected(socket);
    socket.emit('message', { id: 'big', room: 'r', body: 'x'.repeat(8000) });
    expect(await gone).toMatch(/transport (close|error)/);
    await bystanderStillServed();
  });

  it('disconnects a client that sends a malformed Socket.IO packet', async () => {
    const socket = await client();
    const gone = disconnected(socket);
    // An EVENT packet (type 2) whose JSON does not parse.
    (socket.io.engine as unknown as { write(data: string): void }).write('2["message", {bad json');
    expect(await gone).toBe('transport close');
    await bystanderStillServed();
  });

  it('answers a flood with RATE_LIMITED, spares other clients, and recovers at the refill rate', async () => {
    const room = `flood-${uid()}`;
    const socket = await client();
    await request(socket, 'join', { room });

    const acks = await Promise.all(
      Array.from({ length: 150 }, (_, i) =>
        request(socket, 'message', { id: `f${i}-${uid()}`, room, body: 'spam' }),
      ),
    );
    const codes = acks.map((a) =>
      (a as { ok: boolean; error?: { code: string } }).ok
        ? 'ok'
        : (a as { error: { code: string } }).error.code,
    );
    // A burst of 50 plus what refills (50/s) while the 150 arrive; the rest is refused.
    expect(codes.filter((c) => c === 'ok').length).toBeLessThan(100);
    expect(codes.filter((c) => c === 'RATE_LIMITED').length).toBeGreaterThan(50);
    expect(codes.every((c) => c === 'ok' || c === 'RATE_LIMITED')).toBe(true);
    await bystanderStillServed();

    await waitFor('tokens refilled', async () => {
      const ack = (await request(socket, 'message', {
        id: `later-${uid()}`,
        room,
        body: 'calm',
      })) as { ok: boolean };
      return ack.ok;
    });
  });

  it('refuses handshakes from origins not in ALLOWED_ORIGINS, on polling and on websocket', async () => {
    for (const transport of ['polling', 'websocket'] as const) {
      const refused = await connect(url(open), { user: 'x' }, transport, {
        extraHeaders: { origin: 'http://evil.example' },
      }).then(
        (s) => (s.close(), false),
        () => true,
      );
      expect(refused).toBe(true);
    }
    const allowed = await connect(url(open), { user: 'x' }, 'websocket', {
      extraHeaders: { origin: 'http://good.example' },
    });
    allowed.close();
  });

  it('refuses connections beyond MAX_CONNECTIONS and accepts again when one leaves', async () => {
    const extra: Socket[] = [];
    let refused: unknown;
    while (refused === undefined && extra.length < 10) {
      await connect(url(open), { user: `cap-${uid()}` }).then(
        (s) => extra.push(s),
        (e: unknown) => (refused = e),
      );
    }
    expect(refused).toBeInstanceOf(Error);
    extra.pop()?.close();
    const again = await waitFor('a free slot', () =>
      connect(url(open), { user: 'cap-again' }).catch(() => undefined),
    );
    again.close();
    extra.forEach((s) => s.close());
    await bystanderStillServed();
  });

  describe('jwt mode', () => {
    it.each([
      ['no token', {}],
      ['a token signed with another secret', 'other-secret'],
      ['an expired token', 'expired'],
      ['a sub that is not a user id', 'bad-sub'],
      ['garbage', 'garbage'],
    ])('refuses %s with connect_error UNAUTHORIZED', async (_what, kind) => {
      let auth: Record<string, unknown> = {};
      if (kind === 'other-secret') auth = { token: await token({ sub: 'eve' }, 'x'.repeat(40)) };
      if (kind === 'expired') auth = { token: await token({ sub: 'eve' }, SECRET, '-1m') };
      if (kind === 'bad-sub') auth = { token: await token({ sub: 'eve:with:colons' }) };
      if (kind === 'garbage') auth = { token: 'not.a.jwt' };
      const error = await connectError(`http://127.0.0.1:${jwt.port}`, auth);
      expect(error.data).toEqual({ code: 'UNAUTHORIZED' });
    });

    it('lets the rooms claim restrict joins', async () => {
      const allowed = `allowed-${uid()}`;
      const socket = await connect(`http://127.0.0.1:${jwt.port}`, {
        token: await token({ sub: 'dana', rooms: [allowed] }),
      });
      sockets.push(socket);
      expect(await request(socket, 'join', { room: allowed })).toEqual({ ok: true });
      expect(await request(socket, 'join', { room: `other-${uid()}` })).toMatchObject({
        ok: false,
        error: { code: 'FORBIDDEN' },
      });
    });
  });

  it('counts every refusal by reason and still reports healthy', async () => {
    const text = await (await fetch(`${url(open)}/metrics`)).text();
    expect(text).toMatch(
      /chat_messages_rejected_total\{reason="RATE_LIMITED",node="protect-open"\} [1-9]/,
    );
    expect(text).toMatch(
      /chat_messages_rejected_total\{reason="UNKNOWN_EVENT",node="protect-open"\} [1-9]/,
    );
    expect((await fetch(`${url(open)}/healthz`)).status).toBe(200);
  });
});
