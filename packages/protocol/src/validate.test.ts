import { describe, expect, it } from 'vitest';
import { ErrorCode } from './events.js';
import { parseMessageInput, parseRoomInput } from './validate.js';

const MAX = 16;

describe('parseMessageInput', () => {
  it('accepts a well-formed message and returns exactly its fields', () => {
    const result = parseMessageInput({ id: 'a-1_B', room: 'lobby:1.x', body: 'hi', extra: 1 }, MAX);
    expect(result).toEqual({ ok: true, value: { id: 'a-1_B', room: 'lobby:1.x', body: 'hi' } });
  });

  it.each([
    ['a non-object payload', 'text'],
    ['an array payload', ['id', 'room', 'body']],
    ['a missing id', { room: 'r', body: 'b' }],
    ['an id with a space', { id: 'a b', room: 'r', body: 'b' }],
    ['an id of 65 characters', { id: 'x'.repeat(65), room: 'r', body: 'b' }],
    ['a room with a slash', { id: 'a', room: 'r/x', body: 'b' }],
    ['an empty room', { id: 'a', room: '', body: 'b' }],
    ['a numeric body', { id: 'a', room: 'r', body: 5 }],
    ['an empty body', { id: 'a', room: 'r', body: '' }],
    ['a body with NUL', { id: 'a', room: 'r', body: 'a\u0000b' }],
    ['a body with a lone surrogate', { id: 'a', room: 'r', body: 'a\uD800b' }],
  ])('rejects %s as INVALID', (_name, payload) => {
    const result = parseMessageInput(payload, MAX);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe(ErrorCode.Invalid);
  });

  it('counts the body cap in UTF-8 bytes, not characters', () => {
    // 4 emoji = 8 UTF-16 units but 16 bytes: fits exactly; one more byte does not.
    expect(parseMessageInput({ id: 'a', room: 'r', body: '\u{1F600}'.repeat(4) }, MAX).ok).toBe(
      true,
    );
    const over = parseMessageInput({ id: 'a', room: 'r', body: `${'\u{1F600}'.repeat(4)}x` }, MAX);
    expect(over).toMatchObject({ ok: false, error: { code: ErrorCode.TooLarge } });
  });
});

describe('parseRoomInput', () => {
  it('accepts a 64-character room and rejects a 65-character one', () => {
    expect(parseRoomInput({ room: 'r'.repeat(64) }).ok).toBe(true);
    expect(parseRoomInput({ room: 'r'.repeat(65) }).ok).toBe(false);
  });
});
