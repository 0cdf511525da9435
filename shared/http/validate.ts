/**
 * zod validation of the parts of a REST proxy event, reported as one 400 with every problem listed.
 * Any zod schema will do (`zod/mini` or classic): it is parsed with zod's core, which is all a
 * `zod/mini` bundle carries.
 */
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { type core, safeParse } from 'zod/mini';
import '#shared/zod-english';
import { ValidationError } from '#shared/errors';

interface Schemas {
  body?: core.$ZodType;
  path?: core.$ZodType;
  query?: core.$ZodType;
}

export interface ValidationIssue {
  in: 'body' | 'path' | 'query' | 'header';
  path: string;
  message: string;
}

export function validateInput(spec: Schemas, event: APIGatewayProxyEvent) {
  const issues: ValidationIssue[] = [];
  const check = (where: ValidationIssue['in'], schema: core.$ZodType | undefined, value: unknown) => {
    if (!schema) return undefined;
    const parsed = safeParse(schema, value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues) {
      issues.push({ in: where, path: issue.path.join('.'), message: issue.message });
    }
    return undefined;
  };
  const result = {
    path: check('path', spec.path, decodePathParameters(event.pathParameters)),
    query: check('query', spec.query, event.queryStringParameters ?? {}),
    body: check('body', spec.body, event.body ?? undefined),
  };
  if (issues.length > 0) {
    const summary = issues.map((i) => `${i.in}${i.path ? `.${i.path}` : ''}: ${i.message}`).join('; ');
    throw new ValidationError(`Invalid request: ${summary}`, issues);
  }
  return result;
}

// API Gateway hands path parameters still percent-encoded in some setups; decode defensively once.
function decodePathParameters(params: APIGatewayProxyEvent['pathParameters']): Record<string, string> {
  const decoded: Record<string, string> = {};
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value === undefined) continue;
    try {
      decoded[key] = decodeURIComponent(value);
    } catch {
      decoded[key] = value;
    }
  }
  return decoded;
}
