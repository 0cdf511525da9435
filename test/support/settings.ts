/**
 * Tests set the functions' environment the way the local stack does: typed values written by the
 * settings module (shared/settings.ts), then a fresh runtime (shared/runtime.ts), so the modules a test
 * file imports at its top read them on first use. No module needs importing again.
 */
import { vi } from 'vitest';
import { resetRuntime } from '#shared/runtime';
import { type EnvironmentValues, environmentFor, type VariableName } from '#shared/settings';

/** Writes the settings into process.env and starts a fresh runtime. */
export function useSettings(values: EnvironmentValues): void {
  Object.assign(process.env, environmentFor(values));
  resetRuntime();
}

/** The same with `vi.stubEnv`, so `vi.unstubAllEnvs()` takes them back. */
export function stubSettings(values: EnvironmentValues): void {
  for (const [key, text] of Object.entries(environmentFor(values))) vi.stubEnv(key, text);
  resetRuntime();
}

/**
 * Runs `run` with these settings (`null`: unset) and restores the environment afterwards. The runtime is
 * left as it is: for settings read on every call (VALIDATION_BUDGET_MS) and for bundles loaded afresh.
 */
export async function withSettings<T>(
  values: { [K in VariableName]?: EnvironmentValues[K] | null },
  run: () => Promise<T> | T,
): Promise<T> {
  const saved = Object.keys(values).map((key) => [key, process.env[key]] as const);
  const unset = Object.keys(values).filter((key) => values[key as VariableName] === null);
  const set = Object.fromEntries(Object.entries(values).filter(([, value]) => value !== null));
  Object.assign(process.env, environmentFor(set as EnvironmentValues));
  for (const key of unset) delete process.env[key];
  try {
    return await run();
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
