import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { copyTextLine } from '../copy/text.js';
import { sqlStateOf } from './errors.js';
import type { DeadLetter, FlushResult, MessageRow } from './rows.js';

/**
 * COPY's text format, chosen by measurement over the binary one: in three runs
 * of bench:writer (100 000 rows, ~120-byte bodies, this shared 2-core machine)
 * raw COPY binary reached 0.52x, 0.33x and 0.97x the rows/s of text, never
 * more. Text lines are one string concatenation per row with four bytes to
 * escape; binary needs a Buffer and a length prefix per value, which costs more
 * in JavaScript than it saves in the server's parser. See docs/writer.md.
 */
const COPY_CHUNK_BYTES = 256 * 1024;

const STAGING = 'writer_staging';

/**
 * The staging table lives in the session (TEMP) and is emptied at every commit,
 * so it is created once per connection instead of once per flush: creating a
 * table per transaction would churn pg_class and pg_attribute at the flush rate.
 */
const prepared = new WeakSet<pg.ClientBase>();

async function ensureStaging(client: pg.ClientBase): Promise<void> {
  if (prepared.has(client)) return;
  await client.query(`CREATE TEMP TABLE IF NOT EXISTS ${STAGING} (
    id text NOT NULL, room text NOT NULL, sender text NOT NULL,
    body text NOT NULL, ts_ms bigint NOT NULL, node text NOT NULL
  ) ON COMMIT DELETE ROWS`);
  prepared.add(client);
}

/** Streams `rows` into `COPY <target> FROM STDIN` in the text format, in bounded chunks. */
export async function copyRows(
  client: pg.ClientBase,
  copySql: string,
  rows: readonly (readonly (string | number | null)[])[],
): Promise<void> {
  function* chunks(): Generator<string> {
    let chunk = '';
    for (const row of rows) {
      chunk += copyTextLine(row);
      if (chunk.length >= COPY_CHUNK_BYTES) {
        yield chunk;
        chunk = '';
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  await pipeline(Readable.from(chunks()), client.query(copyFrom(copySql)));
}

/**
 * How a flush tries to store its rows. `direct` first COPYs straight into the
 * table inside a savepoint: COPY's multi-row inserts are about twice as fast as
 * INSERT ... SELECT's row-at-a-time path. If any id is already stored (a replay,
 * a resend, another writer) the table's primary key refuses the whole COPY with
 * unique_violation; the savepoint is rolled back and the same transaction takes
 * the `staged` road, where ON CONFLICT skips the stored ids. Either way the
 * outcome is the same rows.
 */
export type FlushRoute = 'direct' | 'staged';

const UNIQUE_VIOLATION = '23505';

/**
 * Direct while batches hold only new ids; after a batch met stored ids (a replay
 * after a crash or rebalance conflicts on every batch until it has caught up),
 * staged until a batch comes through without conflict.
 */
export function nextRoute(lastConflicted: boolean): FlushRoute {
  return lastConflicted ? 'staged' : 'direct';
}

/**
 * Stores one batch in one transaction: the good rows, and the dead letters
 * beside them. Either all of it is committed or none of it is; the caller
 * commits Kafka offsets only after this resolves.
 */
export async function flushBatch(
  client: pg.ClientBase,
  table: string,
  rows: readonly MessageRow[],
  deadLetters: readonly DeadLetter[],
  route: FlushRoute = 'staged',
): Promise<FlushResult & { conflicted: boolean }> {
  await ensureStaging(client);
  await client.query('BEGIN');
  try {
    // 1. Drop repeats inside the batch, first copy (in Kafka order) wins. Doing it
    // here instead of SELECT DISTINCT ON (id) spares the server a sort per flush
    // (measured: the INSERT ... SELECT ran ~15% faster without it).
    const unique = firstOfEachId(rows);
    let inserted = 0;
    let conflicted = false;

    // 2. The fast road: COPY into the table itself, all or nothing.
    let stored = false;
    if (route === 'direct' && unique.length > 0) {
      await client.query('SAVEPOINT direct_copy');
      try {
        const columns = '(id, room, sender, body, created_at, node)';
        await copyRows(client, `COPY ${table} ${columns} FROM STDIN`, unique.map(directColumns));
        await client.query('RELEASE SAVEPOINT direct_copy');
        inserted = unique.length;
        stored = true;
      } catch (error) {
        if (sqlStateOf(error) !== UNIQUE_VIOLATION) throw error;
        await client.query('ROLLBACK TO SAVEPOINT direct_copy');
        conflicted = true;
      }
    }

    // 3. The idempotent road: stage with COPY, then INSERT ... SELECT ... ON CONFLICT
    // drops the ids an earlier batch, a replay or another writer already stored.
    if (!stored && unique.length > 0) {
      const staged = unique.map((r) => [r.id, r.room, r.sender, r.body, r.tsMs, r.node]);
      await copyRows(
        client,
        `COPY ${STAGING} (id, room, sender, body, ts_ms, node) FROM STDIN`,
        staged,
      );
      const result =
        await client.query(`INSERT INTO ${table} (id, room, sender, body, created_at, node)
        SELECT id, room, sender, body, timestamptz 'epoch' + ts_ms * interval '1 millisecond', node
        FROM ${STAGING}
        ON CONFLICT (id) DO NOTHING`);
      inserted = result.rowCount ?? 0;
    }

    // 4. Dead letters in the same transaction, so a replay neither loses nor repeats them.
    const deadLettered = await insertDeadLetters(client, deadLetters);

    // 5. Commit; from here on the rows survive anything, and offsets may be committed.
    await client.query('COMMIT');
    const committedAtMs = Date.now();
    const skipped = rows.length - inserted;
    conflicted ||= inserted < unique.length;
    return { inserted, skipped, deadLettered, rejected: 0, committedAtMs, conflicted };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}

/** `created_at` as ISO-8601 UTC; decodeMessage() keeps ts within years 1970-9999, which it prints plainly. */
function directColumns(r: MessageRow): string[] {
  return [r.id, r.room, r.sender, r.body, new Date(r.tsMs).toISOString(), r.node];
}

function firstOfEachId(rows: readonly MessageRow[]): readonly MessageRow[] {
  const seen = new Set<string>();
  const unique: MessageRow[] = [];
  for (const row of rows) {
    if (seen.has(row.id)) continue;
    seen.add(row.id);
    unique.push(row);
  }
  return unique.length === rows.length ? rows : unique;
}

export async function insertDeadLetters(
  client: pg.ClientBase,
  deadLetters: readonly DeadLetter[],
): Promise<number> {
  if (deadLetters.length === 0) return 0;

  const result = await client.query(
    `INSERT INTO dead_letters (topic, "partition", "offset", reason, detail, record_key, payload)
     SELECT * FROM unnest($1::text[], $2::integer[], $3::bigint[], $4::text[], $5::text[],
       $6::bytea[], $7::bytea[])
     ON CONFLICT (topic, "partition", "offset") DO NOTHING`,
    [
      deadLetters.map((d) => d.topic),
      deadLetters.map((d) => d.partition),
      deadLetters.map((d) => d.offset),
      deadLetters.map((d) => d.reason),
      deadLetters.map((d) => d.detail),
      deadLetters.map((d) => d.key),
      deadLetters.map((d) => d.payload),
    ],
  );
  return result.rowCount ?? 0;
}

/**
 * The slow path after the database refused a batch for a value in it (SQLSTATE
 * class 22 or 23): every row in its own savepoint, refused rows become dead
 * letters with reason `rejected_by_database`, all still in one transaction.
 * `sources` says where each row came from, for its dead letter.
 */
export async function flushIsolating(
  client: pg.ClientBase,
  table: string,
  rows: readonly MessageRow[],
  sources: readonly Omit<DeadLetter, 'reason' | 'detail'>[],
  deadLetters: readonly DeadLetter[],
): Promise<FlushResult> {
  await client.query('BEGIN');
  try {
    let inserted = 0;
    const refused: DeadLetter[] = [];
    for (const [i, r] of rows.entries()) {
      await client.query('SAVEPOINT row_sp');
      try {
        const result = await client.query(
          `INSERT INTO ${table} (id, room, sender, body, created_at, node)
           VALUES ($1, $2, $3, $4, timestamptz 'epoch' + $5::bigint * interval '1 millisecond', $6)
           ON CONFLICT (id) DO NOTHING`,
          [r.id, r.room, r.sender, r.body, r.tsMs, r.node],
        );
        inserted += result.rowCount ?? 0;
        await client.query('RELEASE SAVEPOINT row_sp');
      } catch (error) {
        const sqlState = sqlStateOf(error);
        if (sqlState === undefined) throw error;
        await client.query('ROLLBACK TO SAVEPOINT row_sp');
        const source = sources[i] as Omit<DeadLetter, 'reason' | 'detail'>;
        refused.push({ ...source, reason: 'rejected_by_database', detail: `SQLSTATE ${sqlState}` });
      }
    }

    const deadLettered = await insertDeadLetters(client, [...deadLetters, ...refused]);
    await client.query('COMMIT');
    const committedAtMs = Date.now();
    const skipped = rows.length - refused.length - inserted;
    return { inserted, skipped, deadLettered, rejected: refused.length, committedAtMs };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
