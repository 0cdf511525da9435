/**
 * The local stand-in for the stack's EventBridge Scheduler schedule: runs the watcher's handler
 * (shared/health/watcher.ts, the very module the stack deploys) right after start and then every
 * `intervalMs`, never two runs at once (as the function's reserved concurrency of one does in the cloud).
 * A failed run is logged and the next one comes on time.
 */
import { resolve } from 'node:path';
import { WATCHER } from '#shared/health/watcher';
import { lambdaContext } from './lambda-context';

type Handler = (event: unknown, context?: unknown) => Promise<unknown>;

export interface LocalScheduler {
  /** Resolves when the run under way (if any) has ended; the next runs on time. */
  runNow(): Promise<void>;
  close(): Promise<void>;
}

export async function startLocalScheduler(options: {
  root: string;
  intervalMs: number;
}): Promise<LocalScheduler> {
  const module = (await import(resolve(options.root, WATCHER.entry))) as { handler: Handler };
  let running: Promise<void> | null = null;
  const run = () => {
    if (running) return running;
    running = module
      .handler({ source: 'local-scheduler' }, lambdaContext(WATCHER.id, WATCHER.timeoutSeconds * 1000))
      .then(
        () => undefined,
        (error: unknown) => console.error(`watcher run failed: ${(error as Error).message}`),
      )
      .finally(() => {
        running = null;
      });
    return running;
  };
  const timer = setInterval(run, options.intervalMs);
  timer.unref();
  void run();
  return {
    runNow: run,
    close: async () => {
      clearInterval(timer);
      await running;
    },
  };
}
