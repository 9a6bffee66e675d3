import { createHmac } from 'node:crypto';
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTopic, startNode, type Proc } from './harness/processes.js';
import { uid } from './harness/wait.js';

/**
 * Who may get in (issue 7). server/test/protection.int.test.ts already covers a
 * foreign Origin on a fresh handshake, expired and badly signed tokens and the
 * rooms claim; this file covers what it does not: engine.io runs `allowRequest`
 * only on the handshake, so a page on a foreign origin that learned a session
 * id could try to continue that session (a later poll, or the upgrade to
 * websocket) — cross-site WebSocket hijacking; and a token with `alg: none`.
 */
const GOOD = 'http://good.example';
const EVIL = 'http://evil.example';
const SECRET = 'faults-secret-'.padEnd(40, 'x');

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT built by hand, so the header can say whatever an attacker wants. */
function jwt(header: Record<string, unknown>, claims: Record<string, unknown>, secret?: string) {
  const unsigned = `${b64url(header)}.${b64url(claims)}`;
  if (secret === undefined) return `${unsigned}.`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

/** Resolves to the handshake's outcome: 'connected' or the connect_error's data. */
function handshake(url: string, token: string): Promise<unknown> {
  const socket = io(url, {
    auth: { token },
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
  });
  return new Promise((resolve) => {
    socket.once('connect', () => (socket.close(), resolve('connected')));
    socket.once('connect_error', (e) => (socket.close(), resolve((e as { data?: unknown }).data)));
  });
}

/** Opens a polling session with `origin`; resolves to its sid. */
async function pollingSession(base: string, origin: string): Promise<string> {
  const res = await fetch(`${base}/socket.io/?EIO=4&transport=polling`, { headers: { origin } });
  const sid = /"sid":"([^"]+)"/.exec(await res.text())?.[1];
  if (res.status !== 200 || sid === undefined) throw new Error(`handshake refused: ${res.status}`);
  return sid;
}

/** Tries to upgrade session `sid` to websocket with `origin`; true when the probe is answered. */
async function upgrades(base: string, sid: string, origin: string): Promise<boolean> {
  const url = `${base.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket&sid=${sid}`;
  const ws = new WebSocket(url, { headers: { origin } });
  return new Promise((resolve) => {
    const timer = setTimeout(() => (ws.terminate(), resolve(false)), 5000);
    const done = (answer: boolean) => (clearTimeout(timer), ws.terminate(), resolve(answer));
    ws.once('open', () => ws.send('2probe'));
    ws.on('message', (data) => data.toString() === '3probe' && done(true));
    ws.once('unexpected-response', () => done(false));
    ws.once('error', () => done(false));
    ws.once('close', () => done(false));
  });
}

describe('origin allow-list and tokens', () => {
  const run = uid();
  const procs: Proc[] = [];
  let open: Proc;
  let secured: Proc;

  beforeAll(async () => {
    const topic = await createTopic('origin');
    const env = { KAFKA_TOPIC: topic, REDIS_CHANNEL_PREFIX: `faults-${run}` };
    procs.push((open = await startNode(4740, { ...env, ALLOWED_ORIGINS: GOOD })));
    procs.push((secured = await startNode(4741, { ...env, AUTH_MODE: 'jwt', JWT_SECRET: SECRET })));
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
  });

  it('lets an allowed origin upgrade its own polling session (the control)', async () => {
    const sid = await pollingSession(open.url, GOOD);
    expect(await upgrades(open.url, sid, GOOD)).toBe(true);
  });

  it('refuses a foreign origin upgrading a session an allowed origin opened', async () => {
    const sid = await pollingSession(open.url, GOOD);
    expect(await upgrades(open.url, sid, EVIL)).toBe(false);
  });

  it('refuses a foreign origin polling a session an allowed origin opened', async () => {
    const sid = await pollingSession(open.url, GOOD);
    const poll = `${open.url}/socket.io/?EIO=4&transport=polling&sid=${sid}`;
    const res = await fetch(poll, {
      method: 'POST',
      body: '40{"user":"mallory"}',
      headers: { origin: EVIL },
    });
    await res.text();
    expect(res.status).toBeGreaterThanOrEqual(400);
  });

  it('accepts a correctly signed HS256 token (the control)', async () => {
    const claims = { sub: 'eve', exp: Math.floor(Date.now() / 1000) + 600 };
    expect(await handshake(secured.url, jwt({ alg: 'HS256', typ: 'JWT' }, claims, SECRET))).toBe(
      'connected',
    );
  });

  it.each([
    ['alg none without a signature', { alg: 'none', typ: 'JWT' }, undefined],
    ['alg None (case games) without a signature', { alg: 'None', typ: 'JWT' }, undefined],
    ['alg none carrying a valid HS256 signature', { alg: 'none', typ: 'JWT' }, SECRET],
    ['alg HS512 signed as HS256', { alg: 'HS512', typ: 'JWT' }, SECRET],
  ])('refuses a token with %s', async (_what, header, secret) => {
    const claims = { sub: 'eve', exp: Math.floor(Date.now() / 1000) + 600 };
    expect(await handshake(secured.url, jwt(header, claims, secret))).toEqual({
      code: 'UNAUTHORIZED',
    });
  });
});
