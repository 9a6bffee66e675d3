import { describe, expect, it } from 'vitest';
import { copyTextLine, escapeCopyText, isStorableText } from './text.js';

describe('COPY text encoder', () => {
  it('escapes exactly backslash, newline, carriage return and tab', () => {
    expect(escapeCopyText('a\\b')).toBe('a\\\\b');
    expect(escapeCopyText('line1\nline2')).toBe('line1\\nline2');
    expect(escapeCopyText('cr\rhere')).toBe('cr\\rhere');
    expect(escapeCopyText('col\tcol')).toBe('col\\tcol');
  });

  it('leaves every other character as it is, astral planes included', () => {
    const plain = 'quotes " \' , ; | emoji 😀 𝄞 CJK 漢字 RTL שלום \u2028 \uFEFF \u0001 \u007f';
    expect(escapeCopyText(plain)).toBe(plain);
  });

  it('cannot produce the end-of-data marker or the NULL marker from data', () => {
    expect(escapeCopyText('\\.')).toBe('\\\\.');
    expect(escapeCopyText('\\N')).toBe('\\\\N');
  });

  it('separates columns by tab, ends rows with newline and writes NULL as \\N', () => {
    expect(copyTextLine(['a\tb', 42, null, ''])).toBe('a\\tb\t42\t\\N\t\n');
  });

  it('treats only NUL and lone surrogates as unstorable', () => {
    expect(isStorableText('ok 😀')).toBe(true);
    expect(isStorableText('nul\u0000')).toBe(false);
    expect(isStorableText('lone \ud800 high')).toBe(false);
    expect(isStorableText('lone \udc00 low')).toBe(false);
  });
});
