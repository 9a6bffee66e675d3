import { randomUUID } from 'node:crypto';

/** A short random suffix, so every run has its own topic, group, channel prefix and ids. */
export function uid(): string {
  return randomUUID().slice(0, 8);
}

export { waitFor } from '@parley/runtime';
