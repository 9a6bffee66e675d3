import { defineProject } from 'vitest/config';

/**
 * The fault matrix kills, stalls and floods real processes, so its files run
 * one after another, and after every other project of the root run
 * (`groupOrder` 1, the others are 0): two cores are shared by everything, and
 * a fault test starved of CPU would measure the machine instead of the system.
 */
export default defineProject({
  test: {
    name: 'faults',
    include: ['src/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 180_000,
    fileParallelism: false,
    sequence: { groupOrder: 1 },
  },
});
