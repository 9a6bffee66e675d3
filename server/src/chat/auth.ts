import { dmParticipants, isInboxRoom } from '@parley/protocol';
import { jwtVerify } from 'jose';
import { isUserId } from '../config.js';

/** Who a connection or history request speaks for. */
export interface Identity {
  userId: string;
  /** The JWT `rooms` claim: the only rooms this user may join or read; undefined = any. */
  rooms: ReadonlySet<string> | undefined;
}

/** A refused credential; the client sees code UNAUTHORIZED and this message. */
export class AuthError extends Error {
  readonly code = 'UNAUTHORIZED';
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AuthError';
  }
}

export type Authenticator = (credentials: unknown) => Promise<Identity>;

/**
 * `open`: the handshake's `auth.user` is trusted as is (development, trusted
 * networks, the bench). `jwt`: `auth.token` must be an HS256 JWT signed with
 * JWT_SECRET whose `sub` is a valid user id; `exp`/`nbf` are enforced when present.
 */
export function createAuthenticator(
  mode: 'open' | 'jwt',
  secret: string | undefined,
): Authenticator {
  if (mode === 'open') {
    return async (credentials) => {
      const user = isObject(credentials) ? credentials.user : undefined;
      if (!isUserId(user))
        throw new AuthError('auth.user must be 1 to 30 characters of [A-Za-z0-9_.-]');
      return { userId: user, rooms: undefined };
    };
  }

  const key = new TextEncoder().encode(secret);
  return async (credentials) => {
    const token = isObject(credentials) ? credentials.token : undefined;
    if (typeof token !== 'string' || token.length === 0)
      throw new AuthError('auth.token is required');
    return verifyToken(token, key);
  };
}

async function verifyToken(token: string, key: Uint8Array): Promise<Identity> {
  let payload;
  try {
    ({ payload } = await jwtVerify(token, key, { algorithms: ['HS256'] }));
  } catch (error) {
    throw new AuthError('token is invalid or expired', { cause: error });
  }

  if (!isUserId(payload.sub)) throw new AuthError('token sub is not a valid user id');
  const claim = payload.rooms;
  if (claim === undefined) return { userId: payload.sub, rooms: undefined };
  if (!Array.isArray(claim) || !claim.every((r) => typeof r === 'string')) {
    throw new AuthError('token rooms claim must be an array of room names');
  }
  return { userId: payload.sub, rooms: new Set(claim as string[]) };
}

/** May `identity` join `room`? Inbox and DM rooms are never joined (see rooms.ts). */
export function joinRefusal(identity: Identity, room: string): string | undefined {
  if (isInboxRoom(room)) return 'inbox rooms are joined automatically';
  if (dmParticipants(room) !== undefined || room.startsWith('dm:')) {
    return 'direct messages arrive in the inbox; dm rooms are not joined';
  }
  if (identity.rooms !== undefined && !identity.rooms.has(room)) return 'room not allowed by token';
  return undefined;
}

/**
 * May this reader see the history of `room`? Without an identity (AUTH_MODE=open)
 * history is public except inbox rooms: open mode trusts whatever user a client
 * claims, so a participant check there would protect nothing.
 */
export function readRefusal(identity: Identity | undefined, room: string): string | undefined {
  if (isInboxRoom(room)) return 'inbox rooms have no history; read the dm room';
  if (identity === undefined) return undefined;

  const participants = dmParticipants(room);
  if (participants !== undefined) {
    return participants.includes(identity.userId) ? undefined : 'not a participant of this dm';
  }
  if (identity.rooms !== undefined && !identity.rooms.has(room)) return 'room not allowed by token';
  return undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
