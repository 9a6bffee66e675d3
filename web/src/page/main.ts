import {
  DEFAULT_MAX_BODY_BYTES,
  ROOM_PATTERN,
  SEQ_PATTERN,
  USER_ID_PATTERN,
  compareSeq,
  isInboxRoom,
  type JoinAck,
  type SequencedMessage,
} from '@parley/protocol';
import { isChatMessage } from './history.js';
import { Connection, type ConnectionListener, type ConnectionState } from './connection.js';
import { fetchHistory } from './history.js';
import { Timeline, type Change } from './timeline.js';
import { MessageList, byId, renderStatus } from './view.js';

/** Pages walked back after a reconnect to fill the gap before giving up (50 messages each). */
const CATCH_UP_MAX_PAGES = 5;
const NAME_KEY = 'parley.name';

/**
 * The chat page: pick a name and a room, talk, scroll back, survive drops.
 *
 * After a reconnect the page joins its room again (rooms are per connection on
 * the server) and walks the history API back from the newest message until it
 * meets one it already shows, so messages broadcast while it was away appear
 * once the writer has stored them. Sends made while disconnected wait as
 * "sending…" and go out on reconnect under their original id, which the whole
 * pipeline treats as the idempotency key.
 */
class ChatPage implements ConnectionListener {
  readonly #connection = new Connection(this);
  #timeline = new Timeline();
  readonly #list: MessageList;

  #user: string | undefined;
  #room: string | undefined;
  /** The first history page of the room is on screen. */
  #loaded = false;
  /** Cursor of the next older page; undefined once the start of the room is shown. */
  #older: string | undefined;
  /** The highest broadcast seq seen in the room: the `after` of a rejoin (recovery window). */
  #lastSeq: string | undefined;
  #wasConnected = false;
  /** Ids sent on the current connection and not answered yet: never sent twice at once. */
  readonly #inFlight = new Set<string>();

  readonly #el = {
    status: byId('status', HTMLElement),
    joinForm: byId('join-form', HTMLFormElement),
    name: byId('name', HTMLInputElement),
    room: byId('room', HTMLInputElement),
    chat: byId('chat', HTMLElement),
    roomTitle: byId('room-title', HTMLElement),
    scroller: byId('scroller', HTMLElement),
    messages: byId('messages', HTMLOListElement),
    older: byId('load-older', HTMLButtonElement),
    newBelow: byId('new-below', HTMLButtonElement),
    historyNote: byId('history-note', HTMLElement),
    sendForm: byId('send-form', HTMLFormElement),
    body: byId('body', HTMLTextAreaElement),
    sendError: byId('send-error', HTMLElement),
  };

  constructor() {
    const { messages, scroller, newBelow } = this.#el;
    this.#list = new MessageList(messages, scroller, newBelow, () => this.#user ?? '');
    this.#el.joinForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submitJoin();
    });
    this.#el.sendForm.addEventListener('submit', (event) => {
      event.preventDefault();
      this.#submitMessage();
    });

    this.#el.body.addEventListener('keydown', (event) => {
      // Enter sends, Shift+Enter starts a new line (IME composition must not send).
      if (event.key !== 'Enter' || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      this.#el.sendForm.requestSubmit();
    });
    this.#el.older.addEventListener('click', () => void this.#loadOlder());
    this.#el.messages.addEventListener('click', (event) => this.#clickRetry(event));
    for (const input of [this.#el.name, this.#el.room]) {
      input.addEventListener('input', () => input.setCustomValidity(''));
    }
  }

  /** Rejoins where a reload left off: the name from storage, the room from `?room=`. */
  resume(): void {
    const name = localStorage.getItem(NAME_KEY) ?? '';
    const room = new URLSearchParams(location.search).get('room') ?? '';
    if (name !== '') this.#el.name.value = name;
    if (room !== '') this.#el.room.value = room;
    if (name !== '' && room !== '' && this.#el.joinForm.checkValidity()) this.#submitJoin();
  }

  // ConnectionListener

  state(state: ConnectionState, detail: string | undefined): void {
    renderStatus(this.#el.status, state, state === 'connected' ? location.host : detail);
    const dropped = state === 'reconnecting' || state === 'offline';
    if (dropped && this.#wasConnected) {
      const why = detail === undefined ? '' : ` (${detail})`;
      this.#list.notice(`Disconnected${why}. Reconnecting…`, 'warning');
    }
    this.#wasConnected = state === 'connected';
  }

  connected(reconnect: boolean): void {
    void this.#joinRoom(reconnect);
  }

  message(message: SequencedMessage): void {
    if (message.room !== this.#room) return;
    this.#noteSeq(message.seq);
    this.#show(this.#timeline.confirm(message));
  }

  #noteSeq(seq: unknown): void {
    if (typeof seq !== 'string' || !SEQ_PATTERN.test(seq)) return;
    if (this.#lastSeq === undefined || compareSeq(seq, this.#lastSeq) > 0) this.#lastSeq = seq;
  }

  // Joining

  #submitJoin(): void {
    const name = this.#el.name.value.trim();
    const room = this.#el.room.value.trim();
    if (!check(this.#el.name, USER_ID_PATTERN.test(name), 'Use 1 to 30 of A–Z a–z 0–9 _ . -')) {
      return;
    }
    const roomOk = ROOM_PATTERN.test(room) && !isInboxRoom(room);
    if (!check(this.#el.room, roomOk, 'Use 1 to 64 of A–Z a–z 0–9 _ . : - (not user:…)')) return;

    localStorage.setItem(NAME_KEY, name);
    const url = new URL(location.href);
    url.searchParams.set('room', room);
    history.replaceState(null, '', url);

    const previous = this.#room;
    this.#enterRoom(room);
    if (name !== this.#user) {
      // The name is the handshake identity (AUTH_MODE=open): a new one needs a new connection.
      this.#user = name;
      this.#connection.open(name);
    } else if (this.#connection.connected) {
      if (previous !== undefined && previous !== room) void this.#connection.leave(previous);
      void this.#joinRoom(false);
    }
  }

  #enterRoom(room: string): void {
    if (room === this.#room) return;
    this.#room = room;
    this.#timeline = new Timeline();
    this.#loaded = false;
    this.#older = undefined;
    this.#lastSeq = undefined;
    this.#list.clear();
    delete this.#el.chat.dataset.joined;

    this.#el.roomTitle.textContent = `#${room}`;
    this.#el.chat.hidden = false;
    this.#el.older.hidden = true;
    this.#el.historyNote.textContent = '';
    document.title = `#${room} · Parley`;
  }

  async #joinRoom(reconnect: boolean): Promise<void> {
    const room = this.#room;
    if (room === undefined) return;

    const after = this.#loaded ? this.#lastSeq : undefined;
    const joined = await this.#connection.join(room, after);
    if (room !== this.#room) return;
    if (!joined.ok) {
      this.#list.notice(`Could not join #${room}: ${joined.error.message}`, 'warning');
      return;
    }

    if (!this.#loaded) await this.#loadRecent(room);
    else if (!this.#recovered(room, joined.value, after, reconnect)) {
      await this.#catchUp(room, reconnect);
    }
    if (room !== this.#room) return;
    this.#resendPending();

    // Marks the room as joined with its recent history on screen (read by the browser test).
    const first = this.#el.chat.dataset.joined !== room;
    this.#el.chat.dataset.joined = room;
    if (first && document.activeElement !== this.#el.body) this.#el.body.focus();
  }

  /**
   * Applies what the node's recovery window returned in the join ack; false
   * when it could not cover the gap (window disabled, unreadable or truncated),
   * and history must fill it instead.
   */
  #recovered(room: string, ack: JoinAck, after: string | undefined, reconnect: boolean): boolean {
    if (after === undefined || ack.missed === undefined || ack.truncated === true) return false;
    if (ack.recovery !== undefined) return false;

    let filled = 0;
    for (const message of ack.missed) {
      if (!isChatMessage(message) || message.room !== room) continue;
      this.#noteSeq((message as SequencedMessage).seq);
      const change = this.#timeline.confirm(message);
      if (change.kind === 'added') filled += 1;
      this.#show(change);
    }
    if (reconnect) this.#reportFilled(room, filled, 'recovery');
    return true;
  }

  #reportFilled(room: string, filled: number, source: 'recovery' | 'history'): void {
    const missed = filled === 1 ? '1 missed message' : `${filled} missed messages`;
    this.#list.notice(`Reconnected to #${room}; ${missed} filled in.`).dataset.source = source;
  }

  // History

  async #loadRecent(room: string): Promise<void> {
    try {
      const page = await fetchHistory(room, undefined);
      if (room !== this.#room) return;

      for (const message of page.messages) this.#show(this.#timeline.confirm(message));
      this.#loaded = true;
      this.#setOlder(page.before);
      this.#list.scrollToBottom();
    } catch (error) {
      this.#el.historyNote.textContent = `History unavailable: ${describe(error)}`;
    }
  }

  /** Walks back from the newest stored message until it meets one already on screen. */
  async #catchUp(room: string, reconnect: boolean): Promise<void> {
    let before: string | undefined;
    let filled = 0;
    try {
      for (let page = 0; page < CATCH_UP_MAX_PAGES; page += 1) {
        const result = await fetchHistory(room, before);
        if (room !== this.#room) return;

        const overlaps = result.messages.some((m) => this.#timeline.has(m.id));
        for (const message of result.messages) {
          const change = this.#timeline.confirm(message);
          if (change.kind === 'added') filled += 1;
          this.#show(change);
        }
        if (overlaps || result.before === undefined) break;
        before = result.before;
      }
    } catch (error) {
      this.#list.notice(`Could not fetch missed messages: ${describe(error)}`, 'warning');
      return;
    }

    if (reconnect) this.#reportFilled(room, filled, 'history');
  }

  async #loadOlder(): Promise<void> {
    const room = this.#room;
    const before = this.#older;
    if (room === undefined || before === undefined) return;

    this.#el.older.disabled = true;
    try {
      const page = await fetchHistory(room, before);
      if (room !== this.#room) return;
      this.#list.keepingPosition(() => {
        for (const message of page.messages) this.#show(this.#timeline.confirm(message));
      });
      this.#setOlder(page.before);
    } catch (error) {
      this.#el.historyNote.textContent = `Could not load older messages: ${describe(error)}`;
    } finally {
      this.#el.older.disabled = false;
    }
  }

  #setOlder(before: string | undefined): void {
    this.#older = before;
    this.#el.older.hidden = before === undefined;
    this.#el.historyNote.textContent =
      before === undefined && this.#timeline.size > 0 ? `This is the start of #${this.#room}.` : '';
  }

  // Sending

  #submitMessage(): void {
    const body = this.#el.body.value;
    const room = this.#room;
    const user = this.#user;
    if (room === undefined || user === undefined || body.trim() === '') return;

    const bytes = new TextEncoder().encode(body).length;
    if (bytes > DEFAULT_MAX_BODY_BYTES) {
      this.#el.sendError.textContent = `Too long: ${bytes} bytes of at most ${DEFAULT_MAX_BODY_BYTES}.`;
      return;
    }

    this.#el.sendError.textContent = '';
    this.#el.body.value = '';
    const id = newMessageId();
    this.#list.apply(
      this.#timeline.addPending(id, room, user, body),
      this.#timeline.entries(),
      true,
    );
    void this.#deliver(id);
  }

  async #deliver(id: string): Promise<void> {
    const entry = this.#timeline.get(id);
    // Offline sends stay pending; #resendPending sends them after the next join.
    if (entry === undefined || !this.#connection.connected || this.#inFlight.has(id)) return;

    this.#inFlight.add(id);
    const result = await this.#connection.send(entry.id, entry.room, entry.body);
    this.#inFlight.delete(id);
    if (entry.room !== this.#room) return;
    if (result.ok) {
      this.#show(this.#timeline.ack(id, result.value));
    } else if (!(result.transient && !this.#connection.connected)) {
      this.#show(this.#timeline.fail(id, result.error.message));
    }
  }

  #resendPending(): void {
    for (const entry of this.#timeline.entries()) {
      if (entry.state === 'pending') void this.#deliver(entry.id);
    }
  }

  #clickRetry(event: MouseEvent): void {
    const target = event.target;
    if (!(target instanceof HTMLButtonElement) || target.dataset.retry === undefined) return;

    const id = target.dataset.retry;
    this.#show(this.#timeline.retry(id));
    void this.#deliver(id);
  }

  #show(change: Change | undefined): void {
    if (change !== undefined) this.#list.apply(change, this.#timeline.entries());
  }
}

/** Sets the browser's validation message, shows it, and tells whether the value passed. */
function check(input: HTMLInputElement, ok: boolean, message: string): boolean {
  input.setCustomValidity(ok ? '' : message);
  if (!ok) input.reportValidity();
  return ok;
}

/**
 * 128 random bits as 32 hex characters, within the protocol's id rule. Not
 * crypto.randomUUID(): that exists only in secure contexts, and a node may be
 * opened over plain http on a LAN address.
 */
function newMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

new ChatPage().resume();
