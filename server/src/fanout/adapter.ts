import { createAdapter, createShardedAdapter } from '@socket.io/redis-adapter';
import type { RedisClient } from '@parley/runtime';
import { Adapter, type BroadcastOptions } from 'socket.io-adapter';
import type { Server, ServerOptions } from 'socket.io';

type AdapterFactory = NonNullable<ServerOptions['adapter']>;

interface ClusterMessageLike {
  type: number;
  data?: { requestId?: unknown; opts?: { rooms?: unknown[] } };
}

/** The sharded adapter's channel choice, which this module overrides per instance. */
interface ShardedInternals {
  computeChannel(message: ClusterMessageLike): string;
  dynamicChannel(room: string): string;
  sids: Map<string, unknown>;
}

const BROADCAST = 3; // socket.io-adapter's MessageType.BROADCAST

/**
 * Cross-node fan-out over Redis. `sharded` (default) uses SSUBSCRIBE/SPUBLISH
 * with one channel per room ("dynamic" mode), so a room's traffic lands on the
 * master owning that channel's slot and fan-out spreads over the cluster;
 * `classic` is PUBLISH/PSUBSCRIBE, which a Redis Cluster copies to every node.
 *
 * The sharded adapter treats any 20-character room as a socket id and sends
 * its broadcasts through the one namespace channel (redis-adapter's
 * `looksLikeASocketId`), one slot on one master. Rooms are client-chosen and
 * 20 characters is a legal length, so the channel choice is overridden: a room
 * that is not a socket id of this node gets its own channel. The receiving side
 * already subscribes such rooms by that rule (`shouldUseASeparateNamespace`).
 * The cost: a broadcast to a *remote* socket id would be lost, and Parley never
 * addresses sockets by id.
 */
export function createFanoutAdapter(
  mode: 'sharded' | 'classic',
  pub: RedisClient,
  sub: RedisClient,
  channelPrefix: string,
): AdapterFactory {
  if (mode === 'classic')
    return createAdapter(pub, sub, { key: channelPrefix }) as unknown as AdapterFactory;

  const base = createShardedAdapter(pub, sub, { channelPrefix, subscriptionMode: 'dynamic' });
  // A function, not an arrow: socket.io calls the factory with `new`.
  return function fanoutAdapter(nsp: unknown) {
    const adapter = (base as (nsp: unknown) => unknown)(nsp) as ShardedInternals;
    const original = adapter.computeChannel.bind(adapter);
    adapter.computeChannel = (message) => {
      const rooms = message.data?.opts?.rooms;
      const room = rooms?.length === 1 ? rooms[0] : undefined;
      const single = message.type === BROADCAST && message.data?.requestId === undefined;
      if (single && typeof room === 'string' && !adapter.sids.has(room))
        return adapter.dynamicChannel(room);
      return original(message);
    };
    return adapter;
  } as unknown as AdapterFactory;
}

/**
 * Resolves once this node receives what is broadcast to `room` from any node.
 * The sharded adapter fires SSUBSCRIBE when a room's first local socket joins
 * and does not await it (redis-adapter `create-room`); a second SSUBSCRIBE of
 * the same channel on the same connection is answered after the first, so
 * awaiting it confirms both. Redis keeps one subscription per channel, so the
 * adapter's single SUNSUBSCRIBE on `delete-room` still ends it. The classic
 * adapter PSUBSCRIBEs one pattern at start-up: nothing to wait for per room.
 */
export function subscriptionReady(
  io: Server,
  mode: 'sharded' | 'classic',
  sub: RedisClient,
): (room: string) => Promise<void> {
  if (mode === 'classic') return () => Promise.resolve();
  return async (room) => {
    const adapter = io.of('/').adapter as unknown as ShardedInternals;
    await sub.ssubscribe(adapter.dynamicChannel(room));
  };
}

type Broadcast = Adapter['broadcast'];

interface PerServer {
  count: (deliveries: number) => void;
  broadcast: Broadcast;
}

const servers = new WeakMap<object, PerServer>();
const COUNTING = Symbol('parley.countsDeliveries');
/** The in-memory broadcast, captured before any `attachApp` patches the prototype. */
const plainBroadcast: Broadcast = Adapter.prototype.broadcast;

/**
 * Counts room deliveries to this node's sockets (chat_messages_delivered_total):
 * the local size of the target rooms whenever a broadcast is applied here,
 * whether it was emitted on this node or arrived from another over Redis. Both
 * adapters end in the in-memory `Adapter.prototype.broadcast` in both cases, so
 * that is where it is counted.
 *
 * socket.io's `attachApp` replaces that prototype method with a uWS fast path
 * bound to the App of the *latest* call (socket.io lib/uws.ts `patchAdapter`),
 * which would make every node of one process publish on the last node's App.
 * So the method each server should use is remembered per server right after its
 * engine is attached (`uws`: the fast path just installed; `node`: the plain
 * one), and one wrapper dispatches on the adapter's server. Call this right
 * after attaching the engine. Known limit: `io.close()` restores socket.io's
 * original prototype, so uWS nodes that outlive another in the same process
 * fall back to per-socket sends and stop counting deliveries (tests only).
 */
export function installBroadcast(
  io: Server,
  engine: 'uws' | 'node',
  count: (n: number) => void,
): void {
  const proto = Adapter.prototype as { broadcast: Broadcast & { [COUNTING]?: true } };
  const current = proto.broadcast;
  const fast = current[COUNTING] === true ? undefined : current;
  if (engine === 'uws' && fast === undefined)
    throw new Error('attach the uWS engine before installBroadcast');
  servers.set(io, {
    count,
    broadcast: engine === 'uws' && fast !== undefined ? fast : plainBroadcast,
  });

  const wrapped = function (this: Adapter, packet: unknown, opts: BroadcastOptions) {
    const own = servers.get((this.nsp as { server: object }).server);
    if (own === undefined) return plainBroadcast.call(this, packet, opts);

    let deliveries = 0;
    if (opts.rooms.size === 0) deliveries = this.sids.size;
    for (const room of opts.rooms) deliveries += this.rooms.get(room)?.size ?? 0;
    own.count(deliveries);
    return own.broadcast.call(this, packet, opts);
  };
  proto.broadcast = Object.assign(wrapped, { [COUNTING]: true as const });
}

const SUBSCRIPTION_COMMANDS = [
  'ssubscribe',
  'sunsubscribe',
  'psubscribe',
  'punsubscribe',
  'subscribe',
  'unsubscribe',
];

/**
 * The redis adapters fire (un)subscribe commands without awaiting them (e.g.
 * SUNSUBSCRIBE on "delete-room" when the last socket of a room leaves). While
 * Redis is away those promises reject (ioredis: "No sharded subscriber for
 * slot"), and an unhandled rejection ends a Node 20 process: one Redis blip
 * plus one disconnecting client would take the node down. So the subscriber's
 * subscription commands report their failures to `onError` instead.
 */
export function guardSubscriptions(
  sub: RedisClient,
  onError: (command: string, error: Error) => void,
): void {
  const target = sub as unknown as Record<string, unknown>;
  for (const command of SUBSCRIPTION_COMMANDS) {
    const original = target[command];
    if (typeof original !== 'function') continue;
    target[command] = (...args: unknown[]) => {
      const result = (original as (...a: unknown[]) => unknown).apply(sub, args);
      if (result instanceof Promise) {
        return result.catch((error: Error) => {
          onError(command, error);
          return undefined;
        });
      }
      return result;
    };
  }
}
