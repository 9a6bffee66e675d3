import { decodeRecord } from '@parley/protocol';
import { isStorableText } from '../copy/text.js';
import type { DeadLetter, MessageRow } from '../store/rows.js';

/** Latest `ts` the writer stores: 9999-12-31, the last instant both JS and PostgreSQL print plainly. */
const MAX_TS_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export interface RawRecord {
  key: Buffer | null;
  value: Buffer | null;
  offset: string;
}

export type Decoded = { ok: true; row: MessageRow } | { ok: false; deadLetter: DeadLetter };

/**
 * Turns one Kafka record into a row or a dead letter; never throws, so one bad
 * record can never stall its partition. On top of decodeRecord() it checks what
 * only the database cares about: `node` must be storable text too, and `ts`
 * must be a timestamp PostgreSQL accepts.
 */
export function decodeMessage(topic: string, partition: number, raw: RawRecord): Decoded {
  const poison = (reason: string, detail: string): Decoded => ({
    ok: false,
    deadLetter: {
      topic,
      partition,
      offset: raw.offset,
      reason,
      detail,
      key: raw.key,
      payload: raw.value,
    },
  });

  const decoded = decodeRecord(raw.value);
  if (!decoded.ok) return poison(decoded.reason, safeDetail(decoded.detail));

  const { record } = decoded;
  if (!isStorableText(record.node)) {
    return poison(
      record.node.includes('\u0000') ? 'nul_character' : 'not_utf8',
      'node is not storable text',
    );
  }
  if (record.ts > MAX_TS_MS) return poison('wrong_shape', 'ts is beyond year 9999');

  const row: MessageRow = {
    id: record.id,
    room: record.room,
    sender: record.from,
    body: record.body,
    tsMs: record.ts,
    node: record.node,
  };
  return { ok: true, row };
}

/** Details quote parser messages that may echo the bad input; keep them storable and short. */
function safeDetail(detail: string): string {
  return detail.replaceAll('\u0000', '\\0').toWellFormed().slice(0, 500);
}
