/**
 * The reference panels and options a caller can use at a service, read from the service with the
 * caller's own token (services may show different panels to different users). Answers are cached per
 * warm Lambda for a few minutes; the cache key includes when the token was verified, so replacing or
 * deleting the token takes effect at once.
 */
import type { Caller } from '#shared/auth/caller';
import type { AppOptions } from '#shared/cloudgene/client';
import {
  activeCredential,
  type CredentialDeps,
  serviceSession,
} from '#shared/credentials/service-credentials';
import type { ServiceDefinition } from './service-catalog';
import { callService, serviceClient } from './service-client';

export const OPTIONS_CACHE_TTL_MS = 5 * 60_000;
const MAX_CACHE_ENTRIES = 1_000;

const cache = new Map<string, { expiresAt: number; options: AppOptions }>();

export interface ServiceOptionsResult {
  options: AppOptions;
  cached: boolean;
  fetchedAt: string;
}

export async function getServiceOptions(
  caller: Caller,
  service: ServiceDefinition,
  deps?: CredentialDeps,
): Promise<ServiceOptionsResult> {
  const credential = await activeCredential(caller, service, deps);
  const key = [caller.sub, service.id, credential.verifiedAt].join('\u0000');
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.expiresAt > now) {
    return {
      options: hit.options,
      cached: true,
      fetchedAt: new Date(hit.expiresAt - OPTIONS_CACHE_TTL_MS).toISOString(),
    };
  }
  const session = await serviceSession(caller, service, deps);
  const options = await callService(service, () => serviceClient(service, session).getAppOptions());
  if (cache.size >= MAX_CACHE_ENTRIES) cache.delete(cache.keys().next().value as string);
  cache.set(key, { expiresAt: now + OPTIONS_CACHE_TTL_MS, options });
  return { options, cached: false, fetchedAt: new Date(now).toISOString() };
}

/**
 * The caller's options at the service as cached, without calling the service: undefined when none is
 * cached (or the token cannot be used). For a service the watcher finds down, whose answer would only
 * be a timeout.
 */
export async function cachedServiceOptions(
  caller: Caller,
  service: ServiceDefinition,
  deps?: CredentialDeps,
): Promise<ServiceOptionsResult | undefined> {
  const credential = await activeCredential(caller, service, deps);
  const hit = cache.get([caller.sub, service.id, credential.verifiedAt].join('\u0000'));
  if (!hit || hit.expiresAt <= Date.now()) return undefined;
  return {
    options: hit.options,
    cached: true,
    fetchedAt: new Date(hit.expiresAt - OPTIONS_CACHE_TTL_MS).toISOString(),
  };
}

/** For tests: forget every cached answer. */
export function clearServiceOptionsCache() {
  cache.clear();
}
