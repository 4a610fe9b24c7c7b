import { defineConfig } from 'vitest/config';

// `npm run test:reliability`: the slow, load-driven suites (key rotation under load, replicas, crash
// and database faults). One file at a time: each drives the machine hard on its own.
export default defineConfig({
  test: {
    include: ['test/reliability/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/slowest-files-reporter.ts'],
  },
});
