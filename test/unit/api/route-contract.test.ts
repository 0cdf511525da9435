/**
 * What keeps the document honest about the code: each handler validates with the very schema objects the
 * route table documents (one set of schemas, not copies), and every error code the sources can answer —
 * thrown by handlers and shared code, mapped by the HTTP stack, answered by the gateways — is catalogued.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodes, unroutedErrors } from '#shared/api/error-codes';
import { createJobHeaders, idempotencyKeySchema } from '#shared/api/requests';
import { routes } from '#shared/api/routes';

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

/** The text of each call `new <Class>(…)` of an API error class, up to its closing parenthesis. */
function errorConstructions(text: string): { className: string; args: string }[] {
  const found: { className: string; args: string }[] = [];
  for (const match of text.matchAll(/new (\w+Error)\(/g)) {
    let depth = 1;
    let end = match.index + match[0].length;
    while (depth > 0 && end < text.length) {
      if (text[end] === '(') depth += 1;
      if (text[end] === ')') depth -= 1;
      end += 1;
    }
    found.push({ className: match[1]!, args: text.slice(match.index + match[0].length, end - 1) });
  }
  return found;
}

const CODE_LITERAL = /'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z]{4,})'/g;
/** API error classes and the code they use when a call gives none (shared/errors.ts). */
const DEFAULT_CODES: Record<string, string | undefined> = {
  AppError: undefined,
  BadRequestError: 'BAD_REQUEST',
  ValidationError: 'VALIDATION_FAILED',
  NotFoundError: 'NOT_FOUND',
  ConflictError: 'CONFLICT',
  UnprocessableError: undefined,
  BadGatewayError: undefined,
};

describe('the route contract', () => {
  it('documents the very request schemas each handler validates with', async () => {
    for (const route of routes) {
      const module = (await import(resolve(route.entry))) as { request?: Record<string, unknown> };
      expect(module.request, `${route.entry} exports its request schemas`).toBeDefined();
      expect(Object.keys(module.request!).sort(), route.id).toEqual(Object.keys(route.request).sort());
      for (const [part, schema] of Object.entries(route.request)) {
        expect(module.request![part] === schema, `${route.id} ${part} is the same object`).toBe(true);
      }
    }
    // POST /jobs checks its Idempotency-Key itself, with the documented header's schema.
    expect(createJobHeaders.shape['Idempotency-Key'].unwrap()).toBe(idempotencyKeySchema);
  });

  it('catalogues every error code that handlers and shared code throw', () => {
    const thrown = new Set<string>();
    for (const file of [...sources('shared'), ...sources('functions')]) {
      if (file === join('shared', 'errors.ts')) continue;
      for (const { className, args } of errorConstructions(readFileSync(file, 'utf8'))) {
        if (!(className in DEFAULT_CODES)) continue;
        const literals = [...args.matchAll(CODE_LITERAL)].map((m) => m[1]!);
        const codes = literals.length > 0 ? literals : [DEFAULT_CODES[className]];
        for (const code of codes) thrown.add(code ?? `${className} without a code in ${file}`);
      }
    }
    expect(thrown.size).toBeGreaterThan(15);
    expect([...thrown].filter((code) => !(code in errorCodes)).sort()).toEqual([]);
  });

  it('catalogues every code the HTTP stack and both gateways answer', () => {
    const answered = new Set<string>();
    const collect = (file: string, pattern: RegExp) => {
      for (const match of readFileSync(file, 'utf8').matchAll(pattern)) answered.add(match[1]!);
    };
    collect('shared/http/error-response.ts', /errorBody\(\s*\d+,\s*'([A-Z_]+)'/g);
    collect('shared/http/error-response.ts', /code: '([A-Z_]+)'/g);
    collect('infra/constructs/api.ts', /gatewayError\(\s*apigw\.ResponseType\.\w+,\s*'([A-Z_]+)'/g);
    collect('infra/local/api-gateway.ts', /code: '([A-Z_]+)'/g);
    expect(answered.size).toBeGreaterThan(10);
    const known = new Set([...Object.keys(errorCodes), ...unroutedErrors.map((e) => e.code)]);
    expect([...answered].filter((code) => !known.has(code)).sort()).toEqual([]);
  });
});
