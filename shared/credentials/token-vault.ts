/**
 * The token vault keeps each user's API token for each imputation service in Secrets Manager: one
 * KMS-encrypted secret per (user, service), named from the verified `sub` only, so no request field can
 * steer a read or write to another user's secret. Token values leave this module only as return values
 * of `get`, for the code that calls the service; they are never logged.
 */
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  ResourceNotFoundException,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from '#shared/aws/clients';
import { perRuntime } from '#shared/runtime';
import { settings } from '#shared/settings';

export interface TokenVaultOptions {
  /** Name prefix of all secrets of this deployment, e.g. `imputation-gateway`. */
  prefix: string;
  /** KMS key for new secrets; the account's default Secrets Manager key when absent. */
  kmsKeyId?: string;
}

/** base64url keeps any IdP's `sub` within the characters Secrets Manager allows in names. */
export function encodeSubject(sub: string): string {
  return Buffer.from(sub, 'utf8').toString('base64url');
}

export function secretNameFor(prefix: string, sub: string, serviceId: string): string {
  return `${prefix}/users/${encodeSubject(sub)}/services/${serviceId}`;
}

export class TokenVault {
  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: TokenVaultOptions,
  ) {}

  /** Stores or replaces the token; returns whether a token was already stored. */
  async put(sub: string, serviceId: string, token: string): Promise<{ replaced: boolean }> {
    const name = secretNameFor(this.options.prefix, sub, serviceId);
    try {
      await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: token }));
      return { replaced: true };
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: token,
          KmsKeyId: this.options.kmsKeyId,
          Description: `API token of one user for the imputation service ${serviceId}`,
          Tags: [
            { Key: 'owner-sub', Value: encodeSubject(sub) },
            { Key: 'service', Value: serviceId },
          ],
        }),
      );
      return { replaced: false };
    } catch (error) {
      // A concurrent request created it between our two calls: the later value wins, as with a replace.
      if (!(error instanceof ResourceExistsException)) throw error;
      await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: token }));
      return { replaced: true };
    }
  }

  async get(sub: string, serviceId: string): Promise<string | undefined> {
    try {
      const result = await this.client.send(
        new GetSecretValueCommand({ SecretId: secretNameFor(this.options.prefix, sub, serviceId) }),
      );
      return result.SecretString;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return undefined;
      throw error;
    }
  }

  /**
   * Deletes without a recovery window: a user who removes a token expects it gone, and a pending deletion
   * would block storing a new token under the same name for up to 30 days.
   */
  async delete(sub: string, serviceId: string): Promise<{ existed: boolean }> {
    try {
      await this.client.send(
        new DeleteSecretCommand({
          SecretId: secretNameFor(this.options.prefix, sub, serviceId),
          ForceDeleteWithoutRecovery: true,
        }),
      );
      return { existed: true };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return { existed: false };
      throw error;
    }
  }
}

export function tokenVault(): TokenVault {
  return perRuntime(tokenVault, () => {
    const env = settings.secrets();
    return new TokenVault(secretsManagerClient(), {
      prefix: env.SECRETS_PREFIX,
      kmsKeyId: env.SECRETS_KMS_KEY_ID,
    });
  });
}
