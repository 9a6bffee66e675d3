import { defineConfig } from 'vitest/config';

/**
 * The whole suite in one run: unit tests beside the code (`*.test.ts`) and
 * integration tests against the real local stack (`*.int.test.ts`). `npm test`
 * brings the stack up first and passes its settings in the environment.
 */
export default defineConfig({
  test: {
    projects: ['packages/*', 'server', 'consumer', 'bench', 'web'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
