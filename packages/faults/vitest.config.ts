import { defineProject } from 'vitest/config';

/**
 * The fault matrix kills, stalls and floods real processes, so its files run
 * one after another: two cores are shared with every other suite, and a fault
 * test starved of CPU would measure the machine instead of the system.
 */
export default defineProject({
  test: {
    name: 'faults',
    include: ['src/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
  },
});
