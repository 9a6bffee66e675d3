import pg from 'pg';

/**
 * What the writer does with a failure, decided by error class and SQLSTATE
 * (https://www.postgresql.org/docs/current/errcodes-appendix.html), never by
 * message text:
 * - `retry`: the database or the road to it is unavailable; back off, keep the
 *   batch and its offsets uncommitted, try again.
 * - `isolate`: the database refused some value of the batch; find the row(s)
 *   and dead-letter them so the partition moves on.
 * - `fatal`: a bug or a misconfiguration (missing table, bad permissions);
 *   retrying cannot help, so the process stops and says why.
 */
export type FailureAction = 'retry' | 'isolate' | 'fatal';

/** SQLSTATE classes and codes that mean "not now" rather than "never". */
const RETRIABLE_CLASSES = new Set(['08', '53', '58']);
const RETRIABLE_CODES = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
  '55P03', // lock_not_available
  '57014', // query_canceled (statement_timeout)
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now (starting up, recovering)
  '25P03', // idle_in_transaction_session_timeout
]);

/** Data exceptions and integrity violations: the fault is in a row, not in the server. */
const ROW_CLASSES = new Set(['22', '23']);

export function classifyPgError(error: unknown): FailureAction {
  if (error instanceof pg.DatabaseError && typeof error.code === 'string') {
    const sqlState = error.code;
    if (RETRIABLE_CODES.has(sqlState) || RETRIABLE_CLASSES.has(sqlState.slice(0, 2)))
      return 'retry';
    if (ROW_CLASSES.has(sqlState.slice(0, 2))) return 'isolate';
    return 'fatal';
  }

  // Our own programming errors are never cured by waiting.
  if (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof ReferenceError ||
    error instanceof SyntaxError
  ) {
    return 'fatal';
  }

  // Anything else without a SQLSTATE comes from the connection layer: a Node
  // SystemError (ECONNREFUSED, ECONNRESET...), pg's "connection terminated" or the
  // pool's connect timeout. The server never answered, so the batch is intact.
  return 'retry';
}

/** SQLSTATE of a database error, for logs and dead-letter details. */
export function sqlStateOf(error: unknown): string | undefined {
  return error instanceof pg.DatabaseError ? error.code : undefined;
}
