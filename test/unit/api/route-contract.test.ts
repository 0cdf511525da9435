/**
 * What keeps the document honest about the code: each handler validates with the very schema objects the
 * route table documents (one set of schemas, not copies), and every error code the sources can answer —
 * the domain's typed vocabulary, the HTTP stack's and the gateways' own — is catalogued.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { errorCodes, unroutedErrors } from '#shared/api/error-codes';
import { createJobHeaders, idempotencyKeySchema } from '#shared/api/requests';
import { routes } from '#shared/api/routes';
import { CLOUDGENE_ERROR_CODES } from '#shared/cloudgene/errors';
import { APP_ERROR_CODES } from '#shared/errors';
import { httpStatusOf } from '#shared/http/status-codes';

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
    expect(createJobHeaders.shape['Idempotency-Key']._zod.def.innerType).toBe(idempotencyKeySchema);
  });

  it('catalogues every code of the domain vocabulary with the status of the one code → status map', () => {
    // Handlers and shared code can only throw these (the error classes take a typed code).
    for (const code of [...APP_ERROR_CODES, ...CLOUDGENE_ERROR_CODES]) {
      expect(errorCodes[code], code).toEqual({
        statuses: [httpStatusOf(code)],
        description: expect.any(String),
      });
    }
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
