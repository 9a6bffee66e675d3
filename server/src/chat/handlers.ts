import {
  ClientEvent,
  ErrorCode,
  ServerEvent,
  dmParticipants,
  errorAck,
  inboxRoom,
  isInboxRoom,
  parseJoinInput,
  parseMessageInput,
  parseRoomInput,
  type ChatMessage,
  type ErrorAck,
  type SequencedMessage,
} from '@parley/protocol';
import type { Logger } from '@parley/runtime';
import type { Server, Socket } from 'socket.io';
import type { BatcherError } from '../kafka/batcher.js';
import type { ChatProducer } from '../kafka/producer.js';
import type { Metrics, RejectReason } from '../metrics.js';
import type { RecentWindow } from '../recovery/window.js';
import { AuthError, joinRefusal, type Authenticator, type Identity } from './auth.js';
import { TokenBucket } from './rate-limiter.js';

export interface ChatDeps {
  io: Server;
  authenticate: Authenticator;
  producer: ChatProducer;
  metrics: Metrics;
  log: Logger;
  maxBodyBytes: number;
  ratePerSec: number;
  rateBurst: number;
  broadcastAfterKafka: boolean;
  /** The rooms' recent-message windows; undefined when RECOVERY_WINDOW_MESSAGES=0. */
  recovery: RecentWindow | undefined;
}

interface SocketData {
  identity: Identity;
  bucket: TokenBucket;
}

type Ack = (response: unknown) => void;

const KNOWN_EVENTS = new Set<string>(Object.values(ClientEvent));

/**
 * The chat protocol of INTERFACES.md on namespace `/`: auth at the handshake,
 * then `join`, `leave` and `message`, each answered through its ack.
 *
 * Broadcasts use `io.to(room).emit` with exactly one room and no exclusion:
 * that is the only shape uWS's native publish serves (socket.io's uws.ts
 * `useFastPublish`) and the only one the sharded adapter gives its own
 * channel. It also means the sender receives its own message; clients
 * deduplicate by `id`, which they chose.
 */
export function registerChat(deps: ChatDeps): void {
  const { io, metrics, log } = deps;

  io.use((socket, next) => {
    deps.authenticate(socket.handshake.auth).then(
      (identity) => {
        const data: SocketData = {
          identity,
          bucket: new TokenBucket(deps.ratePerSec, deps.rateBurst),
        };
        socket.data = data;
        next();
      },
      (error: unknown) => {
        metrics.connectionsRefused.inc({ reason: 'unauthorized' });
        const message = error instanceof AuthError ? error.message : 'authentication failed';
        next(Object.assign(new Error(message), { data: { code: ErrorCode.Unauthorized } }));
      },
    );
  });

  io.on('connection', (socket) => {
    const data = socket.data as SocketData;
    metrics.connectedClients.inc();
    // Every socket sits in its user's inbox, where direct messages arrive (rooms.ts).
    void socket.join(inboxRoom(data.identity.userId));
    socket.on('disconnect', () => metrics.connectedClients.dec());

    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && KNOWN_EVENTS.has(event)) return;
      const ack = args.at(-1);
      if (!data.bucket.take()) {
        return reject(
          ack,
          ErrorCode.RateLimited,
          errorAck(ErrorCode.RateLimited, 'too many events'),
        );
      }
      reject(ack, 'UNKNOWN_EVENT', errorAck(ErrorCode.Invalid, 'unknown event'));
    });
    socket.on(ClientEvent.Join, (payload: unknown, ack: unknown) => {
      void onJoin(socket, data, payload, ack);
    });
    socket.on(ClientEvent.Leave, (payload: unknown, ack: unknown) =>
      onLeave(socket, data, payload, ack),
    );
    socket.on(ClientEvent.Message, (payload: unknown, ack: unknown) => {
      void onMessage(socket, data, payload, ack);
    });
  });

  function reject(ack: unknown, reason: RejectReason, answer: ErrorAck): void {
    metrics.rejected.inc({ reason });
    if (typeof ack === 'function') (ack as Ack)(answer);
  }

  /** Rate limit and ack presence, common to every event; returns the ack or undefined if refused. */
  function admit(data: SocketData, ack: unknown): Ack | undefined {
    if (!data.bucket.take()) {
      reject(ack, ErrorCode.RateLimited, errorAck(ErrorCode.RateLimited, 'too many events'));
      return undefined;
    }
    // An event without an ack cannot be answered; it is ignored (counted as INVALID).
    if (typeof ack !== 'function') {
      metrics.rejected.inc({ reason: ErrorCode.Invalid });
      return undefined;
    }
    return ack as Ack;
  }

  async function onJoin(socket: Socket, data: SocketData, payload: unknown, rawAck: unknown) {
    const ack = admit(data, rawAck);
    if (ack === undefined) return;
    const input = parseJoinInput(payload);
    if (!input.ok) return reject(ack, input.error.code, { ok: false, error: input.error });

    const { room, after } = input.value;
    if (after !== undefined && room.startsWith('dm:')) return recoverDm(data, room, after, ack);
    const refusal = joinRefusal(data.identity, room);
    if (refusal !== undefined)
      return reject(ack, ErrorCode.Forbidden, errorAck(ErrorCode.Forbidden, refusal));

    // Join first, then read the window (RecentWindow.recover says why this order has no gap).
    await socket.join(room);
    if (after === undefined) return ack({ ok: true });
    if (deps.recovery === undefined) return ack({ ok: true, recovery: 'disabled' });
    ack(await deps.recovery.recover(room, after));
  }

  /**
   * `join { room: "dm:a:b", after }` by a participant only recovers: the socket joins nothing,
   * because the conversation's live stream already arrives in the inbox it joined on connect.
   */
  async function recoverDm(data: SocketData, room: string, after: string, ack: Ack) {
    const participants = dmParticipants(room);
    if (participants === undefined) {
      const why = 'malformed dm room; expected dm:<a>:<b> with a < b';
      return reject(ack, ErrorCode.Invalid, errorAck(ErrorCode.Invalid, why));
    }
    if (!participants.includes(data.identity.userId)) {
      const why = 'not a participant of this dm';
      return reject(ack, ErrorCode.Forbidden, errorAck(ErrorCode.Forbidden, why));
    }
    if (deps.recovery === undefined) return ack({ ok: true, recovery: 'disabled' });
    ack(await deps.recovery.recover(room, after, inboxRoom(data.identity.userId)));
  }

  function onLeave(socket: Socket, data: SocketData, payload: unknown, rawAck: unknown): void {
    const ack = admit(data, rawAck);
    if (ack === undefined) return;
    const input = parseRoomInput(payload);
    if (!input.ok) return reject(ack, input.error.code, { ok: false, error: input.error });

    if (isInboxRoom(input.value.room)) {
      return reject(
        ack,
        ErrorCode.Forbidden,
        errorAck(ErrorCode.Forbidden, 'cannot leave the inbox'),
      );
    }
    void socket.leave(input.value.room);
    ack({ ok: true });
  }

  async function onMessage(socket: Socket, data: SocketData, payload: unknown, rawAck: unknown) {
    const stopTimer = metrics.ackDuration.startTimer();
    const admitted = admit(data, rawAck);
    if (admitted === undefined) return;
    const ack: Ack = (response) => {
      stopTimer(); // every answer, ok or not, is timed
      admitted(response);
    };

    // 1. Validate and authorise.
    const input = parseMessageInput(payload, deps.maxBodyBytes);
    if (!input.ok) return reject(ack, input.error.code, { ok: false, error: input.error });
    const { id, room, body } = input.value;
    const targets = deliveryRooms(socket, data.identity.userId, room);
    if (typeof targets === 'string') {
      const code = targets.startsWith('malformed') ? ErrorCode.Invalid : ErrorCode.Forbidden;
      return reject(ack, code, errorAck(code, targets));
    }

    // 2. Hand the message to Kafka; meanwhile append it to the room's window (its seq) and
    //    broadcast, unless configured to broadcast (and so to append) only what Kafka accepted.
    const message: ChatMessage = { id, room, from: data.identity.userId, body, ts: Date.now() };
    const kafka = deps.producer.publish(message).then(
      () => undefined,
      (error: unknown) => (error as BatcherError).code ?? 'send_failed',
    );
    if (!deps.broadcastAfterKafka) broadcast(targets, await sequenced(message));
    const failure = await kafka;
    if (failure !== undefined) {
      return reject(
        ack,
        ErrorCode.Unavailable,
        errorAck(ErrorCode.Unavailable, `kafka: ${failure}`),
      );
    }

    // 3. Kafka has it (acks=all): only now may the client hear ok.
    if (deps.broadcastAfterKafka) broadcast(targets, await sequenced(message));
    metrics.accepted.inc();
    ack({ ok: true, id, ts: message.ts });
  }

  /** The message with its seq in its room's window (a DM's room is `dm:a:b`, not the inboxes). */
  async function sequenced(message: ChatMessage): Promise<SequencedMessage> {
    if (deps.recovery === undefined) return message;
    const seq = await deps.recovery.append(message);
    return seq === undefined ? message : { ...message, seq };
  }

  function broadcast(targets: string[], message: SequencedMessage): void {
    // One emit per room keeps each on the single-room fast path (see above).
    for (const room of targets) io.to(room).emit(ServerEvent.Message, message);
  }

  log.debug('chat handlers registered');
}

/**
 * The rooms a message goes to, or why it may not be sent. A DM goes to both
 * participants' inboxes and may be sent only by one of them; any other room
 * must have been joined by the sending socket.
 */
function deliveryRooms(socket: Socket, userId: string, room: string): string[] | string {
  if (isInboxRoom(room)) return 'send to the dm room, not an inbox';
  if (room.startsWith('dm:')) {
    const participants = dmParticipants(room);
    if (participants === undefined) return 'malformed dm room; expected dm:<a>:<b> with a < b';
    if (!participants.includes(userId)) return 'not a participant of this dm';
    return participants.map(inboxRoom);
  }
  return socket.rooms.has(room) ? [room] : 'join the room before sending to it';
}
