import fc from 'fast-check';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flushBatch } from '../store/flush.js';
import type { MessageRow } from '../store/rows.js';
import { connectDb, createScratchTable, suffix } from '../test/harness.js';
import { isStorableText } from './text.js';

/** Characters that trip naive encoders, mixed into otherwise random strings. */
const tricky = fc.constantFrom(
  '\\',
  '\t',
  '\n',
  '\r',
  '"',
  "'",
  '\\.',
  '\\N',
  ',',
  '😀',
  '\u2028',
  '\uFEFF',
);
const storable = fc
  .oneof(fc.string({ unit: 'binary', maxLength: 200 }), fc.string({ unit: tricky, maxLength: 40 }))
  .filter((s) => s.length > 0 && isStorableText(s));

describe('COPY path round trip (real PostgreSQL)', () => {
  const table = `writer_rt_${suffix()}`;
  let db: pg.Client;
  let seq = 0;

  beforeAll(async () => {
    db = await connectDb();
    await createScratchTable(db, table);
  });

  afterAll(async () => {
    await db.query(`DROP TABLE IF EXISTS ${table}`);
    await db.end();
  });

  it.each(['direct', 'staged'] as const)(
    'stores every string PostgreSQL can hold byte for byte (%s)',
    async (route) => {
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(storable, storable), { minLength: 1, maxLength: 30 }),
          async (pairs) => {
            const rows: MessageRow[] = pairs.map(([body, node]) => ({
              id: `rt${seq++}`,
              room: 'rt',
              sender: 'prop',
              body,
              node,
              tsMs: 1_700_000_000_123,
            }));
            const result = await flushBatch(db, table, rows, [], route);
            expect(result.inserted).toBe(rows.length);

            const { rows: stored } = await db.query<{ id: string; body: Buffer; node: Buffer }>(
              `SELECT id, convert_to(body, 'UTF8') AS body, convert_to(node, 'UTF8') AS node
           FROM ${table} WHERE id = ANY($1)`,
              [rows.map((r) => r.id)],
            );
            const byId = new Map(stored.map((s) => [s.id, s]));
            for (const row of rows) {
              const got = byId.get(row.id);
              expect(got?.body.equals(Buffer.from(row.body, 'utf8'))).toBe(true);
              expect(got?.node.equals(Buffer.from(row.node, 'utf8'))).toBe(true);
            }
          },
        ),
        { numRuns: 100 },
      );
    },
  );

  it('skips stored ids whichever route a batch takes, and reports the conflict', async () => {
    const row = { room: 'r', sender: 's', body: 'b', node: 'n', tsMs: 1_700_000_000_000 };
    const first = await flushBatch(db, table, [{ ...row, id: 'dup1' }], [], 'direct');
    expect(first).toMatchObject({ inserted: 1, skipped: 0, conflicted: false });

    const again = [
      { ...row, id: 'dup1' },
      { ...row, id: 'dup2' },
      { ...row, id: 'dup2' },
    ];
    for (const route of ['direct', 'staged'] as const) {
      const result = await flushBatch(db, table, again, [], route);
      expect(result.conflicted).toBe(true);
      expect(result.inserted + result.skipped).toBe(3);
    }
    expect(
      await db.query(`SELECT id FROM ${table} WHERE id LIKE 'dup%' ORDER BY id`),
    ).toMatchObject({
      rows: [{ id: 'dup1' }, { id: 'dup2' }],
    });
  });

  it('stores the node ts as created_at to the millisecond', async () => {
    const tsMs = Date.UTC(2026, 0, 2, 3, 4, 5, 678);
    await flushBatch(
      db,
      table,
      [{ id: 'ts1', room: 'r', sender: 's', body: 'b', node: 'n', tsMs }],
      [],
    );
    const { rows } = await db.query<{ ms: string }>(
      `SELECT (extract(epoch FROM created_at) * 1000)::bigint AS ms FROM ${table} WHERE id = 'ts1'`,
    );
    expect(Number(rows[0]?.ms)).toBe(tsMs);
  });
});
