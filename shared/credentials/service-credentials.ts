/**
 * The per-user service token flows. A token is stored only after the service itself vouched for it
 * (`POST /api/v2/tokens/verify`), so a typo is caught now rather than hours later when a job is submitted.
 * The secret is written before its metadata: if the second write fails, a retry of the same request
 * repairs it, and a listing never shows a token that is not there. Tokens are read through the vault's
 * cache; a session re-reads the token before a refusal by the service counts (see `serviceSession`).
 */
import type { Caller } from '#shared/auth/caller';
import type { ServiceDefinition } from '#shared/catalog/service-catalog';
import { callService, type ServiceTokenSession, serviceClient } from '#shared/catalog/service-client';
import { ConflictError, NotFoundError, UnprocessableError } from '#shared/errors';
import { logger } from '#shared/logger';
import {
  type CredentialMetadata,
  type CredentialStore,
  credentialStore,
  tokenHint,
} from './credential-store';
import { type TokenVault, tokenVault } from './token-vault';

const DAY_MS = 86_400_000;

export interface CredentialView {
  serviceId: string;
  serviceUsername: string;
  expiresAt: string | null;
  /** Whole days until the token expires (negative once expired); null when the expiry is unknown. */
  daysToExpiry: number | null;
  expired: boolean;
  /** `rejected`: the service refused this token on a call (revoked or replaced); store a new one. */
  status: 'active' | 'expired' | 'rejected';
  tokenHint: string;
  verifiedAt: string;
  createdAt: string;
  updatedAt: string;
}

export function toCredentialView(metadata: CredentialMetadata, now = new Date()): CredentialView {
  const expiresAtMs = metadata.expiresAt ? Date.parse(metadata.expiresAt) : Number.NaN;
  const known = Number.isFinite(expiresAtMs);
  const expired = known && expiresAtMs <= now.getTime();
  return {
    ...metadata,
    daysToExpiry: known ? Math.floor((expiresAtMs - now.getTime()) / DAY_MS) : null,
    expired,
    status: metadata.rejectedAt ? 'rejected' : expired ? 'expired' : 'active',
  };
}

export interface CredentialDeps {
  vault: TokenVault;
  store: CredentialStore;
  now: () => Date;
}

const defaultDeps = (): CredentialDeps => ({
  vault: tokenVault(),
  store: credentialStore(),
  now: () => new Date(),
});

export async function saveServiceToken(
  caller: Caller,
  service: ServiceDefinition,
  token: string,
  deps: CredentialDeps = defaultDeps(),
): Promise<{ credential: CredentialView; replaced: boolean }> {
  const verification = await callService(service, () => serviceClient(service).verifyToken(token));
  const now = deps.now();
  if (!verification.valid) {
    throw new UnprocessableError(
      'SERVICE_TOKEN_INVALID',
      `${service.name} did not accept this token: ${verification.message || 'invalid API token'}`,
    );
  }
  if (verification.expiresAt && verification.expiresAt.getTime() <= now.getTime()) {
    throw new UnprocessableError(
      'SERVICE_TOKEN_EXPIRED',
      `This token expired on ${verification.expiresAt.toISOString()}`,
    );
  }
  const { replaced } = await deps.vault.put(caller.sub, service.id, token);
  const metadata = await deps.store.put(
    caller.sub,
    {
      serviceId: service.id,
      serviceUsername: verification.username,
      expiresAt: verification.expiresAt?.toISOString() ?? null,
      tokenHint: tokenHint(token),
      verifiedAt: now.toISOString(),
    },
    now,
  );
  logger.info('service token stored', { serviceId: service.id, replaced });
  return { credential: toCredentialView(metadata, now), replaced };
}

export async function listServiceCredentials(caller: Caller, deps: CredentialDeps = defaultDeps()) {
  const now = deps.now();
  const items = await deps.store.list(caller.sub);
  return items.map((item) => toCredentialView(item, now));
}

export async function deleteServiceToken(
  caller: Caller,
  serviceId: string,
  deps: CredentialDeps = defaultDeps(),
) {
  const secret = await deps.vault.delete(caller.sub, serviceId);
  const metadata = await deps.store.delete(caller.sub, serviceId);
  if (!secret.existed && !metadata.existed) {
    throw new NotFoundError(`No token is stored for the service "${serviceId}"`, 'CREDENTIAL_NOT_FOUND');
  }
  logger.info('service token deleted', { serviceId });
}

/** The caller's stored, unexpired credential metadata for a service; refuses with an actionable answer otherwise. */
export async function activeCredential(
  caller: Caller,
  service: ServiceDefinition,
  deps: CredentialDeps = defaultDeps(),
): Promise<CredentialMetadata> {
  const metadata = await deps.store.get(caller.sub, service.id);
  if (!metadata) throw missingToken(service);
  if (metadata.rejectedAt) {
    throw new UnprocessableError(
      'SERVICE_TOKEN_REJECTED',
      `${service.name} refused your API token on ${metadata.rejectedAt} (revoked, or replaced by a newer one). ` +
        `Create a new token at the service and store it with PUT /me/credentials/${service.id}.`,
    );
  }
  if (toCredentialView(metadata, deps.now()).expired) {
    throw new UnprocessableError(
      'SERVICE_TOKEN_EXPIRED',
      `Your API token for ${service.name} expired on ${metadata.expiresAt}. ` +
        `Store a new one with PUT /me/credentials/${service.id}.`,
    );
  }
  return metadata;
}

/**
 * The caller's token with the credential it belongs to, for a client acting as them: the token through
 * the vault's cache, a fresh read for when the service refuses it (a token stored meanwhile is used
 * instead), and the hook for a refusal that stands: the credential is marked `rejected` at once, so
 * services, credentials and new jobs show it, not only the call that ran into it. The mark is
 * conditional on `verifiedAt` as read before any token: a replacement stored meanwhile is never marked.
 */
export async function serviceSession(
  caller: Caller,
  service: ServiceDefinition,
  deps: CredentialDeps = defaultDeps(),
): Promise<ServiceTokenSession & { credential: CredentialMetadata }> {
  const credential = await activeCredential(caller, service, deps);
  const token = await deps.vault.get(caller.sub, service.id);
  if (token === undefined) throw missingToken(service);
  return {
    token,
    credential,
    refreshToken: () => deps.vault.get(caller.sub, service.id, { fresh: true }),
    onTokenRejected: () => markRejected(caller.sub, service, credential, deps),
  };
}

/**
 * The job owner's token for a workflow task, or undefined when none is stored: one cached read, no
 * metadata read (the service itself says whether the token still works). Only when the service refuses
 * it is the credential read, before the fresh token read, so the `rejected` mark applies to the refused
 * token's credential (or an older one) and never to a replacement stored meanwhile.
 */
export async function ownerSession(
  owner: string,
  service: ServiceDefinition,
  deps: CredentialDeps = defaultDeps(),
): Promise<ServiceTokenSession | undefined> {
  const token = await deps.vault.get(owner, service.id);
  if (token === undefined) return undefined;
  let atRefusal: CredentialMetadata | undefined;
  return {
    token,
    refreshToken: async () => {
      atRefusal = await deps.store.get(owner, service.id);
      return deps.vault.get(owner, service.id, { fresh: true });
    },
    onTokenRejected: async () => {
      const credential = atRefusal ?? (await deps.store.get(owner, service.id));
      if (credential) await markRejected(owner, service, credential, deps);
    },
  };
}

async function markRejected(
  sub: string,
  service: ServiceDefinition,
  credential: CredentialMetadata,
  deps: CredentialDeps,
): Promise<void> {
  const marked = await deps.store.markRejected(sub, service.id, credential.verifiedAt, deps.now());
  if (marked) logger.warn('service token rejected by the service; marked', { serviceId: service.id });
}

function missingToken(service: ServiceDefinition) {
  return new ConflictError(
    `You have no API token stored for ${service.name}. Store one with PUT /me/credentials/${service.id}.`,
    'SERVICE_TOKEN_MISSING',
  );
}
