import { randomUUID } from 'node:crypto';

/** A short random suffix, so every run has its own topic, group, channel prefix and ids. */
export function uid(): string {
  return randomUUID().slice(0, 8);
}

/** Polls `condition` until it yields a value; fails naming `what` at the deadline. No fixed sleeps. */
export async function waitFor<T>(
  what: string,
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  deadlineMs = 10_000,
  everyMs = 50,
): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await condition();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > until) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
