/**
 * Starts the AWS emulators a test file needs on free ports of 127.0.0.1 and points the SDK at them
 * through the same AWS_ENDPOINT_URL_* variables the local stack uses. Call before importing any module
 * that creates SDK clients.
 */
import { ensureGatewayTable, startDynamoDbEmulator } from '#infra/local/emulators/dynamodb';
import { startSecretsManagerEmulator } from '#infra/local/emulators/secrets-manager';

export async function startAwsEmulators(options: { tableName?: string } = {}) {
  const tableName = options.tableName ?? 'gateway-test';
  const [dynamodb, secretsManager] = await Promise.all([
    startDynamoDbEmulator(),
    startSecretsManagerEmulator(),
  ]);
  await ensureGatewayTable(dynamodb.url, tableName);
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: dynamodb.url,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
    TABLE_NAME: tableName,
    SECRETS_PREFIX: 'gateway-test',
  });
  return {
    dynamodb,
    secretsManager,
    tableName,
    close: async () => {
      await Promise.all([dynamodb.close(), secretsManager.close()]);
    },
  };
}
