/**
 * COPY binary format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4),
 * kept for the benchmark that decided text vs binary (see store/flush.ts): a
 * signature and header, then per row a field count and length-prefixed fields,
 * then a -1 trailer. No escaping at all, but a Buffer per value.
 */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const POSTGRES_EPOCH_MS = Date.UTC(2000, 0, 1);

export function copyBinaryHeader(): Buffer {
  const header = Buffer.alloc(SIGNATURE.length + 8);
  SIGNATURE.copy(header, 0);
  return header; // flags = 0, header extension length = 0
}

export function copyBinaryTrailer(): Buffer {
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  return trailer;
}

/** A field is a text value or a timestamptz given in epoch milliseconds. */
export type BinaryField = { text: string } | { timestampMs: number };

export function copyBinaryRow(fields: readonly BinaryField[]): Buffer {
  const parts: Buffer[] = [];
  let size = 2;
  for (const field of fields) {
    const value =
      'text' in field ? Buffer.from(field.text, 'utf8') : timestampMicros(field.timestampMs);
    parts.push(value);
    size += 4 + value.length;
  }

  const row = Buffer.allocUnsafe(size);
  row.writeInt16BE(fields.length, 0);
  let at = 2;
  for (const value of parts) {
    row.writeInt32BE(value.length, at);
    value.copy(row, at + 4);
    at += 4 + value.length;
  }
  return row;
}

function timestampMicros(epochMs: number): Buffer {
  const value = Buffer.allocUnsafe(8);
  value.writeBigInt64BE(BigInt(epochMs - POSTGRES_EPOCH_MS) * 1000n, 0);
  return value;
}
