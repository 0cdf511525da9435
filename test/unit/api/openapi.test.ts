/**
 * The OpenAPI document covers the route table exactly: every route with its method, parameters, body and
 * success answers, and for each route every error code it can answer — no more, no fewer — each under
 * its status; and the document is structurally valid OpenAPI 3.1 with valid JSON Schema 2020-12 schemas.
 */
import { describe, expect, it } from 'vitest';
import {
  bodyRouteErrors,
  type ErrorCode,
  errorCodes,
  everyRouteErrors,
  unroutedErrors,
} from '#shared/api/error-codes';
import { createOpenApiDocument, DEFAULT_MAX_UPLOAD_BYTES } from '#shared/api/openapi';
import { routes } from '#shared/api/routes';
import { openApiProblems } from './openapi-structure';

// biome-ignore lint/suspicious/noExplicitAny: reading into a generated JSON document
type Json = Record<string, any>;
const document = createOpenApiDocument() as Json;
const operationOf = (route: (typeof routes)[number]): Json =>
  document.paths[route.path]?.[route.method.toLowerCase()];

/** The codes of each error status of an operation, read back from the document. */
function documentedErrors(operation: Json): Map<string, string[]> {
  const byStatus = new Map<string, string[]>();
  for (const [status, response] of Object.entries(operation.responses as Record<string, Json>)) {
    if (Number(status) < 400) continue;
    const schema = response.content['application/json'].schema;
    byStatus.set(status, schema.properties.error.properties.code.enum);
  }
  return byStatus;
}

describe('the OpenAPI document', () => {
  it('has exactly the operations of the route table, each with its method, id, summary and tag', () => {
    const operations = Object.entries(document.paths as Record<string, Json>).flatMap(([path, item]) =>
      Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(operations.sort()).toEqual(routes.map((route) => `${route.method} ${route.path}`).sort());
    for (const route of routes) {
      expect(operationOf(route)).toMatchObject({
        operationId: route.id,
        summary: route.summary,
        description: route.description,
        tags: [route.entry.split('/')[2]],
      });
    }
  });

  it('declares each path, query and header parameter of the handlers, and their JSON bodies', () => {
    for (const route of routes) {
      const operation = operationOf(route);
      const parameters = ((operation.parameters ?? []) as Json[]).map((p) => `${p.in} ${p.name}`).sort();
      const expected = [
        ...Object.keys(route.request.path?._zod.def.shape ?? {}).map((name) => `path ${name}`),
        ...Object.keys(route.request.query?._zod.def.shape ?? {}).map((name) => `query ${name}`),
        ...Object.keys(route.request.headers?._zod.def.shape ?? {}).map((name) => `header ${name}`),
      ].sort();
      expect(parameters, route.id).toEqual(expected);
      expect(
        parameters.filter((p) => p.startsWith('path ')),
        route.id,
      ).toEqual([...route.path.matchAll(/\{(\w+)\}/g)].map((m) => `path ${m[1]}`).sort());
      if (route.request.body) {
        expect(operation.requestBody, route.id).toMatchObject({
          // POST /jobs/{jobId}/resubmit may be sent without a body.
          required: !route.request.optionalBody,
          content: { 'application/json': {} },
        });
      } else {
        expect(operation.requestBody, route.id).toBeUndefined();
      }
    }
    const createJob = operationOf(routes.find((r) => r.id === 'createJob')!);
    expect(createJob.parameters).toEqual([
      expect.objectContaining({
        in: 'header',
        name: 'Idempotency-Key',
        schema: expect.objectContaining({ pattern: expect.any(String) }),
      }),
    ]);
  });

  it('declares every success answer of each route with its body schema and headers', () => {
    for (const route of routes) {
      const responses = operationOf(route).responses as Record<string, Json>;
      const successes = Object.keys(responses).filter((status) => Number(status) < 400);
      expect(successes.sort(), route.id).toEqual(Object.keys(route.responses).sort());
      for (const [status, answer] of Object.entries(route.responses)) {
        expect(responses[status]!.content !== undefined, `${route.id} ${status}`).toBe(
          answer.body !== undefined,
        );
        expect(Object.keys(responses[status]!.headers ?? {}), `${route.id} ${status}`).toEqual(
          Object.keys(answer.headers?._zod.def.shape ?? {}),
        );
      }
    }
    const created = operationOf(routes.find((r) => r.id === 'createJob')!).responses['202'];
    expect(created.headers.Location).toMatchObject({ required: true, schema: { type: 'string' } });
    // A job, or a parent job (POST /jobs with `targets`).
    expect(created.content['application/json'].schema).toEqual({
      anyOf: [{ $ref: '#/components/schemas/Job' }, { $ref: '#/components/schemas/ParentJob' }],
    });
  });

  it('answers every error code a route declares, and only those, each under its status', () => {
    for (const route of routes) {
      const expected = new Map<string, string[]>();
      const codes = new Set<ErrorCode>([
        ...everyRouteErrors,
        ...(route.request.body ? bodyRouteErrors : []),
        ...route.errors,
      ]);
      for (const code of codes) {
        for (const status of errorCodes[code].statuses) {
          // Only a function allowed 29 s can run into API Gateway's integration timeout.
          if (status === 504 && route.timeoutSeconds !== 29) continue;
          expected.set(String(status), [...(expected.get(String(status)) ?? []), code]);
        }
      }
      const documented = documentedErrors(operationOf(route));
      expect(new Map([...documented].map(([s, c]) => [s, [...c].sort()])), route.id).toEqual(
        new Map([...expected].map(([s, c]) => [s, c.sort()])),
      );
      for (const code of route.errors)
        expect(JSON.stringify([...documented.values()]), route.id).toContain(`"${code}"`);
    }
  });

  it('lists each error code some route answers with its meaning, and no other', () => {
    const answered = new Set(
      routes.flatMap((route) => [...documentedErrors(operationOf(route)).values()].flat()),
    );
    expect(answered.size).toBeGreaterThan(20);
    const unrouted = new Set<string>(unroutedErrors.map((e) => e.code));
    for (const code of Object.keys(errorCodes).filter((c) => !unrouted.has(c))) {
      expect(document.info.description.includes(`| \`${code}\` |`), code).toBe(answered.has(code));
    }
  });

  it('types VALIDATION_FAILED details as issues and gives 500s their request id', () => {
    const getJob = documentedErrors(operationOf(routes.find((r) => r.id === 'getJob')!));
    expect(getJob.get('400')).toEqual(['BAD_REQUEST', 'VALIDATION_FAILED']);
    const error400 = operationOf(routes.find((r) => r.id === 'getJob')!).responses['400'].content[
      'application/json'
    ].schema;
    expect(error400.properties.error.properties.details).toEqual({
      type: 'array',
      items: { $ref: '#/components/schemas/ValidationIssue' },
    });
    const error500 = operationOf(routes[0]!).responses['500'].content['application/json'].schema;
    expect(error500.properties.error.properties.requestId).toMatchObject({ type: 'string' });
    expect(error500.properties.error.required).toEqual(['code', 'message']);
  });

  it('secures every operation with the bearer JWT scheme', () => {
    expect(document.security).toEqual([{ bearerAuth: [] }]);
    expect(document.components.securitySchemes.bearerAuth).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    for (const route of routes) expect(operationOf(route).security, route.id).toBeUndefined();
  });

  it('carries the deployment values it is given', () => {
    const sizeOf = (doc: Json) =>
      doc.paths['/uploads'].post.requestBody.content['application/json'].schema.properties.size;
    expect(sizeOf(document).maximum).toBe(DEFAULT_MAX_UPLOAD_BYTES);
    const custom = createOpenApiDocument({
      maxUploadBytes: 1024,
      serviceIds: ['michigan', 'topmed'],
      servers: [{ url: 'http://127.0.0.1:3000' }],
    }) as Json;
    expect(sizeOf(custom).maximum).toBe(1024);
    expect(custom.servers).toEqual([{ url: 'http://127.0.0.1:3000' }]);
    expect(custom.paths['/services/{serviceId}'].get.parameters[0].schema.examples).toEqual([
      'michigan',
      'topmed',
    ]);
    expect(document.servers[0].url).toBe('https://{apiId}.execute-api.{region}.amazonaws.com/v1');
    // The same input gives the same document (it is written at every synth).
    expect(JSON.stringify(createOpenApiDocument())).toBe(JSON.stringify(document));
  });

  it('is structurally valid OpenAPI 3.1 whose schemas are valid JSON Schema 2020-12', () => {
    expect(openApiProblems(document)).toEqual([]);
  });

  it('is checked by a structure check that finds broken documents', () => {
    const broken = structuredClone(document);
    broken.openapi = '3.0.3';
    broken.paths['/jobs/{jobId}'].get.parameters = [];
    broken.paths['/jobs'].get.responses['200'].content['application/json'].schema = {
      $ref: '#/components/schemas/Nope',
    };
    broken.paths['/jobs'].get.operationId = 'createJob';
    broken.paths['/uploads'].get.responses.ok = { description: 'x' };
    broken.components.schemas.Job.properties.status = { type: 'strnig' };
    const problems = openApiProblems(broken);
    for (const expected of [
      'openapi: must be 3.1.x',
      'GET /jobs/{jobId}: path template {jobId} has no parameter',
      '$ref: #/components/schemas/Nope does not resolve',
      'GET /jobs: duplicate operationId createJob',
      'GET /uploads: invalid response key ok',
    ]) {
      expect(problems).toContain(expected);
    }
    expect(problems.some((p) => p.startsWith('#/components/schemas/Job: not JSON Schema 2020-12'))).toBe(
      true,
    );
  });
});
