import pg from 'pg';

/**
 * The end-to-end truth on the storage side: how many of this run's messages reached the
 * `messages` table, and how long after the node accepted them (`stored_at - created_at`, both
 * stamped by PostgreSQL and the node, so it includes Kafka and the writer's batching).
 */
export interface PersistenceResult {
  /** Rows of this run. */
  persisted: number;
  /** Acked messages that have a row: the guarantee is that this equals the acked count. */
  persistedAcked: number;
  persistLagMs: { p50: number; p99: number };
  /** Whether the writer caught up with every acked message before the deadline. */
  drained: boolean;
  waitedMs: number;
}

/**
 * Waits until every acked id has a row (ids start with `runId-`), or until the row count stops
 * growing for `stallMs`, or `timeoutMs` passes. Rows of messages that got an error ack may
 * exist too (the node timed out while Kafka still took them), so the acked ids are checked one
 * by one once the count is high enough.
 */
export async function checkPersistence(
  databaseUrl: string,
  runId: string,
  ackedIds: Set<string>,
  timeoutMs = 60_000,
  stallMs = 15_000,
): Promise<PersistenceResult> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const started = Date.now();
    const pattern = `${runId}-%`;
    const acked = ackedIds.size;
    const countAcked = async (): Promise<number> => {
      const ids = await client.query<{ id: string }>('SELECT id FROM messages WHERE id LIKE $1', [
        pattern,
      ]);
      return ids.rows.filter((row) => ackedIds.has(row.id)).length;
    };
    let persisted = 0;
    let persistedAcked = 0;
    let lastGrowth = Date.now();
    for (;;) {
      const { rows } = await client.query<{ n: string }>(
        'SELECT count(*) AS n FROM messages WHERE id LIKE $1',
        [pattern],
      );
      const now = Number(rows[0]?.n ?? 0);
      if (now > persisted) lastGrowth = Date.now();
      persisted = now;
      // The count is cheap; the id list is fetched only once the count could cover every ack.
      if (persisted >= acked && (persistedAcked = await countAcked()) >= acked) break;
      if (Date.now() - started > timeoutMs || Date.now() - lastGrowth > stallMs) {
        persistedAcked = await countAcked();
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }

    const lag = await client.query<{ p50: number | null; p99: number | null }>(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY lag) AS p50,
              percentile_cont(0.99) WITHIN GROUP (ORDER BY lag) AS p99
         FROM (SELECT extract(epoch FROM stored_at - created_at) * 1000 AS lag
                 FROM messages WHERE id LIKE $1) AS lags`,
      [pattern],
    );
    const round = (value: number | null | undefined): number =>
      Math.round(Number(value ?? 0) * 10) / 10;
    return {
      persisted,
      persistedAcked,
      persistLagMs: { p50: round(lag.rows[0]?.p50), p99: round(lag.rows[0]?.p99) },
      drained: persistedAcked >= acked,
      waitedMs: Date.now() - started,
    };
  } finally {
    await client.end();
  }
}
