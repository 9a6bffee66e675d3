import { z } from 'zod';

/**
 * Settings come from the environment, are parsed once at start-up against one
 * schema, and a bad start names every bad variable in a single error.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

/**
 * Parses `env` with `schema`. Empty strings count as unset, so `FOO=` in a
 * shell file falls back to the default rather than failing a number parse.
 */
export function parseConfig<S extends z.ZodType>(schema: S, env: Env = process.env): z.infer<S> {
  const cleaned: Env = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') cleaned[key] = value;
  }

  const result = schema.safeParse(cleaned);
  if (result.success) return result.data;

  const problems = result.error.issues.map((issue) => {
    const name = issue.path.join('.') || '(config)';
    const got = issue.path.length === 1 ? cleaned[String(issue.path[0])] : undefined;
    return got === undefined
      ? `${name}: ${issue.message}`
      : `${name}: ${issue.message} (got "${got}")`;
  });
  throw new ConfigError(problems);
}

const SECRET_KEY = /SECRET|PASSWORD|TOKEN|KEY$/i;

/** The effective configuration with secrets and URL passwords redacted, for logs and `--print-config`. */
export function redactConfig(config: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config)) {
    if (value !== undefined && SECRET_KEY.test(key)) out[key] = '[redacted]';
    else if (typeof value === 'string')
      out[key] = value.replace(/\/\/([^:/@]+):[^@/]*@/, '//$1:[redacted]@');
    else out[key] = value;
  }
  return out;
}

// ---- building blocks shared by every process's schema ----------------------

export const hostPort = z
  .string()
  .regex(/^[A-Za-z0-9_.-]+:\d{1,5}$|^\[[0-9A-Fa-f:]+\]:\d{1,5}$/, 'expected host:port');

/** A comma-separated list of `host:port`, e.g. `REDIS_NODES=127.0.0.1:7101,127.0.0.1:7102`. */
export const hostPortList = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0),
  )
  .pipe(z.array(hostPort).min(1, 'expected at least one host:port'));

export const port = z.coerce.number().int().min(0).max(65535);

export const positiveInt = z.coerce.number().int().positive();

export const nonNegativeInt = z.coerce.number().int().nonnegative();

export const boolFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

export const postgresUrl = z.string().regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL');

export const redisUrl = z.string().regex(/^rediss?:\/\//, 'expected a redis:// or rediss:// URL');

export function splitHostPort(value: string): { host: string; port: number } {
  const at = value.lastIndexOf(':');
  const host = value.slice(0, at).replace(/^\[|\]$/g, '');
  return { host, port: Number(value.slice(at + 1)) };
}
