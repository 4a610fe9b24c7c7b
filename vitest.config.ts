import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

/*
 * Most test files wait on real peers (servers, git, chromium, python) far more than they compute, so
 * one worker more than there are cores keeps the machine busy; vitest's default (cores - 1) ran a 2-core
 * CI machine one file at a time.
 */
const WORKERS = Number(process.env.TESSERA_TEST_WORKERS ?? availableParallelism() + 1);

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    exclude: ['test/reliability/**', '**/node_modules/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // expect.poll waits for an event, not for a time: its bound is the test's, not vitest's 1 s.
    expect: { poll: { timeout: 30_000 } },
    pool: 'forks',
    maxWorkers: WORKERS,
    globalSetup: ['test/support/global-setup.ts'],
    reporters: ['default', './test/support/slowest-files-reporter.ts'],
  },
});
