import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeRecord, encodeRecord, MAX_RECORD_BYTES } from './record.js';
import { dmParticipants, dmRoom } from './rooms.js';

const message = { id: 'm1', room: 'lobby', from: 'ada', body: 'hello', ts: 1_700_000_000_000 };

describe('record format', () => {
  it('decodes exactly what it encoded, for any well-formed body', () => {
    const body = fc.string({ unit: 'grapheme', minLength: 1 }).filter((s) => !s.includes('\u0000'));
    fc.assert(
      fc.property(body, (text) => {
        const encoded = Buffer.from(encodeRecord({ ...message, body: text }, 'node-1'));
        expect(decodeRecord(encoded)).toEqual({
          ok: true,
          record: { v: 1, ...message, body: text, node: 'node-1' },
        });
      }),
    );
  });

  it.each([
    ['not_utf8', Buffer.from([0x7b, 0xff, 0x7d])],
    ['not_json', Buffer.from('{"v":1,')],
    ['wrong_shape', Buffer.from('[1,2]')],
    ['wrong_shape', Buffer.from(JSON.stringify({ v: 1, ...message, ts: 'yesterday', node: 'n' }))],
    ['unsupported_version', Buffer.from(JSON.stringify({ v: 2, ...message, node: 'n' }))],
    [
      'nul_character',
      Buffer.from(JSON.stringify({ v: 1, ...message, body: 'a\u0000', node: 'n' })),
    ],
    ['not_utf8', Buffer.from(JSON.stringify({ v: 1, ...message, body: 'a\uDC00', node: 'n' }))],
    ['oversized', Buffer.alloc(MAX_RECORD_BYTES + 1, 0x20)],
  ])('classifies a poison record as %s and never throws', (reason, value) => {
    expect(decodeRecord(value)).toMatchObject({ ok: false, reason });
  });

  it('treats a record without a value as wrong_shape', () => {
    expect(decodeRecord(null)).toMatchObject({ ok: false, reason: 'wrong_shape' });
  });
});

describe('direct-message rooms', () => {
  it('names the conversation the same whichever side sends', () => {
    expect(dmRoom('bob', 'ada')).toBe('dm:ada:bob');
    expect(dmRoom('ada', 'bob')).toBe('dm:ada:bob');
    expect(dmParticipants('dm:ada:bob')).toEqual(['ada', 'bob']);
  });

  it('refuses DM room names that are not canonical', () => {
    expect(dmParticipants('dm:bob:ada')).toBeUndefined();
    expect(dmParticipants('dm:ada')).toBeUndefined();
    expect(dmParticipants('dm:ada:ada')).toBeUndefined();
    expect(dmParticipants('lobby')).toBeUndefined();
  });
});
