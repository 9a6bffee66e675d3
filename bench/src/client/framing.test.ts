import { describe, expect, it } from 'vitest';
import { decodeSocketPacket, encodeAck, encodeConnect, encodeEvent, engineUrl } from './framing.js';

describe('Socket.IO v5 framing', () => {
  it('puts the ack id between the packet type and the JSON array', () => {
    expect(encodeEvent('message', { id: 'a' }, 12)).toBe('4212["message",{"id":"a"}]');
    expect(encodeEvent('join', { room: 'r' })).toBe('42["join",{"room":"r"}]');
    expect(encodeAck(7, [{ ok: true }])).toBe('437[{"ok":true}]');
    expect(encodeConnect({ user: 'u' })).toBe('40{"user":"u"}');
  });

  it('decodes what it encodes (without the Engine.IO message type)', () => {
    expect(decodeSocketPacket(encodeEvent('message', { n: 1 }, 3).slice(1))).toEqual({
      type: 'event',
      name: 'message',
      args: [{ n: 1 }],
      ackId: 3,
    });
    expect(decodeSocketPacket('312[{"ok":true,"id":"x","ts":1}]')).toEqual({
      type: 'ack',
      ackId: 12,
      args: [{ ok: true, id: 'x', ts: 1 }],
    });
  });

  it('reads connect, connect errors and disconnects of namespace /', () => {
    expect(decodeSocketPacket('0{"sid":"abc"}')).toEqual({ type: 'connect', sid: 'abc' });
    expect(decodeSocketPacket('4{"message":"nope"}')).toEqual({
      type: 'connect_error',
      message: 'nope',
    });
    expect(decodeSocketPacket('1')).toEqual({ type: 'disconnect' });
  });

  it('ignores packets of other namespaces and binary packets rather than misreading them', () => {
    expect(decodeSocketPacket('2/admin,["x"]')).toBeUndefined();
    expect(decodeSocketPacket('51-["x",{"_placeholder":true,"num":0}]')).toBeUndefined();
  });

  it('builds the websocket-only Engine.IO URL from an http base URL', () => {
    expect(engineUrl('http://127.0.0.1:3001')).toBe(
      'ws://127.0.0.1:3001/socket.io/?EIO=4&transport=websocket',
    );
    expect(engineUrl('https://chat.example.com/')).toBe(
      'wss://chat.example.com/socket.io/?EIO=4&transport=websocket',
    );
  });
});
