/**
 * The inputs and results buckets are named at synth (infra/constructs/storage.ts, bucketNamesFor), so the
 * console's CSP can name their exact hosts (test/infra/console.test.ts). Every name must be one S3 takes,
 * whatever the stack name, account and region.
 */
import { App, Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { bucketNamesFor } from '../../infra/constructs/storage';
import { asText, ref } from './template-text';

const stack = new Stack(new App(), 'Names');
/** A name as deployed, with the longest account id and region there are. */
const deployed = (name: string, region = 'ap-southeast-5') =>
  asText(stack.resolve(name))
    .replace(ref('AWS::AccountId'), '123456789012')
    .replaceAll(ref('AWS::Region'), region);
/** S3's rules for a bucket name (general purpose buckets). */
const S3_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;

describe('the buckets browsers use', () => {
  it('are named from the stack name, account and region', () => {
    expect(
      Object.values(bucketNamesFor('ImputationGateway')).map((name) => deployed(name, 'eu-west-1')),
    ).toEqual([
      'imputationgateway-inputs-123456789012-eu-west-1',
      'imputationgateway-results-123456789012-eu-west-1',
    ]);
  });

  it.each(['G', 'ImputationGateway', 'Gateway-Test-2', `Long${'x'.repeat(97)}`, `Long${'x'.repeat(96)}y`])(
    'are names S3 takes, unique to the stack: %s',
    (stackName) => {
      for (const name of Object.values(bucketNamesFor(stackName))) {
        expect(deployed(name)).toMatch(S3_NAME);
        expect(deployed(name).length).toBeLessThanOrEqual(63);
      }
    },
  );

  it('tell two long stack names apart that share their beginning', () => {
    const a = bucketNamesFor(`Long${'x'.repeat(96)}a`).results;
    const b = bucketNamesFor(`Long${'x'.repeat(96)}b`).results;
    expect(deployed(a)).not.toBe(deployed(b));
  });
});
