import pg from 'pg';
import { waitFor } from './wait.js';

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

/** The part of a test client the settle step needs (harness/client.ts). */
export interface SettlingClient {
  pending: Map<string, unknown>;
  acked: Map<string, unknown>;
  retryPending(): void;
}

export interface SettleOptions {
  /** How long every pending message may take to be acknowledged. Default 30 s. */
  ackTimeoutMs?: number;
  /** How long every acknowledged id may take to reach PostgreSQL. Default 60 s. */
  storeTimeoutMs?: number;
}

/**
 * The end of every fault test: resend (same ids) whatever is still pending
 * until all of it is acknowledged, then wait until every acknowledged id is
 * stored, and return the oracle's count. A database that is briefly
 * unreachable only delays the answer.
 */
export async function settleAndCheck(
  clients: SettlingClient[],
  databaseUrl: string,
  prefix: string,
  options: SettleOptions = {},
): Promise<{ acked: string[]; stored: StoreCheck }> {
  await waitFor(
    'every sent message acknowledged',
    () => {
      clients.forEach((c) => c.retryPending());
      return clients.every((c) => c.pending.size === 0);
    },
    options.ackTimeoutMs ?? 30_000,
    1000,
  );

  const acked = clients.flatMap((c) => [...c.acked.keys()]);
  const stored = await waitFor(
    'every acknowledged id stored',
    async () => {
      const check = await checkStored(databaseUrl, prefix, acked).catch(() => undefined);
      return check !== undefined && check.lost.length === 0 ? check : false;
    },
    options.storeTimeoutMs ?? 60_000,
    500,
  );
  return { acked, stored };
}
