// STAND-IN for the `k6` module, tests only: see registry.ts.
import { recorded } from './registry.js';

export function check<T>(value: T, sets: Record<string, (v: T) => boolean>): boolean {
  let all = true;
  for (const [name, predicate] of Object.entries(sets)) {
    const ok = predicate(value);
    recorded.checks.push({ name, ok });
    all &&= ok;
  }
  return all;
}

export function sleep(): void {
  throw new Error('the k6 stand-in has no blocking sleep; the scripts must not use it');
}
