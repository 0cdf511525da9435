import type { JobsRun } from '#shared/health/watch-jobs';

/**
 * What the watcher benchmarks (watcher-load.ts, sweep-cost.ts and their child runs) share besides the
 * cost model (watcher-model.ts): how they print figures, summarise latencies and run work a few at a time.
 */

/** Dollars with as many digits as a small amount needs. */
export const usd = (value: number) =>
  value >= 1
    ? `$${value.toFixed(2)}`
    : value >= 0.01
      ? `$${value.toFixed(4)}`
      : value >= 0.0001
        ? `$${value.toFixed(6)}`
        : `$${value.toExponential(2)}`;
export const ms = (value: number | null | undefined) => (value == null ? '–' : `${value.toFixed(1)} ms`);
export const int = (value: number) => Math.round(value).toLocaleString('en-US');

/** Count, p50, p95 and max of some measured values (nearest rank). */
export interface Summary {
  count: number;
  p50: number | null;
  p95: number | null;
  max: number | null;
}

/** What every watcher run in a child process reports of itself, besides its own counts. */
export interface WatcherRunFigures {
  run: { jobs: JobsRun };
  wallMs: number;
  importMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  maxRssMb: number;
}

export function summary(values: number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  return { count: values.length, p50: at(0.5) ?? null, p95: at(0.95) ?? null, max: sorted.at(-1) ?? null };
}

/** Runs `act` on every item, at most `limit` at a time. */
export async function forEachLimited<T>(items: T[], limit: number, act: (item: T) => Promise<void>) {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await act(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
