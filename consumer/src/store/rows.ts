/** A chat message ready for the `messages` table. */
export interface MessageRow {
  id: string;
  room: string;
  sender: string;
  body: string;
  /** The accepting node's `ts`, epoch milliseconds; becomes `created_at`. */
  tsMs: number;
  node: string;
}

/** A record the writer could not store, kept byte for byte in `dead_letters`. */
export interface DeadLetter {
  topic: string;
  partition: number;
  /** Kafka offsets are 64-bit; kept as the decimal string kafkajs gives. */
  offset: string;
  reason: string;
  detail: string;
  key: Buffer | null;
  payload: Buffer | null;
}

/** What one committed flush did. */
export interface FlushResult {
  /** Rows new to the table. */
  inserted: number;
  /** Rows already present or repeated within the batch. */
  skipped: number;
  /** Dead letters new to their table. */
  deadLettered: number;
  /** Rows the database refused one by one (now among the dead letters). */
  rejected: number;
  /** Wall-clock time of the PostgreSQL COMMIT, epoch milliseconds. */
  committedAtMs: number;
}
