/**
 * Starts the AWS emulators a test file needs on free ports of 127.0.0.1 and points the SDK at them
 * through the same settings the local stack writes (infra/local/local-environment.ts), then starts a
 * fresh runtime: modules imported before this call build their clients afterwards, against the emulators.
 */
import { ensureGatewayTable, startDynamoDbEmulator } from '#infra/local/emulators/dynamodb';
import { startEventBridgeEmulator } from '#infra/local/emulators/event-bridge';
import { startSecretsManagerEmulator } from '#infra/local/emulators/secrets-manager';
import { emulatorSdkSettings } from '#infra/local/local-environment';
import { useSettings } from '#test/support/settings';

export async function startAwsEmulators(options: { tableName?: string } = {}) {
  const tableName = options.tableName ?? 'gateway-test';
  const [dynamodb, secretsManager, eventBridge] = await Promise.all([
    startDynamoDbEmulator(),
    startSecretsManagerEmulator(),
    startEventBridgeEmulator(),
  ]);
  await ensureGatewayTable(dynamodb.url, tableName);
  useSettings({
    ...emulatorSdkSettings({
      dynamodb: dynamodb.url,
      secretsManager: secretsManager.url,
      eventBridge: eventBridge.url,
    }),
    TABLE_NAME: tableName,
    EVENT_BUS_NAME: 'gateway-test',
    SECRETS_PREFIX: 'gateway-test',
  });
  return {
    dynamodb,
    secretsManager,
    eventBridge,
    tableName,
    close: async () => {
      await Promise.all([dynamodb.close(), secretsManager.close(), eventBridge.close()]);
    },
  };
}
