/**
 * The functions as deployed: built with the stack's own bundling (infra/constructs/bundling.ts: ESM,
 * minified, source maps, names kept), then imported and invoked. Proves the bundles run outside the
 * TypeScript toolchain and that error classes keep their names in what the functions log and throw.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleAsDeployed } from '#infra/constructs/bundle-as-deployed';
import { lambdaContext } from '#infra/local/lambda-context';
import { createTokenIssuer } from '#infra/local/token-issuer';
import { type Caller, callerToAuthorizerContext } from '#shared/auth/caller';
import { startAwsEmulators } from '#test/support/aws-emulators';
import { useSettings, withSettings } from '#test/support/settings';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const out = mkdtempSync(join(tmpdir(), 'bundles-'));
const issuer = createTokenIssuer({ issuer: 'https://idp.bundle-test.example', audience: 'bundle-test' });
let aws: Awaited<ReturnType<typeof startAwsEmulators>>;

/**
 * Each call builds into its own folder, so each import is a fresh module (a fresh cold start, with a
 * runtime of its own). The one dynamic import the tests need: the bundle is a file built at run time.
 */
let builds = 0;
async function deployed(entry: string): Promise<Handler> {
  const bundle = await bundleAsDeployed(entry, join(out, String(++builds)));
  return ((await import(pathToFileURL(bundle.file).href)) as { handler: Handler }).handler;
}

const caller: Caller = { sub: 'sub-bundle', username: 'bundle', groups: [] };
const proxyEvent = (method: string, path: string, body?: unknown) => ({
  resource: path,
  path,
  httpMethod: method,
  headers: body ? { 'Content-Type': 'application/json' } : {},
  multiValueHeaders: {},
  queryStringParameters: null,
  pathParameters: null,
  body: body === undefined ? null : JSON.stringify(body),
  isBase64Encoded: false,
  requestContext: { requestId: 'r-1', authorizer: callerToAuthorizerContext(caller) },
});

beforeAll(async () => {
  aws = await startAwsEmulators();
  useSettings({
    AUTH_MODE: 'oidc',
    OIDC_ISSUER: issuer.issuer,
    OIDC_AUDIENCE: [issuer.audience],
    OIDC_JWKS_JSON: issuer.jwks,
    INPUTS_BUCKET: 'inputs-bundle-test',
    AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:1',
  });
}, 60_000);
afterAll(() => aws?.close());

describe('functions bundled as deployed', () => {
  it('the authorizer allows a valid token, denies a forged one, and names the error class it hit', async () => {
    const authorize = await deployed('functions/authorizer/handler.ts');
    const methodArn = 'arn:aws:execute-api:us-east-1:123456789012:api/v1/GET/services';
    const allowed = (await authorize(
      { type: 'TOKEN', methodArn, authorizationToken: `Bearer ${issuer.tokenFor({ sub: 'sub-1' })}` },
      lambdaContext('authorizer'),
    )) as { principalId: string; policyDocument: { Statement: { Effect: string }[] } };
    expect(allowed.principalId).toBe('sub-1');
    expect(allowed.policyDocument.Statement[0]?.Effect).toBe('Allow');

    const forger = createTokenIssuer({ issuer: issuer.issuer, audience: issuer.audience, kid: issuer.kid });
    await expect(
      authorize(
        { type: 'TOKEN', methodArn, authorizationToken: `Bearer ${forger.tokenFor({ sub: 'sub-1' })}` },
        lambdaContext('authorizer'),
      ),
    ).rejects.toThrow('Unauthorized');

    // A JWKS that cannot be fetched is our failure (a 500), and the message names its class unminified.
    await withSettings({ OIDC_JWKS_JSON: null, OIDC_JWKS_URI: 'https://127.0.0.1:1/jwks.json' }, async () => {
      const unreachable = await deployed('functions/authorizer/handler.ts');
      const failure = await unreachable(
        { type: 'TOKEN', methodArn, authorizationToken: `Bearer ${issuer.tokenFor({ sub: 'sub-1' })}` },
        lambdaContext('authorizer'),
      ).catch((error: unknown) => error as Error);
      expect((failure as Error).message).toBe('Token verification failed (FetchError)');
    });
  });

  it('GET /services answers with the catalog and the caller token status', async () => {
    const listServices = await deployed('functions/api/services/list-services.ts');
    const result = (await listServices(proxyEvent('GET', '/services'), lambdaContext('listServices'))) as {
      statusCode: number;
      body: string;
    };
    expect(result.statusCode).toBe(200);
    const body = JSON.parse(result.body) as { services: { id: string; credential: { status: string } }[] };
    expect(body.services.map((s) => s.id)).toEqual(['michigan', 'topmed', 'h3africa']);
    expect(body.services.every((s) => s.credential.status === 'missing')).toBe(true);
  });

  it('POST /uploads refuses a bad file name with the JSON error shape', async () => {
    const createUpload = await deployed('functions/api/uploads/create-upload.ts');
    const result = (await createUpload(
      proxyEvent('POST', '/uploads', { fileName: 'bad\nname.vcf.gz', size: 10 }),
      lambdaContext('createUpload'),
    )) as { statusCode: number; body: string };
    expect(result.statusCode).toBe(400);
    expect(JSON.parse(result.body)).toMatchObject({
      error: { code: expect.any(String), message: expect.stringMatching(/control characters/) },
    });
  });
});
