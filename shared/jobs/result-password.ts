/**
 * The zip password of a job's results. Cloudgene e-mails a password it makes up unless the submission
 * sets one, so we always set it — and we never store it: it is derived from the job's identity with a
 * deployment key held in Secrets Manager (HMAC-SHA256). Neither DynamoDB nor the execution history ever
 * holds it; the submit task and the owner's password request derive the same value.
 */
import { createHmac } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from '#shared/aws/clients';
import { perRuntime } from '#shared/runtime';
import { settings } from '#shared/settings';

const passwordEnv = settings.resultPassword;

/** The key, fetched once per runtime (a failed fetch is forgotten, so the next call tries again). */
const keyCache = (): { pending?: Promise<Buffer> } => perRuntime(keyCache, () => ({}));

async function passwordKey(): Promise<Buffer> {
  const cache = keyCache();
  cache.pending ??= secretsManagerClient()
    .send(new GetSecretValueCommand({ SecretId: passwordEnv().RESULT_PASSWORD_KEY_SECRET_ID }))
    .then((secret) => {
      if (!secret.SecretString || secret.SecretString.length < 32) {
        throw new Error('The result password key secret is missing or shorter than 32 characters');
      }
      return Buffer.from(secret.SecretString, 'utf8');
    })
    .catch((error: unknown) => {
      cache.pending = undefined;
      throw error;
    });
  return cache.pending;
}

/** 24 characters of base64url: 144 bits, no characters that trouble unzip tools or shells. */
export function deriveResultPassword(key: Buffer, owner: string, jobId: string): string {
  return createHmac('sha256', key).update(`result-zip:${owner}:${jobId}`).digest('base64url').slice(0, 24);
}

export async function resultPassword(owner: string, jobId: string): Promise<string> {
  return deriveResultPassword(await passwordKey(), owner, jobId);
}
