-- Chat history: one row per acknowledged message, keyed by the client's id.
--
-- Why the table is not partitioned by time (yet): the writer's exactly-once
-- guarantee rests on `ON CONFLICT (id) DO NOTHING`, which needs a unique index
-- on `id` alone. PostgreSQL requires every unique index of a partitioned table
-- to include the partition key, and a resend of the same id may carry a newer
-- `created_at` (the node stamps `ts` when it accepts the message), so a
-- (id, created_at) key would store a retried message twice. Partitioning
-- becomes possible once ids embed their creation time (e.g. UUIDv7 validated
-- at the node); until then, retention is by batched DELETE on `created_at`,
-- served by the BRIN index below.
CREATE TABLE IF NOT EXISTS messages (
  id          text        PRIMARY KEY,
  room        text        NOT NULL,
  sender      text        NOT NULL,
  body        text        NOT NULL,
  created_at  timestamptz NOT NULL,
  node        text        NOT NULL DEFAULT '',
  -- When the writer committed the row; the persistence lag is stored_at - created_at.
  stored_at   timestamptz NOT NULL DEFAULT now()
);

-- Room history newest first with keyset pagination:
--   WHERE room = $1 AND (created_at, id) < ($2, $3) ORDER BY created_at DESC, id DESC
CREATE INDEX IF NOT EXISTS messages_room_created_at_id
  ON messages (room, created_at DESC, id DESC);

-- Time-range scans (retention, exports) on an append-mostly table: a BRIN index
-- is a few pages for billions of rows because created_at follows insert order.
CREATE INDEX IF NOT EXISTS messages_created_at_brin
  ON messages USING brin (created_at) WITH (pages_per_range = 64);

-- An insert-only table is vacuumed on the insert threshold (PostgreSQL 13+),
-- which keeps the visibility map current for index-only scans and freezes
-- tuples early in small steps instead of one huge anti-wraparound pass.
ALTER TABLE messages SET (
  autovacuum_vacuum_insert_scale_factor = 0.02,
  autovacuum_vacuum_insert_threshold = 100000,
  autovacuum_analyze_scale_factor = 0.02
);

-- Records the writer could not store. They never block a partition: the raw
-- payload is kept here, byte for byte, with where it came from and why.
CREATE TABLE IF NOT EXISTS dead_letters (
  topic        text        NOT NULL,
  "partition"  integer     NOT NULL,
  "offset"     bigint      NOT NULL,
  reason       text        NOT NULL,
  detail       text        NOT NULL DEFAULT '',
  record_key   bytea,
  payload      bytea,
  received_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (topic, "partition", "offset")
);
