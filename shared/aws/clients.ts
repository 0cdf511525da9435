/**
 * AWS SDK clients, created once per process at module scope so connections are reused across
 * invocations. Endpoints come from the standard AWS_ENDPOINT_URL_<SERVICE> variables, which is how the
 * local stack and the tests point them at emulators.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

let documentClient: DynamoDBDocumentClient | undefined;
let secretsClient: SecretsManagerClient | undefined;

export function dynamoDocumentClient(): DynamoDBDocumentClient {
  documentClient ??= DynamoDBDocumentClient.from(new DynamoDBClient({}), {
    marshallOptions: { removeUndefinedValues: true },
  });
  return documentClient;
}

export function secretsManagerClient(): SecretsManagerClient {
  secretsClient ??= new SecretsManagerClient({});
  return secretsClient;
}

let s3: S3Client | undefined;

/**
 * Checksums only when an operation requires them: presigned PUTs must not carry an SDK-computed checksum
 * of an empty body, and the local S3 emulator does not know the newer default checksums.
 */
export function s3Client(): S3Client {
  s3 ??= new S3Client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === 'true',
  });
  return s3;
}

let streamingS3: S3Client | undefined;

/**
 * The S3 client of server-side streaming uploads (the result copy). SigV4 would hash every part a
 * second time (the copy already hashes the whole stream for its sha256): parts go with
 * `x-amz-content-sha256: UNSIGNED-PAYLOAD`, which S3 accepts over HTTPS, where TLS protects the bytes
 * in transit and the copy checks the byte count and records its own digest. Presigned URLs never come
 * from this client.
 */
export function s3StreamingClient(): S3Client {
  if (streamingS3) return streamingS3;
  const client = new S3Client({
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    forcePathStyle: process.env.AWS_S3_FORCE_PATH_STYLE === 'true',
  });
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
  streamingS3 = client;
  return client;
}
