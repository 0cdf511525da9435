/**
 * Tokens through their whole life: once a day the watcher asks each service whether it still accepts
 * each stored token (`POST /api/v2/tokens/verify`, which takes the token in the body and needs no
 * session). A token it no longer accepts (revoked, replaced elsewhere, expired) is marked rejected at once,
 * as a refused call would mark it: the services page and new jobs say so before a job trips over it, and
 * a token-state event is published. The jobs that need the token are not failed: they wait for a new one
 * (WAITING_FOR_TOKEN, watch-jobs.ts). A verification that could not be made (the service unwell) is
 * tried again at the next run. Credentials are found through the watch index (`VERIFY#<service>`, due
 * time), never a Scan; at most VERIFY_PER_RUN per service and run.
 */
import { findService } from '#shared/catalog/service-catalog';
import { CloudgeneClient } from '#shared/cloudgene/client';
import { credentialStore } from '#shared/credentials/credential-store';
import { ownerSession } from '#shared/credentials/service-credentials';
import { logger } from '#shared/logger';

export const VERIFY_PER_RUN = 50;

export interface TokenVerifications {
  verified: number;
  rejected: number;
  failed: number;
}

export async function verifyTokens(
  serviceId: string,
  now: Date,
  deadline: number,
): Promise<TokenVerifications> {
  const counts: TokenVerifications = { verified: 0, rejected: 0, failed: 0 };
  const service = findService(serviceId);
  if (!service) return counts;
  const store = credentialStore();
  const client = new CloudgeneClient({ baseUrl: service.baseUrl, appId: service.appId, timeoutMs: 10_000 });
  for (const owner of await store.dueForVerification(serviceId, now, VERIFY_PER_RUN)) {
    if (Date.now() > deadline) break;
    try {
      const credential = await store.get(owner, serviceId);
      const session = credential ? await ownerSession(owner, service) : undefined;
      if (!credential || !session) continue;
      const verification = await client.verifyToken(session.token);
      const expired = verification.valid && verification.expiresAt != null && verification.expiresAt <= now;
      if (verification.valid && !expired) {
        await store.recordVerified(owner, serviceId, credential.verifiedAt, now);
        counts.verified++;
      } else {
        // Only the token that was verified is marked (a replacement stored meanwhile is not).
        await store.markRejected(owner, serviceId, credential.verifiedAt, now);
        logger.warn('a stored token is no longer accepted by its service; marked rejected', {
          serviceId,
          expired,
        });
        counts.rejected++;
      }
    } catch (error) {
      counts.failed++;
      logger.warn('token verification failed; tried again at the next run', {
        serviceId,
        error: String(error),
      });
    }
  }
  return counts;
}
