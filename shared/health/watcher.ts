/**
 * The watcher as a deployable: its handler, what it may touch, how often it runs. The CDK stack
 * (infra/constructs/watcher.ts) and the local stack both read this, as they read the task table. One run
 * at a time: the stack reserves a concurrency of one, and a run takes well under its interval.
 */
export const WATCHER = {
  id: 'watchServices',
  entry: 'functions/watcher/watch-services.ts',
  /** Every probe is bounded (PROBE_TIMEOUT_MS per call, two calls), far inside this. */
  timeoutSeconds: 60,
  intervalMinutes: 1,
  access: { table: 'readWrite', callsService: true },
} as const;
