/**
 * A Secrets Manager endpoint for the local stack and the tests: the operations the gateway uses, with the
 * real service's error names, so the same TokenVault code runs unchanged against it. State persists to a
 * JSON file when a path is given (local development only: values are stored unencrypted there).
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { AwsProtocolError, type JsonProtocolServer, startJsonProtocolServer } from './json-protocol';

interface StoredSecret {
  arn: string;
  name: string;
  value: string;
  versionId: string;
  kmsKeyId?: string;
  description?: string;
  tags: { Key: string; Value: string }[];
  createdDate: number;
  lastChangedDate: number;
}

export interface SecretsManagerEmulator extends JsonProtocolServer {
  /** Names of the stored secrets (never values), for tests. */
  secretNames(): string[];
  /** Raw value lookup, for tests that must prove where a token went. */
  peek(name: string): string | undefined;
}

export async function startSecretsManagerEmulator(
  options: { port?: number; persistFile?: string; region?: string; accountId?: string } = {},
): Promise<SecretsManagerEmulator> {
  const region = options.region ?? 'us-east-1';
  const accountId = options.accountId ?? '000000000000';
  const secrets = new Map<string, StoredSecret>(load(options.persistFile).map((s) => [s.name, s]));

  const persist = () => {
    if (!options.persistFile) return;
    mkdirSync(dirname(options.persistFile), { recursive: true });
    const temporary = `${options.persistFile}.tmp`;
    writeFileSync(temporary, JSON.stringify([...secrets.values()]), { mode: 0o600 });
    renameSync(temporary, options.persistFile);
  };

  const find = (secretId: unknown): StoredSecret => {
    const id = String(secretId ?? '');
    const secret = secrets.get(id) ?? [...secrets.values()].find((s) => s.arn === id);
    if (!secret)
      throw new AwsProtocolError(
        'ResourceNotFoundException',
        "Secrets Manager can't find the specified secret.",
      );
    return secret;
  };

  const requireString = (value: unknown, field: string): string => {
    if (typeof value !== 'string' || value.length === 0) {
      throw new AwsProtocolError('InvalidParameterException', `${field} is required`);
    }
    return value;
  };

  const server = await startJsonProtocolServer({
    port: options.port,
    targetPrefix: 'secretsmanager',
    operations: {
      CreateSecret(input) {
        const name = requireString(input.Name, 'Name');
        if (!/^[A-Za-z0-9/_+=.@-]{1,512}$/.test(name)) {
          throw new AwsProtocolError(
            'ValidationException',
            'Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!',
          );
        }
        if (secrets.has(name)) {
          throw new AwsProtocolError(
            'ResourceExistsException',
            `The operation failed because the secret ${name} already exists.`,
          );
        }
        const now = Date.now() / 1000;
        const secret: StoredSecret = {
          arn: `arn:aws:secretsmanager:${region}:${accountId}:secret:${name}-${randomBytes(3).toString('hex')}`,
          name,
          value: requireString(input.SecretString, 'SecretString'),
          versionId: crypto.randomUUID(),
          kmsKeyId: input.KmsKeyId as string | undefined,
          description: input.Description as string | undefined,
          tags: (input.Tags as StoredSecret['tags'] | undefined) ?? [],
          createdDate: now,
          lastChangedDate: now,
        };
        secrets.set(name, secret);
        persist();
        return { ARN: secret.arn, Name: name, VersionId: secret.versionId };
      },
      PutSecretValue(input) {
        const secret = find(input.SecretId);
        secret.value = requireString(input.SecretString, 'SecretString');
        secret.versionId = crypto.randomUUID();
        secret.lastChangedDate = Date.now() / 1000;
        persist();
        return {
          ARN: secret.arn,
          Name: secret.name,
          VersionId: secret.versionId,
          VersionStages: ['AWSCURRENT'],
        };
      },
      GetSecretValue(input) {
        const secret = find(input.SecretId);
        return {
          ARN: secret.arn,
          Name: secret.name,
          SecretString: secret.value,
          VersionId: secret.versionId,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: secret.lastChangedDate,
        };
      },
      DescribeSecret(input) {
        const secret = find(input.SecretId);
        return {
          ARN: secret.arn,
          Name: secret.name,
          Description: secret.description,
          KmsKeyId: secret.kmsKeyId,
          Tags: secret.tags,
          CreatedDate: secret.createdDate,
          LastChangedDate: secret.lastChangedDate,
        };
      },
      DeleteSecret(input) {
        const secret = find(input.SecretId);
        secrets.delete(secret.name);
        persist();
        return { ARN: secret.arn, Name: secret.name, DeletionDate: Date.now() / 1000 };
      },
      TagResource(input) {
        const secret = find(input.SecretId);
        const tags = (input.Tags as StoredSecret['tags'] | undefined) ?? [];
        secret.tags = [...secret.tags.filter((t) => !tags.some((n) => n.Key === t.Key)), ...tags];
        persist();
        return {};
      },
    },
  });

  return {
    ...server,
    secretNames: () => [...secrets.keys()],
    peek: (name) => secrets.get(name)?.value,
  };
}

function load(file: string | undefined): StoredSecret[] {
  if (!file) return [];
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StoredSecret[];
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}
