/**
 * COPY text format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2):
 * one line per row, columns separated by a tab, `\N` for NULL. Inside a value
 * only four bytes are special on input: backslash, newline, carriage return and
 * the delimiter (tab). Escaping exactly those four is complete: every other
 * character, including `\.`-lookalikes and non-BMP code points, reaches the
 * column verbatim because a literal backslash is always doubled first.
 *
 * The caller must keep two promises the format cannot express: the value holds
 * no NUL (text columns cannot store it) and no lone UTF-16 surrogate (it has no
 * UTF-8 encoding; Buffer.from would silently turn it into U+FFFD).
 */
const SPECIAL = /[\\\n\r\t]/;
const SPECIAL_ALL = /[\\\n\r\t]/g;

const REPLACEMENT: Record<string, string> = {
  '\\': '\\\\',
  '\n': '\\n',
  '\r': '\\r',
  '\t': '\\t',
};

/** Escapes one value for a COPY text column. */
export function escapeCopyText(value: string): string {
  // Most chat messages contain none of the four bytes; skip the replace pass for them.
  if (!SPECIAL.test(value)) return value;
  return value.replace(SPECIAL_ALL, (ch) => REPLACEMENT[ch] as string);
}

/** One row as a COPY text line, newline included. `null` becomes `\N`. */
export function copyTextLine(values: readonly (string | number | null)[]): string {
  let line = '';
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (i > 0) line += '\t';
    if (value === null || value === undefined) line += '\\N';
    else if (typeof value === 'number') line += String(value);
    else line += escapeCopyText(value);
  }
  return line + '\n';
}

/** True when PostgreSQL can store `value` in a text column byte for byte. */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && value.isWellFormed();
}
