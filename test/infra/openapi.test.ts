/**
 * `cdk synth` writes the OpenAPI document into the assembly: the app is run as the CDK CLI runs it
 * (`tsx infra/app.ts` with CDK_OUTDIR and the context in CDK_CONTEXT_JSON, bundling skipped), and the
 * openapi.json beside the template must be the document of those settings and describe exactly the
 * methods the template deploys. (That the generator is in no function bundle: bundle-contents.test.ts.)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { OPENAPI_FILE, openApiOptions } from '#infra/openapi-document';
import { readSettings } from '#infra/settings';
import { createOpenApiDocument } from '#shared/api/openapi';
import { routes } from '#shared/api/routes';
import { CONSOLE_FIXTURE } from './synth';

const context = { maxUploadBytes: '1000000', serviceCatalog: '{"h3africa":null}' };
const outdir = mkdtempSync(join(tmpdir(), 'synth-openapi-'));
let synth: ReturnType<typeof spawnSync>;

beforeAll(() => {
  const flags = (JSON.parse(readFileSync('cdk.json', 'utf8')) as { context: Record<string, unknown> })
    .context;
  synth = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({
        ...flags,
        ...context,
        consoleDir: CONSOLE_FIXTURE,
        'aws:cdk:bundling-stacks': [],
      }),
    },
    encoding: 'utf8',
  });
}, 120_000);

describe('the OpenAPI document at synth', () => {
  it('is written into the cloud assembly, for the settings of the synth', () => {
    expect(synth.status, String(synth.stderr)).toBe(0);
    expect(existsSync(join(outdir, 'manifest.json'))).toBe(true);
    const written = JSON.parse(readFileSync(join(outdir, OPENAPI_FILE), 'utf8'));
    const settings = readSettings((key) => context[key as keyof typeof context]);
    expect(written).toEqual(createOpenApiDocument(openApiOptions(settings)));
    expect(
      written.paths['/uploads'].post.requestBody.content['application/json'].schema.properties.size.maximum,
    ).toBe(1_000_000);
    expect(written.paths['/services/{serviceId}'].get.parameters[0].schema.examples).toEqual([
      'michigan',
      'topmed',
    ]);
  });

  it('describes exactly the methods the template deploys', () => {
    const template = JSON.parse(readFileSync(join(outdir, 'ImputationGateway.template.json'), 'utf8')) as {
      Resources: Record<
        string,
        { Type: string; Properties: { HttpMethod?: string; OperationName?: string } }
      >;
    };
    const deployed = Object.values(template.Resources)
      .filter((r) => r.Type === 'AWS::ApiGateway::Method' && r.Properties.HttpMethod !== 'OPTIONS')
      .map((r) => `${r.Properties.HttpMethod} ${r.Properties.OperationName}`);
    const written = JSON.parse(readFileSync(join(outdir, OPENAPI_FILE), 'utf8')) as {
      paths: Record<string, Record<string, { operationId: string }>>;
    };
    const documented = Object.values(written.paths).flatMap((item) =>
      Object.entries(item).map(([method, operation]) => `${method.toUpperCase()} ${operation.operationId}`),
    );
    expect(documented.sort()).toEqual(deployed.sort());
    expect(documented).toHaveLength(routes.length);
  });
});
