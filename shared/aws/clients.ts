/**
 * The AWS SDK clients of this process, built once per runtime (shared/runtime.ts) so connections are
 * reused across invocations, and destroyed when a test resets the runtime. Endpoints come from the
 * standard AWS_ENDPOINT_URL_<SERVICE> variables, which is how the local stack and the tests point them at
 * emulators; code that takes a client as a parameter defaults it to one of these.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { perRuntime } from '#shared/runtime';
import { settings } from '#shared/settings';

const destroy = (client: { destroy(): void }) => client.destroy();

/** What is done to each client as it is built (the workflow tasks' X-Ray tracing: shared/workflow/tracing.ts). */
type Instrument = <C extends object>(client: C) => C;
let instrument: Instrument = (client) => client;

/**
 * Wraps every client built from now on, e.g. with a tracer. Only the modules that want it call this, so
 * a function that does not (the API handlers) bundles no tracing code.
 */
export function instrumentAwsClients(wrap: Instrument): void {
  instrument = wrap;
}

/** EventBridge: the outbox publisher's PutEvents (shared/events/event-bus-client.ts). */
export function eventBridgeSdkClient(): EventBridgeClient {
  return perRuntime(eventBridgeSdkClient, () => instrument(new EventBridgeClient({})), destroy);
}

function dynamoClient(): DynamoDBClient {
  return perRuntime(dynamoClient, () => instrument(new DynamoDBClient({})), destroy);
}

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  return perRuntime(dynamoDocumentClient, () =>
    DynamoDBDocumentClient.from(dynamoClient(), { marshallOptions: { removeUndefinedValues: true } }),
  );
}

export function secretsManagerClient(): SecretsManagerClient {
  return perRuntime(secretsManagerClient, () => instrument(new SecretsManagerClient({})), destroy);
}

export function sfnClient(): SFNClient {
  return perRuntime(sfnClient, () => instrument(new SFNClient({})), destroy);
}

/**
 * Checksums only when an operation requires them: presigned PUTs must not carry an SDK-computed checksum
 * of an empty body, and the local S3 emulator does not know the newer default checksums.
 */
function newS3Client(): S3Client {
  return instrument(
    new S3Client({
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      forcePathStyle: settings.s3().AWS_S3_FORCE_PATH_STYLE,
    }),
  );
}

export function s3Client(): S3Client {
  return perRuntime(s3Client, newS3Client, destroy);
}

/**
 * The S3 client of server-side streaming uploads (the result copy). SigV4 would hash every part a
 * second time (the copy already hashes the whole stream for its sha256): parts go with
 * `x-amz-content-sha256: UNSIGNED-PAYLOAD`, which S3 accepts over HTTPS, where TLS protects the bytes
 * in transit and the copy checks the byte count and records its own digest. Presigned URLs never come
 * from this client.
 */
export function s3StreamingClient(): S3Client {
  return perRuntime(s3StreamingClient, streamingClient, destroy);
}

function streamingClient(): S3Client {
  const client = newS3Client();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const request = args.request as { headers?: Record<string, string> };
      if (
        request.headers &&
        (context.commandName === 'UploadPartCommand' || context.commandName === 'PutObjectCommand')
      ) {
        request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
      }
      return next(args);
    },
    { step: 'build', name: 'unsignedPayloadForStreamedParts' },
  );
  return client;
}
