/** The public shape of a catalog entry, with the caller's own token status so a UI can prompt for one. */

import type { CredentialMetadata } from '#shared/credentials/credential-store';
import { type CredentialView, toCredentialView } from '#shared/credentials/service-credentials';
import { type HealthRecord, type HealthView, toHealthView } from '#shared/health/service-health';
import { type ServiceDefinition, tokenHelpUrl } from './service-catalog';

export interface ServiceView {
  id: string;
  name: string;
  location: string;
  notes: string;
  baseUrl: string;
  appId: string;
  maxConcurrentJobs: number;
  tokenHelpUrl: string;
  credential: {
    status: 'missing' | 'active' | 'expired' | 'rejected';
    expiresAt: string | null;
    daysToExpiry: number | null;
  };
  /** What the watcher last found of the service; null before its first probe. */
  health: HealthView | null;
}

export function toServiceView(
  service: ServiceDefinition,
  metadata?: CredentialMetadata,
  health?: HealthRecord,
  now = new Date(),
): ServiceView {
  const view: CredentialView | undefined = metadata ? toCredentialView(metadata, now) : undefined;
  return {
    id: service.id,
    name: service.name,
    location: service.location,
    notes: service.notes,
    baseUrl: service.baseUrl,
    appId: service.appId,
    maxConcurrentJobs: service.maxConcurrentJobs,
    tokenHelpUrl: tokenHelpUrl(service),
    credential: view
      ? {
          status: view.status,
          expiresAt: view.expiresAt,
          daysToExpiry: view.daysToExpiry,
        }
      : { status: 'missing', expiresAt: null, daysToExpiry: null },
    health: health ? toHealthView(health, now) : null,
  };
}
