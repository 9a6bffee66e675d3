import type { Logger } from '@parley/runtime';
import type { FailureAction } from '../store/errors.js';
import type { DeadLetter, FlushResult, MessageRow } from '../store/rows.js';

/** Records of one kafkajs batch (or a slice of one), handed to the batcher together. */
export interface BatchEntry {
  rows: MessageRow[];
  /** Where each row came from, index for index, in case the database refuses it. */
  sources: Omit<DeadLetter, 'reason' | 'detail'>[];
  deadLetters: DeadLetter[];
}

export type FlushMode = 'copy' | 'isolating';

export interface BatcherOptions {
  maxRows: number;
  maxWaitMs: number;
  /** Flushes running at once, each on its own connection. */
  maxInFlight: number;
  retryInitialMs: number;
  retryMaxMs: number;
  /** Writes one set of entries in one transaction. */
  flush(entries: readonly BatchEntry[], mode: FlushMode): Promise<FlushResult>;
  classify(error: unknown): FailureAction;
  onFlushed(entries: readonly BatchEntry[], result: FlushResult, elapsedMs: number): void;
  onRetry(error: unknown, delayMs: number): void;
  onFatal(error: unknown): void;
  logger: Logger;
}

interface Waiting {
  entry: BatchEntry;
  resolve(): void;
  reject(error: unknown): void;
}

/** Raised to waiting batches when the writer gives up on them (drain timeout, fatal error). */
export class WriterStoppedError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'WriterStoppedError';
  }
}

/**
 * Gathers records from concurrent eachBatch calls (one per partition) into
 * flushes bounded by `maxRows` and `maxWaitMs`, runs one flush at a time, and
 * retries a flush that failed for a retriable reason with capped exponential
 * backoff until it commits. Each submitter learns when its records committed,
 * and only then commits its partition's offset.
 */
export class Batcher {
  private pending: Waiting[] = [];
  private pendingRecords = 0;
  private oldestAtMs = 0;
  private timer: NodeJS.Timeout | undefined;
  private inFlight = 0;
  private draining = false;
  private stopped: Error | undefined;
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly options: BatcherOptions) {}

  /** Resolves once `entry` is committed in PostgreSQL. */
  submit(entry: BatchEntry): Promise<void> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped);

    return new Promise<void>((resolve, reject) => {
      if (this.pending.length === 0) this.oldestAtMs = Date.now();
      this.pending.push({ entry, resolve, reject });
      this.pendingRecords += entry.rows.length + entry.deadLetters.length;
      this.schedule();
    });
  }

  /** From now on flush whatever waits without waiting for the time bound (SIGTERM). */
  drain(): void {
    this.draining = true;
    this.schedule();
  }

  /** Rejects everything waiting and stops retrying; nothing unflushed gets its offset committed. */
  abandon(error: Error): void {
    this.stopped = error;
    clearTimeout(this.timer);
    for (const waiting of this.pending.splice(0)) waiting.reject(error);
    this.pendingRecords = 0;
    for (const wake of this.sleepers) wake();
  }

  get waitingRecords(): number {
    return this.pendingRecords;
  }

  private schedule(): void {
    if (this.inFlight >= this.options.maxInFlight || this.pending.length === 0) return;

    const waitedMs = Date.now() - this.oldestAtMs;
    if (
      this.draining ||
      this.pendingRecords >= this.options.maxRows ||
      waitedMs >= this.options.maxWaitMs
    ) {
      clearTimeout(this.timer);
      this.timer = undefined;
      void this.run();
      return;
    }
    if (this.timer === undefined) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, this.options.maxWaitMs - waitedMs);
    }
  }

  private async run(): Promise<void> {
    this.inFlight++;
    try {
      const taken = this.take();
      this.schedule(); // the rest may fill another flush while this one runs
      await this.flushUntilCommitted(taken);
    } finally {
      this.inFlight--;
      this.schedule();
    }
  }

  /** Whole entries up to maxRows records (at least one entry); the rest keep waiting. */
  private take(): Waiting[] {
    let records = 0;
    let count = 0;
    for (const waiting of this.pending) {
      const size = waiting.entry.rows.length + waiting.entry.deadLetters.length;
      if (count > 0 && records + size > this.options.maxRows) break;
      records += size;
      count++;
    }

    const taken = this.pending.splice(0, count);
    this.pendingRecords -= records;
    if (this.pending.length > 0) this.oldestAtMs = Date.now();
    return taken;
  }

  private async flushUntilCommitted(taken: Waiting[]): Promise<void> {
    const entries = taken.map((w) => w.entry);
    let mode: FlushMode = 'copy';
    for (let attempt = 0; ; attempt++) {
      if (this.stopped !== undefined) {
        for (const waiting of taken) waiting.reject(this.stopped);
        return;
      }

      const startedAtMs = performance.now();
      try {
        const result = await this.options.flush(entries, mode);
        this.options.onFlushed(entries, result, performance.now() - startedAtMs);
        for (const waiting of taken) waiting.resolve();
        return;
      } catch (error) {
        const action = this.options.classify(error);
        if (action === 'isolate' && mode === 'copy') {
          // A value the database refuses: find it row by row rather than retry forever.
          this.options.logger.warn({ err: error }, 'batch refused by the database, isolating rows');
          mode = 'isolating';
          continue;
        }
        if (action !== 'retry') {
          const fatal = new WriterStoppedError('flush failed and cannot be retried', {
            cause: error,
          });
          for (const waiting of taken) waiting.reject(fatal);
          this.abandon(fatal);
          this.options.onFatal(error);
          return;
        }

        const capMs = Math.min(this.options.retryMaxMs, this.options.retryInitialMs * 2 ** attempt);
        const delayMs = Math.round(capMs / 2 + (Math.random() * capMs) / 2);
        this.options.onRetry(error, delayMs);
        await this.sleep(delayMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = (): void => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}
