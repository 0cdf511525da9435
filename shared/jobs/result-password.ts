/**
 * The zip password of a job's results. Cloudgene e-mails a password it makes up unless the submission
 * sets one, so we always set it — and we never store it: it is derived from the job's identity with a
 * deployment key held in Secrets Manager (HMAC-SHA256). Neither DynamoDB nor the execution history ever
 * holds it; the submit task and the owner's password request derive the same value.
 *
 * The key is versioned, so it can be rotated without changing the password of any job already sent: the
 * submit task records on the job the version it derived with (`passwordKeyVersion`), and the job's
 * password is always derived with that version; new submissions use the current one. The secret holds
 * either one key (a plain string: version "1", as the stack generates it) or every version:
 *
 *     {"current": "2", "keys": {"1": "<the original key>", "2": "<a new key>"}}
 *
 * (README, "Rotating the result password key"). A job submitted before versions were recorded has none:
 * it was derived with the original key, version "1".
 */
import { createHmac } from 'node:crypto';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { secretsManagerClient } from '#shared/aws/clients';
import { perRuntime } from '#shared/runtime';
import { settings } from '#shared/settings';

const passwordEnv = settings.resultPassword;

/** The version of a key given as a plain string, and of every job that records none. */
export const ORIGINAL_KEY_VERSION = '1';
/** A key shorter than this is refused (a mistake, not a key). */
const MIN_KEY_LENGTH = 32;
const VERSION_ID = /^[A-Za-z0-9._-]{1,64}$/;
/** How long a warm function trusts its copy of the key set before reading it again (new jobs then use a new current version). */
export const KEY_SET_MAX_AGE_MS = 5 * 60_000;

export interface PasswordKeySet {
  /** The version new submissions derive with. */
  current: string;
  keys: ReadonlyMap<string, Buffer>;
}

export class PasswordKeyVersionUnknownError extends Error {
  override name = 'PasswordKeyVersionUnknownError';
  constructor(readonly version: string) {
    super(
      `The result password key has no version ${JSON.stringify(version)}: it was removed from the secret`,
    );
  }
}

/** Reads the secret's value: one key (version "1") or `{"current", "keys": {version: key}}`. */
export function parsePasswordKeys(secretString: string | undefined): PasswordKeySet {
  const problem = (why: string) => new Error(`The result password key secret is invalid: ${why}`);
  if (!secretString) throw problem('it is empty');
  if (!secretString.trimStart().startsWith('{')) {
    if (secretString.length < MIN_KEY_LENGTH)
      throw problem(`the key is shorter than ${MIN_KEY_LENGTH} characters`);
    return {
      current: ORIGINAL_KEY_VERSION,
      keys: new Map([[ORIGINAL_KEY_VERSION, Buffer.from(secretString, 'utf8')]]),
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(secretString);
  } catch {
    throw problem('it starts with { but is not JSON');
  }
  const { current, keys } = (parsed ?? {}) as { current?: unknown; keys?: unknown };
  if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
    throw problem('"keys" must be an object of version → key');
  }
  const versions = new Map<string, Buffer>();
  for (const [version, key] of Object.entries(keys)) {
    if (!VERSION_ID.test(version))
      throw problem(`version ${JSON.stringify(version)}: letters, digits, . _ - only`);
    if (typeof key !== 'string' || key.length < MIN_KEY_LENGTH) {
      throw problem(
        `the key of version ${version} must be a string of at least ${MIN_KEY_LENGTH} characters`,
      );
    }
    versions.set(version, Buffer.from(key, 'utf8'));
  }
  if (typeof current !== 'string' || !versions.has(current)) {
    throw problem('"current" must name one of the versions in "keys"');
  }
  return { current, keys: versions };
}

/** The key set, read once per runtime and again after KEY_SET_MAX_AGE_MS (a failed read is forgotten). */
const keyCache = (): { pending?: Promise<PasswordKeySet>; readAt?: number } =>
  perRuntime(keyCache, () => ({}));

async function passwordKeys(options: { fresh?: boolean } = {}): Promise<PasswordKeySet> {
  const cache = keyCache();
  const stale = cache.readAt !== undefined && Date.now() - cache.readAt > KEY_SET_MAX_AGE_MS;
  if (options.fresh || stale) cache.pending = undefined;
  if (!cache.pending) {
    cache.readAt = Date.now();
    cache.pending = secretsManagerClient()
      .send(new GetSecretValueCommand({ SecretId: passwordEnv().RESULT_PASSWORD_KEY_SECRET_ID }))
      .then((secret) => parsePasswordKeys(secret.SecretString));
    cache.pending.catch(() => {
      cache.pending = undefined;
    });
  }
  return cache.pending;
}

/** 24 characters of base64url: 144 bits, no characters that trouble unzip tools or shells. */
export function deriveResultPassword(key: Buffer, owner: string, jobId: string): string {
  return createHmac('sha256', key).update(`result-zip:${owner}:${jobId}`).digest('base64url').slice(0, 24);
}

/** The version a new submission derives with (the submit task records it on the job before sending). */
export async function currentPasswordKeyVersion(): Promise<string> {
  return (await passwordKeys()).current;
}

/**
 * The password of a job derived with the key `version` (the one recorded on the job). A version this
 * runtime's copy of the key set lacks (added since it was read) is looked up again before it is refused.
 */
export async function resultPassword(owner: string, jobId: string, version: string): Promise<string> {
  let key = (await passwordKeys()).keys.get(version);
  key ??= (await passwordKeys({ fresh: true })).keys.get(version);
  if (!key) throw new PasswordKeyVersionUnknownError(version);
  return deriveResultPassword(key, owner, jobId);
}

/**
 * The key version of a job's password: the one recorded at submission; for a job sent before versions
 * were recorded, the original key; for one not sent yet, the version a submission would use now.
 */
export async function passwordKeyVersionOf(job: {
  passwordKeyVersion?: string;
  externalJobId?: string;
  submissionAttemptAt?: string;
}): Promise<string> {
  if (job.passwordKeyVersion) return job.passwordKeyVersion;
  if (job.externalJobId || job.submissionAttemptAt) return ORIGINAL_KEY_VERSION;
  return currentPasswordKeyVersion();
}
