import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { kafkaSettings, redisSettings } from './clients.js';
import { ConfigError, hostPortList, parseConfig, port, redactConfig } from './config.js';
import { parseEnvFile } from './stack-env.js';

describe('parseConfig', () => {
  const schema = z.object({ PORT: port, NODES: hostPortList, NAME: z.string().default('n') });

  it('names every bad variable in one error', () => {
    try {
      parseConfig(schema, { PORT: 'eighty', NODES: 'nohost' });
      expect.unreachable('parseConfig accepted bad settings');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^PORT: .*"eighty"/m);
      expect(problems).toMatch(/^NODES/m);
    }
  });

  it('treats empty strings as unset so defaults apply', () => {
    const config = parseConfig(schema, { PORT: '80', NODES: 'a:1, b:2', NAME: '' });
    expect(config).toEqual({ PORT: 80, NODES: ['a:1', 'b:2'], NAME: 'n' });
  });

  it('requires exactly one of REDIS_NODES and REDIS_URL', () => {
    expect(() => parseConfig(redisSettings, {})).toThrow(ConfigError);
    expect(() =>
      parseConfig(redisSettings, { REDIS_NODES: 'a:1', REDIS_URL: 'redis://a:1' }),
    ).toThrow(/exactly one/);
    expect(parseConfig(redisSettings, { REDIS_URL: 'rediss://a:1' }).REDIS_URL).toBe(
      'rediss://a:1',
    );
  });

  it('rejects an unknown SASL mechanism', () => {
    const env = { KAFKA_BROKERS: 'k:9092', KAFKA_SASL_MECHANISM: 'gssapi' };
    expect(() => parseConfig(kafkaSettings, env)).toThrow(/KAFKA_SASL_MECHANISM/);
  });
});

describe('redactConfig', () => {
  it('hides secrets and URL passwords but keeps everything else', () => {
    const out = redactConfig({
      JWT_SECRET: 's3cret',
      KAFKA_SASL_PASSWORD: 'pw',
      DATABASE_URL: 'postgres://parley:hunter2@db:5432/parley',
      PORT: 3000,
    });
    expect(out).toEqual({
      JWT_SECRET: '[redacted]',
      KAFKA_SASL_PASSWORD: '[redacted]',
      DATABASE_URL: 'postgres://parley:[redacted]@db:5432/parley',
      PORT: 3000,
    });
  });
});

describe('parseEnvFile', () => {
  it('reads KEY=value lines, skips comments, unquotes values', () => {
    const text = '# c\nA=1\nexport B=\'two words\'\nC="x=y"\n\n';
    expect(parseEnvFile(text)).toEqual({ A: '1', B: 'two words', C: 'x=y' });
  });

  it('names the line that is not KEY=value', () => {
    expect(() => parseEnvFile('A=1\nnot a setting')).toThrow(/line 2/);
  });
});
