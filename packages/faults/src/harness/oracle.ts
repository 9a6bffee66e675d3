import pg from 'pg';

export interface StoreCheck {
  /** Rows whose id starts with the run's prefix. */
  rows: number;
  /** Ids stored more than once (must be 0: `id` is the key end to end). */
  duplicated: number;
  /** Acknowledged ids with no row. */
  lost: string[];
}

/**
 * The oracle of every fault test (issue 7): each id acknowledged `ok` is in
 * PostgreSQL `messages` exactly once. Counted by the run's id prefix, so
 * concurrent suites sharing the table do not disturb it.
 */
export async function checkStored(
  databaseUrl: string,
  prefix: string,
  acked: Iterable<string>,
): Promise<StoreCheck> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string; n: string }>(
      `SELECT id, count(*) AS n FROM messages WHERE id LIKE $1 GROUP BY id`,
      [`${prefix}%`],
    );
    const counts = new Map(rows.map((r) => [r.id, Number(r.n)]));
    const lost = [...acked].filter((id) => !counts.has(id));
    const duplicated = rows.filter((r) => Number(r.n) > 1).length;
    return { rows: rows.length, duplicated, lost };
  } finally {
    await client.end();
  }
}
