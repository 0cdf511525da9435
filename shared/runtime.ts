/**
 * The process runtime: what a function keeps from one invocation to the next — parsed settings, SDK
 * clients, stores, the token verifier, cached keys — is built on first use and held here rather than in
 * module variables, so there is exactly one place that holds process state and one way to start afresh.
 * A module builds such a value with `perRuntime(key, build)` in a getter; its API takes the value as a
 * parameter whose default is that getter, so a caller (a test) may pass its own instead.
 *
 * Lambda never resets. Tests change the environment and call `resetRuntime()` instead of re-importing
 * modules; the local stack does the same after writing the functions' environment.
 */

interface Held {
  value: unknown;
  dispose?: (value: unknown) => void;
}

/** Values of the current runtime, each under the key its getter chose (the getter function itself). */
let held = new Map<object, Held>();

/**
 * The value held under `key` in this runtime, built on first use. A build that throws keeps nothing, so
 * the next call tries again (a configuration error is reported on every invocation until it is fixed).
 * Getters are plain functions (`export function s3Client() { return perRuntime(s3Client, …) }`), so a
 * bundle leaves out those it never calls.
 */
export function perRuntime<T>(key: object, build: () => T, dispose?: (value: T) => void): T {
  const existing = held.get(key);
  if (existing) return existing.value as T;
  const value = build();
  held.set(key, { value, dispose: dispose as Held['dispose'] });
  return value;
}

/**
 * Forgets every value of the runtime (settings are parsed again from the environment, clients and stores
 * rebuilt) and disposes of the old ones, e.g. destroys SDK clients. For test setup and the local stack's
 * start: a value still in use elsewhere would keep working on a destroyed client.
 */
export function resetRuntime(): void {
  const previous = held;
  held = new Map();
  for (const { value, dispose } of previous.values()) dispose?.(value);
}
