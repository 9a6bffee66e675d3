import { describe, expect, it } from 'vitest';
import { encodeRecord } from '@parley/protocol';
import { decodeMessage } from './decode.js';

const raw = (value: string | Buffer | null) => ({
  key: Buffer.from('room'),
  value: typeof value === 'string' ? Buffer.from(value) : value,
  offset: '42',
});
const good = { id: 'abc', room: 'room', from: 'alice', body: 'hi\tthere', ts: 1_700_000_000_000 };

describe('decodeMessage', () => {
  it('maps a valid record to a row, ts to tsMs and from to sender', () => {
    const decoded = decodeMessage('t', 3, raw(encodeRecord(good, 'node-1')));
    expect(decoded).toEqual({
      ok: true,
      row: {
        id: 'abc',
        room: 'room',
        sender: 'alice',
        body: 'hi\tthere',
        tsMs: good.ts,
        node: 'node-1',
      },
    });
  });

  it('keeps the raw payload, partition and offset of every poison record', () => {
    const payload = Buffer.from([0xc3, 0x28]);
    const decoded = decodeMessage('t', 3, raw(payload));
    expect(decoded).toMatchObject({
      ok: false,
      deadLetter: { topic: 't', partition: 3, offset: '42', reason: 'not_utf8', payload },
    });
  });

  it('refuses a node name that text columns cannot hold', () => {
    expect(decodeMessage('t', 0, raw(encodeRecord(good, 'n\u0000')))).toMatchObject({
      ok: false,
      deadLetter: { reason: 'nul_character' },
    });
    expect(decodeMessage('t', 0, raw(encodeRecord(good, 'n\ud800')))).toMatchObject({
      ok: false,
      deadLetter: { reason: 'not_utf8' },
    });
  });

  it('refuses a ts beyond year 9999, which the direct COPY could not print plainly', () => {
    const decoded = decodeMessage(
      't',
      0,
      raw(encodeRecord({ ...good, ts: 8_000_000_000_000_000 }, 'n')),
    );
    expect(decoded).toMatchObject({ ok: false, deadLetter: { reason: 'wrong_shape' } });
  });

  it('keeps details storable even when the parser echoes a NUL', () => {
    const decoded = decodeMessage('t', 0, raw('{"v":1,\u0000'));
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.deadLetter.detail.includes('\u0000')).toBe(false);
  });
});
