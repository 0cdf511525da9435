/**
 * The watcher as a deployable: its handler, what it may touch, how often it runs (shared/health/
 * watch-services.ts probes the services, watch-jobs.ts looks after every job waiting on one). The CDK stack
 * (infra/constructs/watcher.ts) and the local stack both read this, as they read the task table. One run
 * at a time: the stack reserves a concurrency of one, and a run takes well under its interval.
 */
export const WATCHER = {
  id: 'watchServices',
  entry: 'functions/watcher/watch-services.ts',
  /**
   * Every probe is bounded (PROBE_TIMEOUT_MS per call, two calls); the jobs' work stops taking more after
   * WATCH_BUDGET_MS, and a poll is bounded by its calls' timeouts.
   */
  timeoutSeconds: 90,
  intervalMinutes: 1,
  memoryMb: 1024,
  /** Polls jobs with their owners' tokens, starts submit and collect executions and looks them up. */
  access: {
    /** Due work from the watch and outbox indexes (Query), each item read (GetItem, BatchGetItem: the
     * outbox) and moved (UpdateItem); a deleted job's leftover events item removed once sent (DeleteItem). */
    table: ['GetItem', 'Query', 'BatchGetItem', 'UpdateItem', 'DeleteItem'],
    secrets: 'read',
    callsService: true,
    stateMachine: ['start', 'describe'],
    /** Publishes the outbox's events at the end of each run (shared/events/publish-events.ts). */
    events: 'put',
  },
} as const;
