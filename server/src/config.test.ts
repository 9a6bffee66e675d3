import { ConfigError } from '@parley/runtime';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

const minimal = {
  KAFKA_BROKERS: '127.0.0.1:19092',
  REDIS_NODES: '127.0.0.1:7101,127.0.0.1:7102',
  DATABASE_URL: 'postgres://parley:parley@127.0.0.1:15432/parley',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('chat node config', () => {
  it('fills every default from the minimal settings', () => {
    const config = loadConfig(minimal);
    expect(config).toMatchObject({
      PORT: 4000,
      ENGINE: 'uws',
      REDIS_ADAPTER: 'sharded',
      AUTH_MODE: 'open',
      ALLOWED_ORIGINS: ['*'],
      MAX_BODY_BYTES: 4096,
      KAFKA_TOPIC: 'chat.messages',
      BROADCAST_AFTER_KAFKA: false,
    });
    expect(config.REDIS_NODES).toEqual(['127.0.0.1:7101', '127.0.0.1:7102']);
  });

  it('names every bad variable in one error', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      ENGINE: 'netty',
      KAFKA_BROKERS: 'nohost',
      DATABASE_URL: 'mysql://x',
      RATE_LIMIT_PER_SEC: '-1',
    });
    const named = problems.map((p) => p.split(/[:.]/)[0]);
    for (const name of ['PORT', 'ENGINE', 'KAFKA_BROKERS', 'DATABASE_URL', 'RATE_LIMIT_PER_SEC']) {
      expect(named).toContain(name);
    }
  });

  it('checks the cross-field rules', () => {
    expect(problemsOf({ ...minimal, AUTH_MODE: 'jwt' }).join()).toMatch(/JWT_SECRET: required/);
    expect(problemsOf({ ...minimal, JWT_SECRET: 'short' }).join()).toMatch(/JWT_SECRET/);
    expect(problemsOf({ ...minimal, MAX_BODY_BYTES: '65536' }).join()).toMatch(/MAX_FRAME_BYTES/);
    expect(problemsOf({ ...minimal, REDIS_URL: 'redis://127.0.0.1:6379' }).join()).toMatch(
      /REDIS_NODES/,
    );
    expect(problemsOf({ ...minimal, RATE_LIMIT_PER_SEC: '50' }).join()).toMatch(/RATE_LIMIT_BURST/);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ ...minimal, PORT: '' }).PORT).toBe(4000);
  });
});
