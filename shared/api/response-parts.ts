/**
 * The pieces every answer schema is built of (shared/api/responses.ts, upload-responses.ts): registration
 * as a named component or with a description, which the OpenAPI generator reads, and the field types
 * the answers share.
 */
import * as z from 'zod/mini';

/** Registers a schema as a named component of the document (`#/components/schemas/<id>`). */
export function component<T extends z.ZodMiniType>(schema: T, id: string, description: string): T {
  z.globalRegistry.add(schema as z.ZodMiniType, { id, description });
  return schema;
}
/**
 * A described copy of the schema: the field types below are shared by many fields, and describing the
 * one instance would give every field that uses it the same description (the registry is per instance).
 */
export function described<T extends z.ZodMiniType>(schema: T, description: string): T {
  const copy = schema.clone() as T;
  z.globalRegistry.add(copy as z.ZodMiniType, { description });
  return copy;
}

export const timestamp = z.iso.datetime();
export const nullableTimestamp = z.nullable(z.iso.datetime());
export const text = z.string();
export const count = z.int().check(z.nonnegative());
export const cursor = described(
  z.nullable(z.string()),
  'Pass as `cursor` for the next page; null on the last page',
);
