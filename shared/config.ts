/**
 * The one configuration parser: every module declares the environment it needs as a zod object and
 * reads it through `parseEnv`, so a missing or malformed setting fails at cold start with a message
 * naming the variable instead of surfacing later as `undefined`.
 */
import { z } from 'zod';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const result = schema.safeParse(env);
  if (!result.success) {
    const problems = result.error.issues.map(
      (issue) => `${issue.path.join('.') || '(env)'}: ${issue.message}`,
    );
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }
  return result.data;
}

/** Lazily parsed, memoised configuration: parsing happens on first use, not at import time (tests set env first). */
export function lazyEnv<T extends z.ZodType>(schema: T): () => z.infer<T> {
  let cached: z.infer<T> | undefined;
  return () => {
    cached ??= parseEnv(schema);
    return cached as z.infer<T>;
  };
}

/** Comma-separated list in one variable, e.g. `a,b , c` → ['a','b','c']. */
export const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);
