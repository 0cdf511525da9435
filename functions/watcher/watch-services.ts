/**
 * Scheduled every minute (EventBridge Scheduler; one run at a time): probes every service of the catalog
 * anonymously and moves its health record on (shared/health). The event carries nothing it reads.
 */
import { watchServices } from '#shared/health/watch-services';

export const handler = async () => watchServices();
