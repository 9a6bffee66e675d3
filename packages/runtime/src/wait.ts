/**
 * Polls `condition` until it yields a value (anything but `undefined` or
 * `false`) and returns it; fails naming `what` once `deadlineMs` has passed.
 * An exception from `condition` fails at once. Tests wait with this for the
 * state they need instead of sleeping for a guessed time.
 */
export async function waitFor<T>(
  what: string,
  condition: () => T | undefined | false | Promise<T | undefined | false>,
  deadlineMs = 15_000,
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
