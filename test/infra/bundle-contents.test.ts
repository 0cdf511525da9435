/**
 * What the deployed bundles hold, read from one esbuild metafile of every function built as deployed:
 * - AWS credentials from the environment only (the Lambda runtime's role credentials): the default
 *   chain's other links — SSO, ini files, web identity, instance metadata — and the STS/SSO clients they
 *   bring are in none (test/infra/bundles.test.ts proves the bundles still reach DynamoDB);
 * - no classic zod (runtime schemas are zod/mini) and nothing of the OpenAPI document's generator;
 * - the X-Ray tracer in the workflow tasks only (shared/workflow/tracing.ts), never in an API function.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { deployedBundling, esbuildOptionsAsDeployed } from '#infra/constructs/bundling';
import { routes } from '#shared/api/routes';
import { workflowTasks } from '#shared/workflow/tasks';

const apiEntries = ['functions/authorizer/handler.ts', ...routes.map((r) => r.entry)];
const taskEntries = workflowTasks.map((t) => t.entry);
/** The sources of each entry's bundle, relative to the repository. */
const inputsOf = new Map<string, string[]>();

beforeAll(async () => {
  const entries = [...new Set([...apiEntries, ...taskEntries])];
  const result = await build({
    ...esbuildOptionsAsDeployed(),
    entryPoints: entries,
    outdir: mkdtempSync(join(tmpdir(), 'bundle-contents-')),
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const outputs = Object.values((result.metafile as Metafile).outputs).filter((o) => o.entryPoint);
  for (const output of outputs) {
    inputsOf.set(
      output.entryPoint!,
      Object.keys(output.inputs).map((input) => relative('.', input)),
    );
  }
  expect([...inputsOf.keys()].sort()).toEqual(entries.sort());
}, 120_000);

const matching = (entry: string, pattern: RegExp) =>
  inputsOf.get(entry)!.filter((input) => pattern.test(input));

describe('what the bundles hold', () => {
  it('credentials from the environment only, and the stack passes the same alias to esbuild', () => {
    const chain =
      /\/(credential-provider-node|credential-provider-sso|credential-provider-ini|credential-provider-web-identity|credential-provider-imds|nested-clients)\//;
    for (const entry of inputsOf.keys()) expect(matching(entry, chain), entry).toEqual([]);
    expect(
      matching('functions/api/uploads/create-upload.ts', /shared\/aws\/lambda-credentials\.ts$/),
    ).toHaveLength(1);
    expect(Object.keys(deployedBundling.esbuildArgs)).toEqual(['--alias:@aws-sdk/credential-provider-node']);
  });

  it('no classic zod, and nothing of the document generator, the route table or zod-openapi', () => {
    const forbidden =
      /node_modules\/zod\/v4\/classic\/|shared\/api\/(openapi|responses|routes|error-codes)\.ts$|node_modules\/zod-openapi\//;
    for (const entry of inputsOf.keys()) expect(matching(entry, forbidden), entry).toEqual([]);
    // The request schemas are shared with the document on purpose: the handlers validate with them.
    expect(inputsOf.get('functions/api/jobs/create-job.ts')).toContain('shared/api/requests.ts');
  });

  it('the tracer in every workflow task and in no API function', () => {
    for (const entry of apiEntries) expect(matching(entry, /\/aws-xray-sdk-core\//), entry).toEqual([]);
    for (const entry of taskEntries) {
      expect(matching(entry, /shared\/workflow\/tracing\.ts$/), entry).toHaveLength(1);
      expect(matching(entry, /\/aws-xray-sdk-core\//).length, entry).toBeGreaterThan(0);
    }
  });
});
