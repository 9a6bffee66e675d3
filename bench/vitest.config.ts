import { fileURLToPath } from 'node:url';
import { defineProject } from 'vitest/config';

const standin = (module: string): string =>
  fileURLToPath(new URL(`./src/k6-standin/${module}.ts`, import.meta.url));

export default defineProject({
  // The k6 scripts import k6's own modules; in tests they resolve to the clearly labelled
  // stand-ins in src/k6-standin (k6 itself cannot be installed here, issue 5).
  resolve: {
    alias: [
      { find: /^k6$/, replacement: standin('k6') },
      { find: /^k6\/websockets$/, replacement: standin('websockets') },
      { find: /^k6\/timers$/, replacement: standin('timers') },
      { find: /^k6\/metrics$/, replacement: standin('metrics') },
      { find: /^k6\/execution$/, replacement: standin('execution') },
    ],
  },
  test: {
    name: 'bench',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
