/**
 * The kinds of value a setting holds (shared/settings.ts declares the variables): each a zod/mini schema
 * from the variable's text (undefined when unset) to its value, and the way back to text. Messages are
 * zod's English ones, so an error reads "TABLE_NAME: Invalid input: expected string, received undefined".
 */
import { assertIsJwks, type Jwks } from 'aws-jwt-verify/jwk';
import { en } from 'zod/locales';
import * as z from 'zod/mini';

// zod/mini ships no messages ("Invalid input"); these are the ones the classic build uses.
z.config(en());

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface Variable<Out, In> {
  /** Parses the variable's text (undefined when unset) into its value, default applied. */
  readonly schema: z.ZodMiniType<Out>;
  /** Writes a value as the variable's text. */
  readonly encode: (value: In) => string;
  readonly doc: string;
}
// biome-ignore lint/suspicious/noExplicitAny: any variable, whatever its value types
export type AnyVariable = Variable<any, any>;

export const variable = <Out, In = NonNullable<Out>>(
  schema: z.ZodMiniType<Out>,
  doc: string,
  encode: (value: In) => string = String,
): Variable<Out, In> => ({ schema, doc, encode });

export const nonEmpty = () => z.string().check(z.minLength(1));
export const name = (doc: string) => variable(nonEmpty(), doc);
export const integer = (doc: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) =>
  variable(z._default(z.coerce.number().check(z.int(), z.minimum(min), z.maximum(max)), fallback), doc);
export const commaList = z.pipe(
  z.string(),
  z.transform((text: string) =>
    text
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean),
  ),
);
export const joined = (values: readonly string[]) => values.join(',');
export const json = <T extends z.ZodMiniType>(schema: T) => {
  const parsed = z.pipe(
    z.string(),
    z.transform((text: string, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (error) {
        ctx.issues.push({ code: 'custom', message: `not JSON (${(error as Error).message})`, input: text });
        return z.NEVER;
      }
    }),
  );
  return z.pipe(parsed, schema);
};
/** A variable set to '' (a blank field in a console or a template) means "use the default". */
export const blankIsUnset = <T extends z.ZodMiniType>(schema: T) =>
  z.pipe(
    z.transform((value: unknown) => (value === '' ? undefined : value)),
    schema,
  );
export const nonEmptyList = z.pipe(commaList, z.array(z.string()).check(z.minLength(1)));
export const inlineJwks = z.pipe(
  z.string(),
  z.transform((text: string, ctx): Jwks => {
    try {
      const jwks: unknown = JSON.parse(text);
      assertIsJwks(jwks as never);
      return jwks as Jwks;
    } catch (error) {
      ctx.issues.push({ code: 'custom', message: `not a JWKS (${(error as Error).message})`, input: text });
      return z.NEVER;
    }
  }),
);
export const optionalName = (doc: string) => variable(z.optional(nonEmpty()), doc);
