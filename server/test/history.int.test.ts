import { SignJWT } from 'jose';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatNode } from '../src/index.js';
import { createTopic, inProcessNode, stack, uid } from './helpers.js';

const SECRET = 'history-test-secret-long-enough-0123456789';

interface Page {
  messages: { id: string; room: string; from: string; body: string; ts: number }[];
  nextBefore: string | null;
}

/** GET /api/rooms/:room/messages against rows written straight into PostgreSQL. */
describe('history API', () => {
  const pool = new pg.Pool({ connectionString: stack.DATABASE_URL, max: 2 });
  let open: ChatNode;
  let jwt: ChatNode;
  let noDb: ChatNode;
  const room = `hist-${uid()}`;
  const [alice, bob] = [`a${uid()}`, `b${uid()}`];
  const dm = `dm:${alice}:${bob}`;
  const baseTs = Date.UTC(2026, 0, 1);
  // 25 messages; every third shares its millisecond with the previous one (keyset ties).
  const rows = Array.from({ length: 25 }, (_, i) => ({
    id: `h${String(i).padStart(2, '0')}-${uid()}`,
    ts: baseTs + i - (i % 3 === 2 ? 1 : 0),
  }));

  beforeAll(async () => {
    for (const r of rows) {
      await pool.query(
        'INSERT INTO messages (id, room, sender, body, created_at) VALUES ($1, $2, $3, $4, $5)',
        [r.id, room, alice, `body ${r.id}`, new Date(r.ts)],
      );
    }
    await pool.query(
      'INSERT INTO messages (id, room, sender, body, created_at) VALUES ($1, $2, $3, $4, $5)',
      [`dm-${uid()}`, dm, alice, 'secret', new Date(baseTs)],
    );
    const KAFKA_TOPIC = await createTopic();
    [open, jwt, noDb] = await Promise.all([
      inProcessNode({ PORT: '4130', NODE_ID: 'hist-open', KAFKA_TOPIC }),
      inProcessNode({
        PORT: '4131',
        NODE_ID: 'hist-jwt',
        KAFKA_TOPIC,
        AUTH_MODE: 'jwt',
        JWT_SECRET: SECRET,
      }),
      inProcessNode({
        PORT: '4132',
        NODE_ID: 'hist-nodb',
        KAFKA_TOPIC,
        DATABASE_URL: 'postgres://parley:parley@127.0.0.1:4139/parley',
        HISTORY_TIMEOUT_MS: '1500',
      }),
    ]);
  });

  afterAll(async () => {
    await Promise.all([open?.close(), jwt?.close(), noDb?.close()]);
    await pool.end();
  });

  async function get(node: ChatNode, path: string, token?: string) {
    const headers: Record<string, string> =
      token === undefined ? {} : { authorization: `Bearer ${token}` };
    const res = await fetch(`http://127.0.0.1:${node.port}${path}`, { headers });
    return { status: res.status, body: (await res.json()) as Page };
  }
  const sign = (sub: string) =>
    new SignJWT({ sub })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));

  it('pages newest first with nextBefore, without gaps or repeats across tied timestamps', async () => {
    const seen: string[] = [];
    let before: string | null = null;
    do {
      const query: string = before === null ? '' : `&before=${before}`;
      const { status, body } = await get(open, `/api/rooms/${room}/messages?limit=7${query}`);
      expect(status).toBe(200);
      expect(body.messages.length).toBeLessThanOrEqual(7);
      seen.push(...body.messages.map((m) => m.id));
      before = body.nextBefore;
    } while (before !== null);

    const expected = [...rows]
      .sort((x, y) => y.ts - x.ts || (y.id < x.id ? -1 : 1))
      .map((r) => r.id);
    expect(seen).toEqual(expected);
  });

  it('returns messages in the documented shape, and before=<epoch ms> returns strictly older ones', async () => {
    const { body } = await get(open, `/api/rooms/${room}/messages?limit=3&before=${baseTs + 10}`);
    expect(body.messages[0]).toEqual({
      id: expect.any(String),
      room,
      from: alice,
      body: expect.stringMatching(/^body /),
      ts: expect.any(Number),
    });
    expect(body.messages.every((m) => m.ts < baseTs + 10)).toBe(true);
    expect(body.messages[0]!.ts).toBe(baseTs + 9);
  });

  it.each([
    ['a bad limit', `/api/rooms/lobby/messages?limit=0`],
    ['a limit over the maximum', `/api/rooms/lobby/messages?limit=100000`],
    ['a bad cursor', `/api/rooms/lobby/messages?before=%%%`],
    ['a bad room', `/api/rooms/${'x'.repeat(65)}/messages`],
  ])('answers %s with 400', async (_what, path) => {
    expect((await get(open, path)).status).toBe(400);
  });

  it('shows dm history only to its participants in jwt mode, and needs a token there', async () => {
    const path = `/api/rooms/${encodeURIComponent(dm)}/messages`;
    expect((await get(jwt, path)).status).toBe(401);
    expect((await get(jwt, path, 'not-a-token')).status).toBe(401);
    expect((await get(jwt, path, await sign(`eve${uid()}`))).status).toBe(403);

    const { status, body } = await get(jwt, path, await sign(bob));
    expect(status).toBe(200);
    expect(body.messages.map((m) => m.body)).toEqual(['secret']);
  });

  it('answers 503 when PostgreSQL is unreachable, and the node stays healthy', async () => {
    expect((await get(noDb, `/api/rooms/${room}/messages`)).status).toBe(503);
    expect((await fetch(`http://127.0.0.1:${noDb.port}/healthz`)).status).toBe(200);
  });
});
