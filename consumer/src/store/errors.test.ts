import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { classifyPgError } from './errors.js';

function dbError(code: string): pg.DatabaseError {
  const error = new pg.DatabaseError('message text is never read', 0, 'error');
  error.code = code;
  return error;
}

describe('classifyPgError', () => {
  it('retries what says "not now": connection, resources, shutdown, serialization', () => {
    for (const code of ['08006', '08001', '53300', '57P01', '57P03', '40001', '40P01', '58030']) {
      expect(classifyPgError(dbError(code))).toBe('retry');
    }
  });

  it('retries connection-layer failures that carry no SQLSTATE', () => {
    expect(classifyPgError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toBe('retry');
    expect(classifyPgError(new Error('Connection terminated unexpectedly'))).toBe('retry');
  });

  it('isolates rows on data and integrity errors', () => {
    for (const code of ['22P05', '22021', '23505', '23514'])
      expect(classifyPgError(dbError(code))).toBe('isolate');
  });

  it('gives up on configuration and programming errors', () => {
    expect(classifyPgError(dbError('42P01'))).toBe('fatal');
    expect(classifyPgError(dbError('42501'))).toBe('fatal');
    expect(classifyPgError(new TypeError('undefined is not a function'))).toBe('fatal');
  });

  it('decides by code, not by message: the same text under two codes is classified apart', () => {
    const a = dbError('57P01');
    const b = dbError('42P01');
    expect(a.message).toBe(b.message);
    expect([classifyPgError(a), classifyPgError(b)]).toEqual(['retry', 'fatal']);
  });
});
