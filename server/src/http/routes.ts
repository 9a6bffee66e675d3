import { ROOM_PATTERN } from '@parley/protocol';
import type pg from 'pg';
import type { Authenticator, Identity } from '../chat/auth.js';
import { readRefusal } from '../chat/auth.js';
import type { Metrics } from '../metrics.js';
import {
  HISTORY_DEFAULT_LIMIT,
  HISTORY_MAX_LIMIT,
  encodeCursor,
  parseBefore,
  readHistory,
} from './history.js';

/** An HTTP request as both engines (uWS and node:http) can describe it. */
export interface HttpRequestInfo {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
}

export interface HttpReply {
  status: number;
  contentType: string;
  body: string;
}

export interface RouteDeps {
  metrics: Metrics;
  pool: pg.Pool;
  /** Set in AUTH_MODE=jwt: history then needs `Authorization: Bearer <token>`. */
  authenticate: Authenticator | undefined;
  /** Why the node is not ready (Redis, Kafka), or undefined when it is. */
  readiness: () => Promise<string | undefined>;
  historyTimeoutMs: number;
}

const HISTORY_PATH = /^\/api\/rooms\/([^/]+)\/messages$/;

/** The node's HTTP surface besides Socket.IO (INTERFACES.md, "HTTP on every chat node"). */
export async function route(req: HttpRequestInfo, deps: RouteDeps): Promise<HttpReply> {
  if (req.method !== 'GET') return json(405, { error: 'method not allowed' });
  if (req.path === '/healthz') return json(200, { ok: true });

  if (req.path === '/readyz') {
    const reason = await deps.readiness();
    return reason === undefined ? json(200, { ready: true }) : json(503, { ready: false, reason });
  }
  if (req.path === '/metrics') {
    return {
      status: 200,
      contentType: deps.metrics.registry.contentType,
      body: await deps.metrics.registry.metrics(),
    };
  }

  const match = HISTORY_PATH.exec(req.path);
  if (match !== null) return history(decodeSegment(match[1] ?? ''), req, deps);
  return json(404, { error: 'not found' });
}

async function history(
  room: string | undefined,
  req: HttpRequestInfo,
  deps: RouteDeps,
): Promise<HttpReply> {
  // 1. Validate the room, the limit and the cursor.
  if (room === undefined || !ROOM_PATTERN.test(room)) return json(400, { error: 'invalid room' });
  const limitText = req.query.get('limit');
  const limit = limitText === null ? HISTORY_DEFAULT_LIMIT : Number(limitText);
  if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_MAX_LIMIT) {
    return json(400, { error: `limit must be an integer from 1 to ${HISTORY_MAX_LIMIT}` });
  }
  const cursor = parseBefore(req.query.get('before'));
  if (cursor === 'invalid')
    return json(400, { error: 'before must be a cursor or epoch milliseconds' });

  // 2. Authorise: jwt mode reads a Bearer token; open mode has no identity (public history).
  let identity: Identity | undefined;
  if (deps.authenticate !== undefined) {
    const token = /^Bearer (.+)$/i.exec(req.authorization ?? '')?.[1];
    if (token === undefined) return json(401, { error: 'Authorization: Bearer <token> required' });
    try {
      identity = await deps.authenticate({ token });
    } catch {
      return json(401, { error: 'token is invalid or expired' });
    }
  }
  const refusal = readRefusal(identity, room);
  if (refusal !== undefined) return json(403, { error: refusal });

  // 3. Query; PostgreSQL being away is a 503, not a 500.
  try {
    const messages = await readHistory(deps.pool, room, limit, cursor, deps.historyTimeoutMs);
    const last = messages.at(-1);
    const nextBefore = messages.length === limit && last !== undefined ? encodeCursor(last) : null;
    return json(200, { messages, nextBefore });
  } catch (error) {
    if (!databaseUnavailable(error)) throw error;
    return json(503, { error: 'history unavailable', reason: (error as Error).message });
  }
}

/** Connection-level failures (SQLSTATE class 08, shutdown 57P0x, socket errors, our timeout). */
function databaseUnavailable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return false;
  return (
    code.startsWith('08') || code.startsWith('57P') || code === '53300' || code.startsWith('E')
  );
}

function decodeSegment(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

function json(status: number, value: unknown): HttpReply {
  return { status, contentType: 'application/json', body: JSON.stringify(value) };
}
