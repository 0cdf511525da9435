/**
 * Where the gateway keeps things: one DynamoDB table (jobs, uploads, credential metadata), the inputs and
 * results buckets (plus their access-log bucket), the KMS key of the per-user token secrets and the
 * secret the result zip passwords are derived from.
 */
import { createHash } from 'node:crypto';
import { Aws, Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import { tableIndexes, tableKeys } from '#shared/aws/table-definition';
import { RETENTION_TAG, retentionTiers } from '#shared/uploads/input-retention';

/** Days S3 keeps the parts of an unfinished input upload (results: 1, our own copies finish in minutes). */
export const INCOMPLETE_INPUT_UPLOAD_DAYS = 7;

/** The buckets browsers reach through presigned URLs, named at synth (bucketNamesFor). */
export type PresignedBucket = 'inputs' | 'results';

/** Longest stack-name part of a bucket name: 63 − `-results-` − a 12-digit account − `-` − a 14-character region. */
const BUCKET_STACK_PART_MAX = 63 - '-results-'.length - 12 - 1 - 14;

/**
 * The names of the inputs and results buckets, fixed at synth from the stack name, the account and the
 * region (`<stack>-inputs-<account>-<region>`; a stack name too long for S3's 63 characters is cut and
 * followed by a hash of the whole). They name no resource of the stack, so the console's CSP can name the
 * buckets' exact hosts without a dependency cycle: the buckets' CORS names the console's distribution,
 * whose headers policy names the buckets.
 */
export function bucketNamesFor(stackName: string): Record<PresignedBucket, string> {
  const lower = stackName.toLowerCase();
  const stackPart =
    lower.length <= BUCKET_STACK_PART_MAX
      ? lower
      : `${lower.slice(0, BUCKET_STACK_PART_MAX - 9)}-${createHash('sha256').update(stackName).digest('hex').slice(0, 8)}`;
  const name = (role: PresignedBucket) => `${stackPart}-${role}-${Aws.ACCOUNT_ID}-${Aws.REGION}`;
  return { inputs: name('inputs'), results: name('results') };
}

/** The origin of a bucket's presigned URLs (virtual-hosted style, regional: how the SDK presigns). */
export function presignedBucketOrigin(bucketName: string): string {
  return `https://${bucketName}.s3.${Aws.REGION}.${Aws.URL_SUFFIX}`;
}

export interface StorageProps {
  /** The names of the buckets browsers use (bucketNamesFor). */
  bucketNames: Record<PresignedBucket, string>;
  /** Browser origins (S3 CORS patterns: one `*` allowed) that PUT inputs and GET results through presigned URLs. */
  corsAllowedOrigins: string[];
  /**
   * Inputs (and abandoned uploads) are deleted after this many days, unless a job holds them longer (up
   * to 16 times as long: shared/uploads/input-retention.ts).
   */
  inputExpiryDays: number;
  /** Results are deleted after this many days; undefined keeps them. */
  resultExpiryDays?: number;
  /** RETAIN keeps table, buckets, key and secret when the stack is deleted (and turns on deletion protection). */
  removalPolicy: RemovalPolicy;
}

export class Storage extends Construct {
  /** Jobs, uploads and credential metadata (single-table design, keys in shared/aws/table-definition.ts). */
  readonly table: dynamodb.TableV2;
  readonly inputsBucket: s3.Bucket;
  readonly resultsBucket: s3.Bucket;
  /** Server access logs of the buckets (the console's too). */
  readonly accessLogsBucket: s3.Bucket;
  readonly secretsKey: kms.Key;
  readonly resultPasswordKey: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: StorageProps) {
    super(scope, id);
    const retain = props.removalPolicy === RemovalPolicy.RETAIN;

    this.table = new dynamodb.TableV2(this, 'Table', {
      partitionKey: { name: tableKeys.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: tableKeys.sortKey, type: dynamodb.AttributeType.STRING },
      billing: dynamodb.Billing.onDemand(),
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryptionV2.awsManagedKey(),
      timeToLiveAttribute: tableKeys.ttlAttribute,
      deletionProtection: retain,
      removalPolicy: props.removalPolicy,
      // The same indexes as the local table (tableIndexes): the status list (GSI1), the watch (GSI2) and the
      // outbox (GSI3). DynamoDB adds one index per update: a stack from before an index gets it on its own
      // deploy.
      globalSecondaryIndexes: tableIndexes.map((index) => ({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: index.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType:
          index.projection === 'ALL' ? dynamodb.ProjectionType.ALL : dynamodb.ProjectionType.KEYS_ONLY,
      })),
    });

    this.secretsKey = new kms.Key(this, 'SecretsKey', {
      description: 'Encrypts the per-user imputation service tokens and the result password key',
      enableKeyRotation: true,
      removalPolicy: props.removalPolicy,
    });

    this.resultPasswordKey = new secretsmanager.Secret(this, 'ResultPasswordKey', {
      description: 'Key from which the result zip password of each job is derived (HMAC); never shown',
      encryptionKey: this.secretsKey,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: props.removalPolicy,
    });
    NagSuppressions.addResourceSuppressions(this.resultPasswordKey, [
      {
        id: 'AwsSolutions-SMG4',
        reason:
          'Rotated by hand as a new key version (README, "Rotating the result password key"): a scheduled rotation replacing the value would change the zip password of every job sent; it is never exposed.',
      },
    ]);

    const accessLogs = new s3.Bucket(this, 'AccessLogs', {
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(365) }],
      removalPolicy: props.removalPolicy,
    });
    this.accessLogsBucket = accessLogs;
    NagSuppressions.addResourceSuppressions(accessLogs, [
      {
        id: 'AwsSolutions-S1',
        reason: 'This is the access-log bucket itself; logging it into itself would loop.',
      },
    ]);

    const cors = (methods: s3.HttpMethods[]): s3.CorsRule[] =>
      props.corsAllowedOrigins.length === 0
        ? []
        : [
            {
              allowedOrigins: props.corsAllowedOrigins,
              allowedMethods: methods,
              allowedHeaders: ['*'],
              exposedHeaders: ['ETag'],
              maxAge: 3000,
            },
          ];

    // Versioning stays off on both buckets: inputs are throwaway copies the owner still has, results are
    // written once per job under a fresh key and never overwritten, and the lifecycle rules must really
    // delete (with versioning, expired objects would linger as noncurrent versions and keep costing).
    this.inputsBucket = new s3.Bucket(this, 'Inputs', {
      bucketName: props.bucketNames.inputs,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'inputs/',
      // Browsers PUT whole files and parts through presigned URLs (ETag exposed: completing needs each
      // part's); the API itself creates, completes and aborts multipart uploads, never a browser.
      cors: cors([s3.HttpMethods.PUT, s3.HttpMethods.HEAD]),
      lifecycleRules: [
        // A multipart upload resumes from its stored parts: a week covers one left over a weekend or a
        // lost connection, beyond that its parts only cost; never past the inputs' own expiry.
        {
          id: 'abort-incomplete-multipart',
          abortIncompleteMultipartUploadAfter: Duration.days(
            Math.min(INCOMPLETE_INPUT_UPLOAD_DAYS, props.inputExpiryDays),
          ),
        },
        // Inputs expire by their retention tag (shared/uploads/input-retention.ts): a confirmed upload is
        // tagged with the first tier, a job holding it with a longer one. S3 honours the shortest of the
        // expirations that match an object, so only the rule for untagged objects (never confirmed, or
        // from before the tags) has no filter, at the longest tier: every tier rule stays within it.
        ...retentionTiers(props.inputExpiryDays)
          .slice(0, -1)
          .map((days) => ({
            id: `expire-inputs-${days}d`,
            tagFilters: { [RETENTION_TAG]: String(days) },
            expiration: Duration.days(days),
          })),
        { id: 'expire-inputs', expiration: Duration.days(retentionTiers(props.inputExpiryDays).at(-1)!) },
      ],
      removalPolicy: props.removalPolicy,
    });

    this.resultsBucket = new s3.Bucket(this, 'Results', {
      bucketName: props.bucketNames.results,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'results/',
      cors: cors([s3.HttpMethods.GET, s3.HttpMethods.HEAD]),
      lifecycleRules: [
        { id: 'abort-incomplete-multipart', abortIncompleteMultipartUploadAfter: Duration.days(1) },
        ...(props.resultExpiryDays
          ? [{ id: 'expire-results', expiration: Duration.days(props.resultExpiryDays) }]
          : []),
      ],
      removalPolicy: props.removalPolicy,
    });
  }
}
