/** Why an item was not sent; each becomes UNAVAILABLE for the client. */
export type BatcherFailure = 'full' | 'timeout' | 'send_failed' | 'closed';

export class BatcherError extends Error {
  constructor(
    readonly code: BatcherFailure,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BatcherError';
  }
}

export interface BatcherOptions<T> {
  /** How long the first item of a batch waits for company before the batch is sent. */
  lingerMs: number;
  /** Items per batch at most; a full batch is sent at once. */
  maxBatch: number;
  /** Items queued or in flight at most; beyond it `submit` fails with `full`. */
  maxPending: number;
  /** An item not confirmed within this many ms fails with `timeout`. */
  timeoutMs: number;
  /** Sends one batch; resolves when every item of it is durable. */
  send: (items: T[]) => Promise<void>;
}

interface Entry<T> {
  item: T;
  settled: boolean;
  resolve: () => void;
  reject: (error: BatcherError) => void;
  timer: NodeJS.Timeout;
}

/**
 * kafkajs has no `linger.ms`, so concurrent messages are collected here and
 * sent with one request (issue 3). One batch is in flight at a time: the
 * producer runs with maxInFlightRequests 1 anyway, and while a batch is in
 * flight the next one fills up, so batches grow with load without extra delay.
 *
 * Guarantee: `submit` resolves only after `send` resolved for a batch holding
 * the item. It rejects when the queue is full, on timeout, or when the send
 * fails. A timed-out item still queued is dropped before sending; one already
 * in flight may still land in Kafka, which is why a rejection means "unknown",
 * and the client's retry with the same id is deduplicated downstream.
 */
export class LingerBatcher<T> {
  private queue: Entry<T>[] = [];
  private inFlight = 0;
  private sending = false;
  private lingerTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: BatcherOptions<T>) {}

  /** Items queued or in flight. */
  get pending(): number {
    return this.queue.length + this.inFlight;
  }

  submit(item: T): Promise<void> {
    if (this.closed) return Promise.reject(new BatcherError('closed', 'producer is closing'));
    if (this.pending >= this.options.maxPending) {
      return Promise.reject(
        new BatcherError('full', `${this.pending} messages already wait for Kafka`),
      );
    }

    return new Promise<void>((resolve, reject) => {
      const entry: Entry<T> = { item, settled: false, resolve, reject, timer: undefined as never };
      entry.timer = setTimeout(() => {
        this.settle(
          entry,
          new BatcherError('timeout', `not accepted within ${this.options.timeoutMs} ms`),
        );
      }, this.options.timeoutMs);
      this.queue.push(entry);
      this.schedule();
    });
  }

  /** Stops taking items and resolves once everything queued has been sent or failed. */
  async drain(): Promise<void> {
    this.closed = true;
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    void this.flush();
    if (this.pending === 0 && !this.sending) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  private schedule(): void {
    if (this.sending) return; // the running send flushes the queue when it returns
    if (this.queue.length >= this.options.maxBatch || this.options.lingerMs === 0) {
      void this.flush();
      return;
    }
    this.lingerTimer ??= setTimeout(() => void this.flush(), this.options.lingerMs);
  }

  private async flush(): Promise<void> {
    if (this.lingerTimer !== undefined) clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    if (this.sending) return;

    while (this.queue.length > 0) {
      // 1. Take a batch, skipping items whose client was already told UNAVAILABLE.
      const batch = this.queue.splice(0, this.options.maxBatch).filter((e) => !e.settled);
      if (batch.length === 0) continue;

      // 2. Send it; the next batch accumulates meanwhile.
      this.sending = true;
      this.inFlight = batch.length;
      try {
        await this.options.send(batch.map((e) => e.item));
        for (const entry of batch) this.settle(entry);
      } catch (error) {
        const failure = new BatcherError('send_failed', 'Kafka did not accept the batch', {
          cause: error,
        });
        for (const entry of batch) this.settle(entry, failure);
      } finally {
        this.sending = false;
        this.inFlight = 0;
      }

      // 3. Whatever arrived meanwhile has already waited one send: it goes next, without linger.
    }
    if (this.pending === 0) this.notifyIdle();
  }

  private settle(entry: Entry<T>, error?: BatcherError): void {
    if (entry.settled) return;
    entry.settled = true;
    clearTimeout(entry.timer);
    if (error === undefined) entry.resolve();
    else entry.reject(error);
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
