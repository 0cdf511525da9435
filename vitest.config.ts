import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      {
        extends: true,
        test: { name: 'workflow', include: ['test/workflow/**/*.test.ts'], testTimeout: 60_000 },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 120_000 } },
      { extends: true, test: { name: 'infra', include: ['test/infra/**/*.test.ts'], testTimeout: 120_000 } },
      {
        extends: true,
        // One Chromium and one local stack at a time: the files run one after another.
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
    testTimeout: 15_000,
    // Vitest's default on a 2-core machine is one worker (cores − 1): every file after the other. Most
    // files wait on emulators, child processes and Chromium more than they compute, so two run at once.
    maxWorkers: 2,
    // Handlers log JSON lines; tests that assert on logs raise the level themselves.
    // Services and their redirects are simulators on 127.0.0.1 (plain http): allowed in tests only.
    env: {
      POWERTOOLS_LOG_LEVEL: 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
      OUTBOUND_ALLOW_LOOPBACK: 'true',
    },
  },
});
