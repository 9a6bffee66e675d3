import { describe, expect, it } from 'vitest';
import { HistoryError, parseHistoryPage } from './history.js';

const row = (id: string, ts: number) => ({ id, room: 'lobby', from: 'ada', body: id, ts });

describe('parseHistoryPage', () => {
  it('turns the newest-first answer into reading order', () => {
    const page = parseHistoryPage({ messages: [row('c', 3), row('b', 2), row('a', 1)] }, 50);
    expect(page.messages.map((m) => m.id)).toEqual(['a', 'b', 'c']);
  });

  it("continues from the node's opaque cursor when it sends one", () => {
    const page = parseHistoryPage(
      { messages: [row('b', 2), row('a', 1)], nextBefore: 'MTphYg' },
      2,
    );
    expect(page.before).toBe('MTphYg');
  });

  it('treats a null cursor as the start of the room even when the page is full', () => {
    const page = parseHistoryPage({ messages: [row('b', 2), row('a', 1)], nextBefore: null }, 2);
    expect(page.before).toBeUndefined();
  });

  it('falls back to the oldest ts of a full page when the node sends no cursor', () => {
    expect(parseHistoryPage({ messages: [row('b', 20), row('a', 10)] }, 2).before).toBe('10');
    expect(parseHistoryPage({ messages: [row('a', 10)] }, 2).before).toBeUndefined();
  });

  it('drops rows that are not well-formed messages instead of showing them', () => {
    const page = parseHistoryPage(
      { messages: [row('a', 1), { id: 'x', body: 5 }, null, { ...row('b', 2), ts: 'soon' }] },
      50,
    );
    expect(page.messages.map((m) => m.id)).toEqual(['a']);
  });

  it('refuses an answer without a messages array', () => {
    expect(() => parseHistoryPage({ error: 'nope' }, 50)).toThrow(HistoryError);
    expect(() => parseHistoryPage([], 50)).toThrow(HistoryError);
  });
});
