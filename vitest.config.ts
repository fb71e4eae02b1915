import { defineConfig } from 'vitest/config';

// Read by libuv when a process starts: the forked test workers inherit it. The embedded engine runs
// analyst queries and the sink's inserts on this pool (see runtime/analyst.ts).
process.env.UV_THREADPOOL_SIZE ??= '16';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', 'dist/**', 'var/**'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests share one broker; files run in parallel on the 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
