import { beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import * as mini from 'zod/mini';
import { ConflictError, NotFoundError } from '#shared/errors';
import { apiHandler } from '#shared/http/api-handler';
import { invoke } from '#test/support/api-event';
import { useSettings } from '#test/support/settings';

const alice = { sub: 'sub-alice', username: 'alice', groups: ['researchers'] };

describe('the HTTP stack shared by every API handler', () => {
  let echo: ReturnType<typeof makeEcho>;
  const makeEcho = () =>
    apiHandler(
      {
        path: z.object({ itemId: z.string().regex(/^[a-z]+$/) }),
        query: z.object({ limit: z.coerce.number().int().min(1).max(50).default(10) }),
        body: z.strictObject({ name: z.string().min(1), size: z.number().int().positive() }),
      },
      async ({ caller, path, query, body }) => ({ status: 201, body: { caller, path, query, body } }),
    );

  beforeAll(() => {
    useSettings({ CORS_ALLOWED_ORIGINS: ['https://ui.example.org'] });
    echo = makeEcho();
  });

  const valid = {
    method: 'POST',
    pathParameters: { itemId: 'abc' },
    query: { limit: '5' },
    body: { name: 'x', size: 3 },
    caller: alice,
  };

  it('hands the handler the parsed body, path, query and the caller from the authorizer context', async () => {
    const result = await invoke(echo, valid);
    expect(result.status).toBe(201);
    expect(result.body).toEqual({
      caller: alice,
      path: { itemId: 'abc' },
      query: { limit: 5 },
      body: { name: 'x', size: 3 },
    });
    expect(result.headers['Content-Type']).toBe('application/json');
  });

  it('adds security headers to every answer, errors included', async () => {
    for (const input of [valid, { ...valid, body: { name: '' } }]) {
      const { headers } = await invoke(echo, input);
      expect(headers['Strict-Transport-Security']).toMatch(/max-age=/);
      expect(headers['X-Content-Type-Options']).toBe('nosniff');
    }
  });

  it('answers CORS only for the configured origins', async () => {
    const allowed = await invoke(echo, { ...valid, headers: { Origin: 'https://ui.example.org' } });
    expect(allowed.headers['Access-Control-Allow-Origin']).toBe('https://ui.example.org');
    const other = await invoke(echo, { ...valid, headers: { Origin: 'https://evil.example.com' } });
    expect(other.headers['Access-Control-Allow-Origin']).not.toBe('https://evil.example.com');
  });

  it('rejects each invalid part with 400 VALIDATION_FAILED listing every problem', async () => {
    const result = await invoke(echo, {
      ...valid,
      pathParameters: { itemId: 'ABC' },
      query: { limit: '500' },
      body: { name: '', size: -1, extra: true },
    });
    expect(result.status).toBe(400);
    expect(result.body.error.code).toBe('VALIDATION_FAILED');
    const where = result.body.error.details.map((d: { in: string; path: string }) => `${d.in}:${d.path}`);
    expect(where).toEqual(
      expect.arrayContaining(['path:itemId', 'query:limit', 'body:name', 'body:size', 'body:']),
    );
  });

  it('takes zod/mini schemas alike: the same parsed values and the same problems listed', async () => {
    const miniEcho = apiHandler(
      {
        path: mini.object({ itemId: mini.string().check(mini.regex(/^[a-z]+$/)) }),
        query: mini.object({
          limit: mini._default(mini.coerce.number().check(mini.int(), mini.minimum(1), mini.maximum(50)), 10),
        }),
        body: mini.strictObject({
          name: mini.string().check(mini.minLength(1)),
          size: mini.int().check(mini.positive()),
        }),
      },
      async ({ caller, path, query, body }) => ({ status: 201, body: { caller, path, query, body } }),
    );
    const invalid = {
      ...valid,
      pathParameters: { itemId: 'ABC' },
      query: { limit: '500' },
      body: { name: '', size: -1, extra: true },
    };
    for (const input of [valid, { ...valid, query: {} }, invalid]) {
      const [classic, withMini] = [await invoke(echo, input), await invoke(miniEcho, input)];
      expect(withMini.status).toBe(classic.status);
      expect(withMini.body).toEqual(classic.body);
    }
    expect((await invoke(miniEcho, invalid)).body.error.details).toHaveLength(5);
  });

  it('rejects malformed JSON with 400 INVALID_JSON', async () => {
    const result = await invoke(echo, {
      ...valid,
      body: '{"name": ',
      headers: { 'Content-Type': 'application/json' },
    });
    expect(result.status).toBe(400);
    expect(result.body).toEqual({ error: { code: 'INVALID_JSON', message: expect.any(String) } });
  });

  it('rejects a body that is not JSON with 415', async () => {
    const result = await invoke(echo, {
      ...valid,
      body: 'name=x',
      headers: { 'Content-Type': 'text/plain' },
    });
    expect(result.status).toBe(415);
    expect(result.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('rejects a missing body with 400', async () => {
    const result = await invoke(echo, {
      ...valid,
      body: undefined,
      headers: { 'Content-Type': 'application/json' },
    });
    expect(result.status).toBe(400);
  });

  it('maps the error hierarchy to its status and code', async () => {
    const notFound = apiHandler({}, async () => {
      throw new NotFoundError('Job not found', 'JOB_NOT_FOUND');
    });
    const conflict = apiHandler({}, async () => {
      throw new ConflictError('busy', 'SERVICE_TOKEN_MISSING');
    });
    expect(await invoke(notFound, { caller: alice })).toMatchObject({
      status: 404,
      body: { error: { code: 'JOB_NOT_FOUND', message: 'Job not found' } },
    });
    expect(await invoke(conflict, { caller: alice })).toMatchObject({
      status: 409,
      body: { error: { code: 'SERVICE_TOKEN_MISSING' } },
    });
  });

  it('answers an unexpected error with 500, a request id and nothing of its internals', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const failing = apiHandler({}, async () => {
      throw new Error('connect ECONNREFUSED 10.0.0.7:5432 password=hunter2');
    });
    const result = await invoke(failing, { caller: alice });
    write.mockRestore();
    expect(result.status).toBe(500);
    expect(result.body.error.code).toBe('INTERNAL');
    expect(result.body.error.requestId).toEqual(expect.any(String));
    expect(result.raw).not.toMatch(/ECONNREFUSED|hunter2|10\.0\.0\.7/);
  });

  it('refuses to run without an authorizer context (500, never an anonymous caller)', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const result = await invoke(echo, { ...valid, caller: null });
    write.mockRestore();
    expect(result.status).toBe(500);
  });

  it('sends 204 with an empty body', async () => {
    const noContent = apiHandler({}, async () => ({ status: 204 }));
    const result = await invoke(noContent, { method: 'DELETE', caller: alice });
    expect(result).toMatchObject({ status: 204, raw: '' });
  });
});
