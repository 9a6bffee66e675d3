/**
 * `npm run bench:writer`: rows per second of four ways to put the same
 * generated chat messages into a table shaped like `messages` (primary key and
 * both indexes), side by side in one run:
 *   writer       the real writer end to end: Kafka topic -> consumer group -> COPY
 *                into staging -> INSERT ... SELECT ... ON CONFLICT, offsets committed
 *   flush        the writer's flush alone on the same batches (no Kafka), by both
 *                routes: direct COPY into the table, and staged (COPY + ON CONFLICT)
 *   multi INSERT the same batches as one multi-row INSERT ... VALUES each
 *   row INSERT   one INSERT per row, each its own transaction (the naive ORM path)
 *   raw COPY     COPY FROM STDIN of all rows, text and binary (the machine's ceiling)
 * Options: --rows N (100000), --batch N (10000), --naive-rows N (5000),
 * --body-bytes N (120), --timeout-s N (300), --repeat N (3), --flush-concurrency N (1)
 * (the writer's FLUSH_CONCURRENCY). The variants run
 * round-robin, --repeat times, each time on a fresh scratch table, and the table
 * reports the median (this machine is shared, single runs are noisy). The run
 * drops its tables, its topic and its consumer groups.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Kafka, logLevel } from 'kafkajs';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { encodeRecord } from '@parley/protocol';
import { createLogger, serviceEnv } from '@parley/runtime';
import { parseWriterConfig } from '../config.js';
import { copyBinaryHeader, copyBinaryRow, copyBinaryTrailer } from '../copy/binary.js';
import { copyRows, flushBatch, type FlushRoute } from '../store/flush.js';
import type { MessageRow } from '../store/rows.js';
import { startWriter } from '../writer.js';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '100000' },
    batch: { type: 'string', default: '10000' },
    'naive-rows': { type: 'string', default: '5000' },
    'body-bytes': { type: 'string', default: '120' },
    'timeout-s': { type: 'string', default: '300' },
    repeat: { type: 'string', default: '3' },
    'flush-concurrency': { type: 'string', default: '1' },
  },
});
const rowCount = positive('rows');
const batchRows = Math.min(positive('batch'), 10_000); // 6 parameters a row, 65535 at most
const naiveRows = Math.min(positive('naive-rows'), rowCount);
const bodyBytes = positive('body-bytes');
const timeoutMs = positive('timeout-s') * 1000;
const repeat = positive('repeat');
const flushConcurrency = positive('flush-concurrency');

function positive(name: keyof typeof args): number {
  const value = Number(args[name]);
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new Error(`--${name} must be a positive integer`);
  return value;
}

interface Result {
  variant: string;
  rows: number;
  seconds: number;
  note: string;
}

// Found from this file, not the working directory: the stack's .stack/env is at the repo root.
const env = serviceEnv(fileURLToPath(new URL('.', import.meta.url)));
const tag = randomUUID().replaceAll('-', '').slice(0, 10);
const tables: string[] = [];

/** Chat-like bodies with the characters COPY text must escape now and then. */
function generateRows(): MessageRow[] {
  const words = [
    'hello',
    'world',
    'ok',
    'see you',
    'tab\there',
    'line\nbreak',
    'back\\slash',
    '😀',
    'ça va',
  ];
  const rows: MessageRow[] = [];
  const now = Date.now();
  for (let i = 0; i < rowCount; i++) {
    let body = '';
    while (body.length < bodyBytes) body += `${words[(i * 7 + body.length) % words.length]} `;
    rows.push({
      id: `b${tag}-${i}`,
      room: `room-${i % 200}`,
      sender: `user-${i % 5000}`,
      body: body.slice(0, bodyBytes).toWellFormed(),
      tsMs: now - (rowCount - i),
      node: 'bench-node',
    });
  }
  return rows;
}

async function scratchTable(db: pg.Client, name: string): Promise<string> {
  const table = `bench_${name}_${tag}_${tables.length}`;
  await db.query(`CREATE TABLE ${table} (LIKE messages INCLUDING ALL)`);
  tables.push(table);
  return table;
}

function batches<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

async function timed(run: () => Promise<void>): Promise<number> {
  const startedAt = performance.now();
  await run();
  return (performance.now() - startedAt) / 1000;
}

async function rawCopyText(db: pg.Client, rows: MessageRow[]): Promise<Result> {
  const table = await scratchTable(db, 'copytext');
  const lines = rows.map((r) => [
    r.id,
    r.room,
    r.sender,
    r.body,
    new Date(r.tsMs).toISOString(),
    r.node,
  ]);
  const seconds = await timed(() =>
    copyRows(db, `COPY ${table} (id, room, sender, body, created_at, node) FROM STDIN`, lines),
  );
  return { variant: 'raw COPY (text)', rows: rows.length, seconds, note: 'one COPY, no staging' };
}

async function rawCopyBinary(db: pg.Client, rows: MessageRow[]): Promise<Result> {
  const table = await scratchTable(db, 'copybin');
  function* chunks(): Generator<Buffer> {
    yield copyBinaryHeader();
    for (const r of rows) {
      yield copyBinaryRow([
        { text: r.id },
        { text: r.room },
        { text: r.sender },
        { text: r.body },
        { timestampMs: r.tsMs },
        { text: r.node },
      ]);
    }
    yield copyBinaryTrailer();
  }
  const sql = `COPY ${table} (id, room, sender, body, created_at, node) FROM STDIN (FORMAT binary)`;
  const seconds = await timed(() => pipeline(Readable.from(chunks()), db.query(copyFrom(sql))));
  return { variant: 'raw COPY (binary)', rows: rows.length, seconds, note: 'one COPY, no staging' };
}

async function writerFlush(db: pg.Client, rows: MessageRow[], route: FlushRoute): Promise<Result> {
  const table = await scratchTable(db, route);
  const seconds = await timed(async () => {
    for (const batch of batches(rows, batchRows)) await flushBatch(db, table, batch, [], route);
  });
  const how = route === 'direct' ? 'COPY into the table' : 'COPY to staging + INSERT ON CONFLICT';
  return { variant: `flush ${route}`, rows: rows.length, seconds, note: `${how}, no Kafka` };
}

async function multiInsert(db: pg.Client, rows: MessageRow[]): Promise<Result> {
  const table = await scratchTable(db, 'multi');
  const seconds = await timed(async () => {
    for (const batch of batches(rows, batchRows)) {
      const params: (string | number)[] = [];
      const tuples = batch.map((r, i) => {
        params.push(r.id, r.room, r.sender, r.body, r.tsMs, r.node);
        const p = i * 6;
        return `($${p + 1}, $${p + 2}, $${p + 3}, $${p + 4}, to_timestamp($${p + 5}::bigint / 1000.0), $${p + 6})`;
      });
      await db.query('BEGIN');
      await db.query(
        `INSERT INTO ${table} (id, room, sender, body, created_at, node) VALUES ${tuples.join(', ')}
         ON CONFLICT (id) DO NOTHING`,
        params,
      );
      await db.query('COMMIT');
    }
  });
  return {
    variant: 'multi-row INSERT',
    rows: rows.length,
    seconds,
    note: `${batchRows}-row batches`,
  };
}

async function rowByRow(db: pg.Client, rows: MessageRow[]): Promise<Result> {
  const table = await scratchTable(db, 'rowwise');
  const sample = rows.slice(0, naiveRows);
  const seconds = await timed(async () => {
    for (const r of sample) {
      await db.query(
        `INSERT INTO ${table} (id, room, sender, body, created_at, node)
         VALUES ($1, $2, $3, $4, to_timestamp($5::bigint / 1000.0), $6) ON CONFLICT (id) DO NOTHING`,
        [r.id, r.room, r.sender, r.body, r.tsMs, r.node],
      );
    }
  });
  return {
    variant: 'row INSERT',
    rows: sample.length,
    seconds,
    note: `first ${sample.length} rows, autocommit each`,
  };
}

interface BenchTopic {
  kafka: Kafka;
  topic: string;
  groups: string[];
  produceSeconds: number;
}

/** Produces every row once; each writer run reads the full topic with a new group. */
async function produceTopic(rows: MessageRow[]): Promise<BenchTopic> {
  const topic = `writer-bench-${tag}`;
  const kafka = new Kafka({
    clientId: 'writer-bench',
    brokers: (env.KAFKA_BROKERS ?? '').split(','),
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 12 }], waitForLeaders: true });
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  const produceSeconds = await timed(async () => {
    for (const batch of batches(rows, 2000)) {
      const messages = batch.map((r) => ({
        key: r.room,
        value: encodeRecord(
          { id: r.id, room: r.room, from: r.sender, body: r.body, ts: r.tsMs },
          r.node,
        ),
      }));
      await producer.send({ topic, acks: -1, messages });
    }
  });
  await producer.disconnect();
  return { kafka, topic, groups: [], produceSeconds };
}

async function dropTopic(bench: BenchTopic): Promise<void> {
  const admin = bench.kafka.admin();
  await admin.connect();
  await admin.deleteGroups(bench.groups).catch(() => undefined);
  await admin.deleteTopics({ topics: [bench.topic] }).catch(() => undefined);
  await admin.disconnect();
}

/** The real writer, in-process, until every row is stored; timed from its first commit. */
async function writerEndToEnd(
  db: pg.Client,
  bench: BenchTopic,
  rowTotal: number,
): Promise<Result[]> {
  const table = await scratchTable(db, 'writer');
  const groupId = `writer-bench-${tag}-${bench.groups.length}`;
  bench.groups.push(groupId);
  const config = parseWriterConfig({
    ...env,
    KAFKA_TOPIC: bench.topic,
    KAFKA_GROUP_ID: groupId,
    WRITER_TABLE: table,
    WRITER_MIGRATE: 'false',
    METRICS_PORT: '0',
    BATCH_MAX_ROWS: String(batchRows),
    FLUSH_CONCURRENCY: String(flushConcurrency),
  });

  const startedAt = performance.now();
  const writer = await startWriter(config, {
    logger: createLogger({ service: 'writer-bench' }, 'warn'),
  });
  let firstAt = 0;
  let firstRows = 0;
  let written = 0;
  const deadline = Date.now() + timeoutMs;
  try {
    while (written < rowTotal) {
      if (Date.now() > deadline)
        throw new Error(`writer stored ${written} of ${rowTotal} rows in time`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      written = (await writer.metrics.rowsWritten.get()).values[0]?.value ?? 0;
      if (firstAt === 0 && written > 0) [firstAt, firstRows] = [performance.now(), written];
    }
  } finally {
    await writer.stop();
  }
  const doneAt = performance.now();

  return [
    {
      variant: 'writer (Kafka -> PG)',
      rows: rowTotal - firstRows,
      seconds: (doneAt - firstAt) / 1000,
      note: `from its first commit; ${batchRows}-row batches, ${flushConcurrency} flushes at once`,
    },
    {
      variant: 'writer incl. start-up',
      rows: rowTotal,
      seconds: (doneAt - startedAt) / 1000,
      note: 'connect + group join included',
    },
  ];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}

function report(runs: Result[], produced: Result): void {
  const variants = [...new Set(runs.map((r) => r.variant))];
  const summary = variants.map((variant) => {
    const mine = runs.filter((r) => r.variant === variant);
    const rates = mine.map((r) => r.rows / r.seconds);
    return { variant, mine, rate: median(rates), min: Math.min(...rates), max: Math.max(...rates) };
  });
  const rate = (name: string): number => summary.find((x) => x.variant === name)?.rate ?? NaN;

  const lines = [
    `writer bench: ${rowCount} rows, ~${bodyBytes}-byte bodies, batches of ${batchRows}, median of ${repeat}`,
    `(producing the topic once: ${Math.round(produced.rows / produced.seconds)} rows/s, not part of any ratio)`,
    '',
    '| variant | rows | median rows/s | min | max | note |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...summary.map(
      (s) =>
        `| ${s.variant} | ${s.mine[0]?.rows ?? 0} | ${Math.round(s.rate)} | ${Math.round(s.min)} | ` +
        `${Math.round(s.max)} | ${s.mine[0]?.note ?? ''} |`,
    ),
    '',
    'ratios of the medians:',
    `writer / row INSERT       = ${(rate('writer (Kafka -> PG)') / rate('row INSERT')).toFixed(1)}x (goal >= 20x)`,
    `writer / raw COPY (text)  = ${((100 * rate('writer (Kafka -> PG)')) / rate('raw COPY (text)')).toFixed(0)}% (goal >= 70%)`,
    `flush direct / raw COPY   = ${((100 * rate('flush direct')) / rate('raw COPY (text)')).toFixed(0)}%`,
    `flush staged / raw COPY   = ${((100 * rate('flush staged')) / rate('raw COPY (text)')).toFixed(0)}%`,
    `multi INSERT / row INSERT = ${(rate('multi-row INSERT') / rate('row INSERT')).toFixed(1)}x`,
    `COPY binary / COPY text   = ${(rate('raw COPY (binary)') / rate('raw COPY (text)')).toFixed(2)}`,
  ];
  // Variants of one round run seconds apart; their ratio shrugs off slower load swings.
  const perRound = (a: string, b: string): number[] => {
    const as = runs.filter((r) => r.variant === a);
    const bs = runs.filter((r) => r.variant === b);
    return as.map((r, i) => {
      const other = bs[i];
      return other === undefined ? NaN : r.rows / r.seconds / (other.rows / other.seconds);
    });
  };
  const roundsOf = (values: number[], scale: number, unit: string): string =>
    values.map((v) => `${(v * scale).toFixed(scale === 100 ? 0 : 1)}${unit}`).join(', ');
  const toRow = perRound('writer (Kafka -> PG)', 'row INSERT');
  const toCopy = perRound('writer (Kafka -> PG)', 'raw COPY (text)');
  lines.push(
    '',
    'ratios per round (median):',
    `writer / row INSERT       = ${roundsOf(toRow, 1, 'x')} (${median(toRow).toFixed(1)}x)`,
    `writer / raw COPY (text)  = ${roundsOf(toCopy, 100, '%')} (${(100 * median(toCopy)).toFixed(0)}%)`,
  );
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function main(): Promise<void> {
  const db = new pg.Client({
    connectionString: env.DATABASE_URL,
    application_name: 'writer-bench',
  });
  await db.connect();
  const rows = generateRows();
  const bench = await produceTopic(rows);
  const produced: Result = {
    variant: 'produce',
    rows: rows.length,
    seconds: bench.produceSeconds,
    note: '',
  };
  try {
    const runs: Result[] = [];
    // Round-robin, so a burst of load from a neighbour hurts every variant alike.
    for (let round = 0; round < repeat; round++) {
      runs.push(...(await writerEndToEnd(db, bench, rows.length)));
      runs.push(await writerFlush(db, rows, 'direct'));
      runs.push(await writerFlush(db, rows, 'staged'));
      runs.push(await multiInsert(db, rows));
      runs.push(await rowByRow(db, rows));
      runs.push(await rawCopyText(db, rows));
      runs.push(await rawCopyBinary(db, rows));
      await dropTables(db);
    }
    report(runs, produced);
  } finally {
    await dropTables(db);
    await dropTopic(bench);
    await db.end();
  }
}

async function dropTables(db: pg.Client): Promise<void> {
  for (const table of tables.splice(0))
    await db.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
}

main().catch((error: unknown) => {
  process.stderr.write(`writer bench failed: ${String(error)}\n`);
  process.exit(1);
});
