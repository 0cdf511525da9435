/**
 * What the bundles hold. They take their AWS credentials from the environment only (the Lambda runtime's role
 * credentials): the default chain's other links — SSO, ini files, web identity, instance metadata —
 * and the STS/SSO clients they bring are not in them. test/infra/bundles.test.ts proves the bundles
 * still reach DynamoDB with environment credentials.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleAsDeployed } from '#infra/constructs/bundle-as-deployed';
import { deployedBundling } from '#infra/constructs/bundling';

describe('credentials in the bundles', () => {
  it('only the environment provider is bundled, and the stack passes the same alias to esbuild', async () => {
    const bundle = await bundleAsDeployed(
      'functions/api/uploads/create-upload.ts',
      mkdtempSync(join(tmpdir(), 'bundle-credentials-')),
    );
    const text = readFileSync(bundle.file, 'utf8');
    const sources = (JSON.parse(readFileSync(`${bundle.file}.map`, 'utf8')) as { sources: string[] }).sources;
    expect(text).toContain('AWS_SECRET_ACCESS_KEY');
    expect(sources.some((s) => s.includes('shared/aws/lambda-credentials.ts'))).toBe(true);
    for (const left of [
      'credential-provider-node',
      'credential-provider-sso',
      'credential-provider-ini',
      'credential-provider-web-identity',
      'credential-provider-imds',
      'nested-clients',
    ]) {
      expect(sources.filter((s) => s.includes(`/${left}/`))).toEqual([]);
    }
    expect(Object.keys(deployedBundling.esbuildArgs)).toEqual(['--alias:@aws-sdk/credential-provider-node']);
    // Tracing is the workflow tasks' (shared/workflow/tracing.ts): no X-Ray SDK in an API function.
    expect(sources.filter((s) => s.includes('/aws-xray-sdk-core/'))).toEqual([]);
  }, 60_000);

  it('the workflow tasks bundle the tracer', async () => {
    const bundle = await bundleAsDeployed(
      'functions/workflow/poll-job.ts',
      mkdtempSync(join(tmpdir(), 'bundle-tracing-')),
    );
    const sources = (JSON.parse(readFileSync(`${bundle.file}.map`, 'utf8')) as { sources: string[] }).sources;
    expect(sources.some((s) => s.includes('/aws-xray-sdk-core/'))).toBe(true);
    expect(sources.some((s) => s.includes('shared/workflow/tracing.ts'))).toBe(true);
  }, 60_000);
});
