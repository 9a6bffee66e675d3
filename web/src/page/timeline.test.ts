import type { ChatMessage } from '@parley/protocol';
import { describe, expect, it } from 'vitest';
import { Timeline } from './timeline.js';

function msg(id: string, ts: number, body = `body of ${id}`): ChatMessage {
  return { id, room: 'lobby', from: 'ada', body, ts };
}

function ids(timeline: Timeline): string[] {
  return timeline.entries().map((e) => e.id);
}

describe('Timeline', () => {
  it('shows each id once however many times it arrives (broadcast echo, history, refetch)', () => {
    const timeline = new Timeline();
    expect(timeline.confirm(msg('a', 10)).kind).toBe('added');
    expect(timeline.confirm(msg('a', 10)).kind).toBe('unchanged');
    timeline.confirm(msg('b', 20));
    timeline.confirm(msg('a', 10));

    expect(ids(timeline)).toEqual(['a', 'b']);
  });

  it('keeps confirmed messages in (ts, id) order whatever order they arrive in', () => {
    const timeline = new Timeline();
    const arrivals = [msg('c', 30), msg('a', 10), msg('e', 50), msg('b2', 20), msg('b1', 20)];
    const indexes = arrivals.map((m) => timeline.confirm(m).index);

    expect(ids(timeline)).toEqual(['a', 'b1', 'b2', 'c', 'e']);
    expect(indexes).toEqual([0, 0, 2, 1, 1]);
  });

  it('keeps unconfirmed sends after every confirmed message until the server answers', () => {
    const timeline = new Timeline();
    timeline.confirm(msg('old', 10));
    timeline.addPending('mine', 'lobby', 'ada', 'hello');
    timeline.confirm(msg('later', 30));

    expect(ids(timeline)).toEqual(['old', 'later', 'mine']);
    expect(timeline.get('mine')?.state).toBe('pending');
  });

  it('moves an own send to its server position on the ack, and the echo changes nothing', () => {
    const timeline = new Timeline();
    timeline.confirm(msg('a', 10));
    timeline.addPending('mine', 'lobby', 'ada', 'hello');
    timeline.confirm(msg('c', 30));

    const acked = timeline.ack('mine', 20);
    expect(acked?.kind).toBe('moved');
    expect(acked?.index).toBe(1);
    expect(ids(timeline)).toEqual(['a', 'mine', 'c']);

    const echo = timeline.confirm({
      id: 'mine',
      room: 'lobby',
      from: 'ada',
      body: 'hello',
      ts: 20,
    });
    expect(echo.kind).toBe('unchanged');
  });

  it('never marks a confirmed message as failed (a late timeout after the echo)', () => {
    const timeline = new Timeline();
    timeline.addPending('mine', 'lobby', 'ada', 'hello');
    timeline.confirm(msg('mine', 5, 'hello'));

    expect(timeline.fail('mine', 'no answer')?.kind).toBe('unchanged');
    expect(timeline.get('mine')?.state).toBe('sent');
  });

  it('lets a failed send be retried under the same id and then confirmed', () => {
    const timeline = new Timeline();
    timeline.addPending('mine', 'lobby', 'ada', 'hello');
    timeline.fail('mine', 'rate limited');
    expect(timeline.get('mine')).toMatchObject({ state: 'failed', error: 'rate limited' });

    expect(timeline.retry('mine')?.entry.state).toBe('pending');
    timeline.ack('mine', 7);
    expect(timeline.get('mine')).toMatchObject({ state: 'sent', ts: 7 });
    expect(timeline.get('mine')?.error).toBeUndefined();
  });

  it('reports the oldest confirmed message as the start of the next history page', () => {
    const timeline = new Timeline();
    timeline.addPending('mine', 'lobby', 'ada', 'hello');
    expect(timeline.oldest()).toBeUndefined();

    timeline.confirm(msg('b', 20));
    timeline.confirm(msg('a', 10));
    expect(timeline.oldest()?.id).toBe('a');
  });
});
