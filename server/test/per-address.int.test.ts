import type { Socket } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatNode } from '../src/index.js';
import { connect, createTopic, inProcessNode, request, uid, waitFor } from './helpers.js';

/**
 * MAX_CONNECTIONS_PER_IP: one address cannot take the node's whole capacity
 * with a connection flood; the others it already holds keep working.
 */
describe('connections per address', () => {
  let node: ChatNode;
  const sockets: Socket[] = [];
  const url = () => `http://127.0.0.1:${node.port}`;
  const refusedPerIp = async () => {
    const text = await (await fetch(`${url()}/metrics`)).text();
    return Number(
      /chat_connections_refused_total\{[^}]*reason="per_ip"[^}]*\} (\d+)/.exec(text)?.[1],
    );
  };

  beforeAll(async () => {
    node = await inProcessNode({
      PORT: '4112',
      NODE_ID: 'protect-per-ip',
      KAFKA_TOPIC: await createTopic(),
      REDIS_CHANNEL_PREFIX: `parley-test-${uid()}`,
      MAX_CONNECTIONS_PER_IP: '3',
    });
  });

  afterAll(async () => {
    for (const socket of sockets) socket.close();
    await node?.close();
  });

  it('refuses the fourth connection from one address and admits again when one leaves', async () => {
    for (let i = 0; i < 3; i++) sockets.push(await connect(url(), { user: `ip-${i}` }));
    await expect(connect(url(), { user: 'ip-over' })).rejects.toThrow();
    await expect(connect(url(), { user: 'ip-over-polling' }, 'polling')).rejects.toThrow();
    expect(await refusedPerIp()).toBe(2);

    // The connections it holds are unaffected.
    const room = `per-ip-${uid()}`;
    expect(await request(sockets[0] as Socket, 'join', { room })).toEqual({ ok: true });

    sockets.shift()?.close();
    const again = await waitFor('a free slot for this address', () =>
      connect(url(), { user: 'ip-again' }).catch(() => undefined),
    );
    sockets.push(again);
    expect(again.connected).toBe(true);
  });
});
