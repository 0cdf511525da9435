/**
 * The token vault keeps each user's API token for each imputation service in Secrets Manager: one
 * KMS-encrypted secret per (user, service), named from the verified `sub` only, so no request field can
 * steer a read or write to another user's secret. Token values leave this module only as return values
 * of `get`, for the code that calls the service; they are never logged.
 *
 * Reads go through Powertools' SecretsProvider cache (on the same SDK client, so the endpoint variables
 * of the local stack still apply): a poll every few minutes does not pay a GetSecretValue each time.
 * A cached token may be stale when the user stored a new one in another process; the Cloudgene client
 * reads it again with `fresh` when the service refuses it. Writes and deletes here forget the entry at
 * once, so this process never serves the old value.
 */
import { GetParameterError, ParameterNotFoundError } from '@aws-lambda-powertools/parameters/errors';
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
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
  /** How long a read token is served from the cache (default 5 minutes). */
  maxAgeSeconds?: number;
}

export const TOKEN_CACHE_MAX_AGE_SECONDS = 300;

/** Powertools' provider, able to forget one secret (its cache keys are the name, a comma, the transform). */
class CachedSecrets extends SecretsProvider {
  forget(name: string): void {
    for (const key of this.store.keys()) if (key.startsWith(`${name},`)) this.store.delete(key);
  }
}

/** base64url keeps any IdP's `sub` within the characters Secrets Manager allows in names. */
export function encodeSubject(sub: string): string {
  return Buffer.from(sub, 'utf8').toString('base64url');
}

export function secretNameFor(prefix: string, sub: string, serviceId: string): string {
  return `${prefix}/users/${encodeSubject(sub)}/services/${serviceId}`;
}

export class TokenVault {
  private readonly cache: CachedSecrets;

  constructor(
    private readonly client: SecretsManagerClient,
    private readonly options: TokenVaultOptions,
  ) {
    this.cache = new CachedSecrets({ awsSdkV3Client: client });
  }

  /** Stores or replaces the token; returns whether a token was already stored. */
  async put(sub: string, serviceId: string, token: string): Promise<{ replaced: boolean }> {
    const name = secretNameFor(this.options.prefix, sub, serviceId);
    try {
      return await this.write(name, serviceId, sub, token);
    } finally {
      // Also after the write: a read in this process that finished during it leaves no old value behind.
      this.cache.forget(name);
    }
  }

  private async write(name: string, serviceId: string, sub: string, token: string) {
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

  /**
   * The stored token, or undefined when there is none. From the cache unless `fresh` (then read from
   * Secrets Manager and cached anew); a missing secret is never cached.
   */
  async get(sub: string, serviceId: string, options: { fresh?: boolean } = {}): Promise<string | undefined> {
    const name = secretNameFor(this.options.prefix, sub, serviceId);
    try {
      const value = await this.cache.get(name, {
        maxAge: this.options.maxAgeSeconds ?? TOKEN_CACHE_MAX_AGE_SECONDS,
        forceFetch: options.fresh === true,
        throwOnMissing: true,
      });
      return typeof value === 'string' ? value : undefined;
    } catch (error) {
      if (error instanceof ParameterNotFoundError) return undefined;
      // The SDK's own error, as callers knew it before the cache (Powertools wraps it).
      if (error instanceof GetParameterError && error.cause instanceof Error) throw error.cause;
      throw error;
    }
  }

  /**
   * Deletes without a recovery window: a user who removes a token expects it gone, and a pending deletion
   * would block storing a new token under the same name for up to 30 days.
   */
  async delete(sub: string, serviceId: string): Promise<{ existed: boolean }> {
    const name = secretNameFor(this.options.prefix, sub, serviceId);
    try {
      await this.client.send(
        new DeleteSecretCommand({
          SecretId: name,
          ForceDeleteWithoutRecovery: true,
        }),
      );
      return { existed: true };
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return { existed: false };
      throw error;
    } finally {
      this.cache.forget(name);
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
