import type { ConnectionState } from './connection.js';
import type { Change, Entry } from './timeline.js';

/**
 * Everything the page draws. User data (names, rooms, bodies, error texts)
 * only ever reaches the document through `textContent` or attribute values,
 * never through innerHTML, so a body full of markup is shown as typed.
 */

/** Pixels from the bottom within which the reader counts as following the conversation. */
const FOLLOW_THRESHOLD_PX = 48;

export function byId<T extends HTMLElement>(id: string, type: { new (): T }): T {
  const element = document.getElementById(id);
  if (!(element instanceof type)) throw new Error(`page markup lacks #${id}`);
  return element;
}

const STATUS_TEXT: Record<ConnectionState, string> = {
  idle: 'Not connected',
  connecting: 'Connecting…',
  connected: 'Connected',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

export function renderStatus(
  element: HTMLElement,
  state: ConnectionState,
  detail: string | undefined,
): void {
  element.dataset.state = state;
  const text = element.querySelector('.status-text');
  const label = STATUS_TEXT[state];
  if (text === null) return;
  if (detail === undefined) text.textContent = label;
  else text.textContent = state === 'connected' ? `${label} to ${detail}` : `${label} (${detail})`;
}

/** The message list: one `<li>` per timeline entry, notices in between. */
export class MessageList {
  readonly #items = new Map<string, HTMLLIElement>();

  constructor(
    private readonly list: HTMLOListElement,
    private readonly scroller: HTMLElement,
    /** Shown when a message arrives below while the reader is scrolled up. */
    private readonly newBelow: HTMLButtonElement,
    private readonly me: () => string,
  ) {
    scroller.addEventListener('scroll', () => {
      if (this.#atBottom()) newBelow.hidden = true;
    });
    newBelow.addEventListener('click', () => this.scrollToBottom());
  }

  clear(): void {
    this.#items.clear();
    this.list.replaceChildren();
    this.newBelow.hidden = true;
  }

  /** Draws one timeline change; keeps the reader at the bottom if they were there. */
  apply(change: Change, entries: readonly Entry[], follow = false): void {
    if (change.kind === 'unchanged') return;
    const stick = follow || this.#atBottom();

    let item = this.#items.get(change.entry.id);
    if (item === undefined) {
      item = document.createElement('li');
      this.#items.set(change.entry.id, item);
    }
    renderEntry(item, change.entry, this.me());

    if (change.kind !== 'updated') {
      this.list.insertBefore(item, this.#anchor(change.index, entries));
    }
    if (stick) this.scrollToBottom();
    else if (change.kind === 'added' && change.index === entries.length - 1) {
      this.newBelow.hidden = false;
    }
  }

  /** Runs `draw` (which adds older messages above) without moving what the reader is looking at. */
  keepingPosition(draw: () => void): void {
    const heightBefore = this.scroller.scrollHeight;
    const topBefore = this.scroller.scrollTop;
    draw();
    this.scroller.scrollTop = topBefore + (this.scroller.scrollHeight - heightBefore);
  }

  /** A line about the connection or an error, placed after the newest message. */
  notice(text: string, kind: 'info' | 'warning' = 'info'): HTMLLIElement {
    const stick = this.#atBottom();
    const item = document.createElement('li');
    item.className = `notice notice-${kind}`;
    item.textContent = text;
    this.list.append(item);
    if (stick) this.scrollToBottom();
    return item;
  }

  scrollToBottom(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
    this.newBelow.hidden = true;
  }

  /** The element of the first later entry already drawn; null appends (after any notices). */
  #anchor(index: number, entries: readonly Entry[]): HTMLLIElement | null {
    for (let i = index + 1; i < entries.length; i += 1) {
      const item = this.#items.get((entries[i] as Entry).id);
      if (item?.isConnected) return item;
    }
    return null;
  }

  #atBottom(): boolean {
    const { scrollHeight, scrollTop, clientHeight } = this.scroller;
    return scrollHeight - scrollTop - clientHeight < FOLLOW_THRESHOLD_PX;
  }
}

function renderEntry(item: HTMLLIElement, entry: Entry, me: string): void {
  item.className = `msg msg-${entry.state}${entry.from === me ? ' msg-own' : ''}`;
  item.dataset.id = entry.id;

  const from = document.createElement('span');
  from.className = 'from';
  from.textContent = entry.from;

  const time = document.createElement('time');
  if (entry.ts !== undefined) {
    const date = new Date(entry.ts);
    time.dateTime = date.toISOString();
    time.title = date.toLocaleString();
    time.textContent = shortTime(date);
  }

  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.append(from, time);
  if (entry.state !== 'sent') meta.append(stateLabel(entry));

  const body = document.createElement('p');
  body.className = 'body';
  body.textContent = entry.body;

  item.replaceChildren(meta, body);
  if (entry.state === 'failed') item.append(retryButton(entry));
}

/** The time of day for today's messages, with the date for older ones. */
function shortTime(date: Date): string {
  const clock: Intl.DateTimeFormatOptions = { hour: '2-digit', minute: '2-digit' };
  if (date.toDateString() === new Date().toDateString()) return date.toLocaleTimeString([], clock);
  return date.toLocaleString([], { ...clock, month: 'short', day: 'numeric' });
}

function stateLabel(entry: Entry): HTMLElement {
  const label = document.createElement('span');
  label.className = 'state';
  label.textContent = entry.state === 'pending' ? 'sending…' : `not sent: ${entry.error ?? ''}`;
  return label;
}

function retryButton(entry: Entry): HTMLButtonElement {
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'retry';
  button.dataset.retry = entry.id;
  button.textContent = 'Retry';
  return button;
}
