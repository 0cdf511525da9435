/**
 * Checks an HTTP answer against the OpenAPI document: the operation must exist for the method and path,
 * the status must be declared, required headers present and valid, and the body must match the schema
 * (Ajv, JSON Schema 2020-12, strict) — or be empty when the response declares none. The component schemas
 * are registered under their own ids, so `$ref`s resolve without compiling the document's root.
 */

import type { ValidateFunction } from 'ajv';
import Ajv2020 from 'ajv/dist/2020';

type Json = Record<string, unknown>;

interface Operation {
  operationId: string;
  responses: Record<
    string,
    { description: string; headers?: Record<string, Json>; content?: Record<string, Json> }
  >;
}

export interface HttpAnswer {
  method: string;
  /** Path and optional query, as sent. */
  path: string;
  status: number;
  headers: Headers;
  body: string;
}

const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i;

/**
 * Ajv for the document's schemas: strict (unknown keywords fail), with the formats zod emits and the one
 * keyword OpenAPI 3.1 adds to JSON Schema that the document uses: `discriminator`, an annotation for
 * client generators (the `oneOf` beside it is what validates).
 */
export function createAjv() {
  const ajv = new Ajv2020({
    strict: true,
    allErrors: true,
    allowUnionTypes: true,
    formats: {
      'date-time': (value: string) => DATE_TIME.test(value) && !Number.isNaN(Date.parse(value)),
      uri: (value: string) => URL.canParse(value),
    },
  });
  ajv.addKeyword({ keyword: 'discriminator', schemaType: 'object' });
  return ajv;
}

const COMPONENT_ID = 'urn:openapi:schemas:';

/** A deep copy with `#/components/schemas/X` refs pointing at the ids the components are registered under. */
export function withComponentIds<T>(value: T): T {
  return JSON.parse(JSON.stringify(value).replaceAll('"#/components/schemas/', `"${COMPONENT_ID}`)) as T;
}

export class OpenApiValidator {
  private readonly ajv = createAjv();
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly operations: { method: string; pattern: RegExp; params: number; operation: Operation }[] =
    [];

  constructor(document: object) {
    const doc = withComponentIds(document) as {
      paths: Record<string, Record<string, Operation>>;
      components?: { schemas?: Record<string, Json> };
    };
    for (const [name, schema] of Object.entries(doc.components?.schemas ?? {})) {
      this.ajv.addSchema(schema, `${COMPONENT_ID}${name}`);
    }
    for (const [template, item] of Object.entries(doc.paths)) {
      const source = template.replace(/\{[^}]+\}/g, '[^/]+');
      for (const [method, operation] of Object.entries(item)) {
        this.operations.push({
          method: method.toUpperCase(),
          pattern: new RegExp(`^${source}$`),
          params: (template.match(/\{/g) ?? []).length,
          operation,
        });
      }
    }
  }

  /** The problems of an answer; empty when it is what the document says. */
  problems(answer: HttpAnswer): string[] {
    const pathname = answer.path.split('?')[0]!;
    const match = this.operations
      .filter((o) => o.method === answer.method.toUpperCase() && o.pattern.test(pathname))
      .sort((a, b) => a.params - b.params)[0];
    if (!match) return [`no operation for ${answer.method} ${pathname}`];
    const { operation } = match;
    const declared = operation.responses[String(answer.status)] ?? operation.responses.default;
    if (!declared) return [`${operation.operationId} does not declare status ${answer.status}`];
    const where = `${operation.operationId} ${answer.status}`;
    const problems: string[] = [];
    for (const [name, header] of Object.entries(declared.headers ?? {})) {
      const value = answer.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: header ${name} is missing`);
        continue;
      }
      problems.push(...this.check(`${where} header ${name}`, header.schema as Json, value));
    }
    if (!declared.content) {
      if (answer.body !== '') problems.push(`${where}: declares no body, got ${answer.body.slice(0, 200)}`);
      return problems;
    }
    const contentType = answer.headers.get('content-type')?.split(';')[0]?.trim() ?? '';
    const media = declared.content[contentType];
    if (!media) return [...problems, `${where}: content type "${contentType}" is not declared`];
    let body: unknown;
    try {
      body = JSON.parse(answer.body);
    } catch {
      return [...problems, `${where}: body is not JSON: ${answer.body.slice(0, 200)}`];
    }
    return [...problems, ...this.check(`${where} body`, media.schema as Json, body)];
  }

  private check(where: string, schema: Json, value: unknown): string[] {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    if (validate(value)) return [];
    return (validate.errors ?? []).map(
      (e) => `${where}: ${e.instancePath || '/'} ${e.message ?? 'is invalid'} ${JSON.stringify(e.params)}`,
    );
  }
}
