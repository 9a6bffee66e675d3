import { describe, expect, it } from 'vitest';
import { ErrorCode } from './events.js';
import { RecoveryCursor, compareSeq, parseJoinInput, type SequencedMessage } from './recovery.js';

function msg(id: string, seq: string, room = 'r'): SequencedMessage {
  return { id, room, from: 'u', body: id, ts: 1, seq };
}

describe('parseJoinInput', () => {
  it('accepts a plain { room } exactly like parseRoomInput', () => {
    expect(parseJoinInput({ room: 'lobby' })).toEqual({ ok: true, value: { room: 'lobby' } });
  });

  it('accepts a well-formed after and returns it', () => {
    const result = parseJoinInput({ room: 'lobby', after: '1733240000000-12' });
    expect(result).toEqual({ ok: true, value: { room: 'lobby', after: '1733240000000-12' } });
  });

  it.each([
    ['a number', 1733240000000],
    ['no dash', '1733240000000'],
    ['a special id', '$'],
    ['an exclusive-range prefix', '(1-0'],
    ['21 digits', `${'9'.repeat(21)}-0`],
    ['an empty string', ''],
  ])('rejects an after that is %s as INVALID', (_, after) => {
    const result = parseJoinInput({ room: 'lobby', after });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(ErrorCode.Invalid);
  });
});

describe('compareSeq', () => {
  it('orders by milliseconds, then by sequence number, beyond 2^53', () => {
    expect(compareSeq('2-0', '10-0')).toBeLessThan(0);
    expect(compareSeq('10-2', '10-10')).toBeLessThan(0);
    expect(compareSeq('18446744073709551615-1', '18446744073709551615-0')).toBeGreaterThan(0);
    expect(compareSeq('5-5', '5-5')).toBe(0);
  });
});

describe('RecoveryCursor', () => {
  it('remembers the highest seq per room as the next after, whatever the arrival order', () => {
    const cursor = new RecoveryCursor();
    cursor.accept(msg('a', '10-0'));
    cursor.accept(msg('b', '9-0'));
    cursor.accept(msg('c', '3-0', 'other'));
    expect(cursor.after('r')).toBe('10-0');
    expect(cursor.after('other')).toBe('3-0');
    expect(cursor.after('never')).toBeUndefined();
  });

  it('delivers each id once when it arrives both live and in missed', () => {
    const cursor = new RecoveryCursor();
    expect(cursor.accept(msg('live-1', '5-0'))).toBe(true);
    const merged = cursor.merge([msg('m-2', '4-1'), msg('live-1', '5-0'), msg('m-1', '4-0')]);
    expect(merged.map((m) => m.id)).toEqual(['m-1', 'm-2']);
    expect(cursor.accept(msg('m-2', '4-1'))).toBe(false);
    expect(cursor.accept(msg('next', '6-0'))).toBe(true);
  });

  it('forgets the oldest ids beyond its bound', () => {
    const cursor = new RecoveryCursor(2);
    for (const id of ['a', 'b', 'c']) cursor.accept(msg(id, '1-0'));
    expect(cursor.accept(msg('c', '1-0'))).toBe(false);
    expect(cursor.accept(msg('a', '1-0'))).toBe(true);
  });
});
