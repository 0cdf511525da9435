/**
 * The checker the end-to-end suite puts in front of every answer refuses what the document does not
 * allow; and the local gateway serves the document at GET /openapi.json without a token.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalApiGateway, startLocalApiGateway } from '#infra/local/api-gateway';
import { createOpenApiDocument } from '#shared/api/openapi';
import { type HttpAnswer, OpenApiValidator } from '#test/e2e/openapi-validator';

const validator = new OpenApiValidator(createOpenApiDocument());
const json = { 'content-type': 'application/json' };
const answer = (method: string, path: string, status: number, body: unknown, headers = {}): HttpAnswer => ({
  method,
  path,
  status,
  headers: new Headers(body === undefined ? headers : { ...json, ...headers }),
  body: body === undefined ? '' : JSON.stringify(body),
});
const now = new Date().toISOString();
const upload = {
  uploadId: '01JAAAAAAAAAAAAAAAAAAAAAAA',
  fileName: 'a.vcf.gz',
  size: 10,
  sha256: null,
  status: 'PENDING',
  transfer: 'single',
  createdAt: now,
  confirmedAt: null,
  uploadUrlExpiresAt: now,
  expiresAt: now,
  check: null,
};

describe('the OpenAPI answer checker', () => {
  it('accepts answers the document allows', () => {
    expect(validator.problems(answer('GET', '/uploads/01JAAAAAAAAAAAAAAAAAAAAAAA', 200, upload))).toEqual([]);
    expect(
      validator.problems(answer('GET', '/uploads?limit=1', 200, { uploads: [upload], nextCursor: null })),
    ).toEqual([]);
    expect(validator.problems(answer('DELETE', '/jobs/01JAAAAAAAAAAAAAAAAAAAAAAA', 204, undefined))).toEqual(
      [],
    );
    const notFound = { error: { code: 'UPLOAD_NOT_FOUND', message: 'Upload x not found' } };
    expect(validator.problems(answer('GET', '/uploads/01JAAAAAAAAAAAAAAAAAAAAAAA', 404, notFound))).toEqual(
      [],
    );
  });

  it('refuses what the document does not allow', () => {
    const path = '/uploads/01JAAAAAAAAAAAAAAAAAAAAAAA';
    const cases: [HttpAnswer, RegExp][] = [
      [answer('GET', '/nowhere', 200, {}), /no operation for GET \/nowhere/],
      [answer('GET', path, 418, {}), /does not declare status 418/],
      [answer('GET', path, 200, { ...upload, extra: 1 }), /must NOT have additional properties/],
      [answer('GET', path, 200, { ...upload, createdAt: 'yesterday' }), /must match format "date-time"/],
      [answer('GET', path, 200, { ...upload, status: 'DONE' }), /must be equal to one of the allowed values/],
      [answer('GET', path, 404, { error: { code: 'JOB_NOT_FOUND', message: 'x' } }), /allowed values/],
      [answer('GET', path, 404, { error: { message: 'x' } }), /must have required property 'code'/],
      [answer('GET', path, 200, upload, { 'content-type': 'text/html' }), /content type "text\/html"/],
      [answer('DELETE', '/jobs/01JAAAAAAAAAAAAAAAAAAAAAAA', 204, { deleted: true }), /declares no body/],
    ];
    for (const [bad, problem] of cases) expect(validator.problems(bad).join('\n')).toMatch(problem);
    const job = answer('POST', '/jobs', 202, {});
    expect(validator.problems(job).join('\n')).toMatch(/header Location is missing/);
  });

  it("tells POST /uploads' two answers apart by `transfer`", () => {
    const multipart = {
      upload: { ...upload, transfer: 'multipart' },
      transfer: 'multipart',
      multipart: { partSize: 64 * 1024 ** 2, partCount: 3, maxPartsPerRequest: 100 },
    };
    const single = {
      upload,
      transfer: 'single',
      uploadUrl: 'https://s3.example.org/x',
      method: 'PUT',
      headers: { 'Content-Length': '10' },
    };
    for (const body of [multipart, single]) {
      expect(validator.problems(answer('POST', '/uploads', 201, body)), body.transfer).toEqual([]);
    }
    for (const body of [
      { ...multipart, uploadUrl: single.uploadUrl },
      { ...single, transfer: 'multipart' },
      { ...multipart, multipart: { partSize: 1, partCount: 1 } },
    ]) {
      expect(validator.problems(answer('POST', '/uploads', 201, body)).join('\n')).toMatch(/oneOf/);
    }
  });
});

describe('GET /openapi.json on the local gateway', () => {
  let gateway: LocalApiGateway;
  beforeAll(async () => {
    gateway = await startLocalApiGateway({ port: 0 });
  });
  afterAll(() => gateway?.close());

  it('answers the document without a token, with the gateway as its server', async () => {
    const response = await fetch(`${gateway.url}/openapi.json`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const served = await response.json();
    expect(served).toEqual(
      createOpenApiDocument({
        servers: [{ url: gateway.url, description: 'This local stack' }],
        serviceIds: ['michigan', 'topmed', 'h3africa'],
      }),
    );
    // Other public paths still need the authorizer.
    expect((await fetch(`${gateway.url}/openapi.yaml`)).status).toBe(404);
    expect((await fetch(`${gateway.url}/jobs`)).status).toBe(401);
  });
});
