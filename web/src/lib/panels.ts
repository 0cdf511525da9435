/**
 * New job's "any service offering this panel": the panel chosen at one service, found in GET /panels
 * among its equivalents at the caller's other services, so the job can be sent by panel (`panel`) and the
 * gateway picks the service.
 */
import type { Panel, PanelList } from '../api/client';

/** The group of the panel `refPanel` of `serviceId` (GET /panels), if the caller's panels are known. */
export function panelGroupOf(
  panels: PanelList | undefined,
  serviceId: string,
  refPanel: string,
): Panel | undefined {
  return panels?.panels.find((group) =>
    group.services.some((offer) => offer.serviceId === serviceId && offer.refPanel === refPanel),
  );
}

const HEALTH: Record<string, string> = {
  UP: 'up',
  DEGRADED: 'slow',
  MAINTENANCE: 'in maintenance',
  DOWN: 'down',
};

/** What "any service" means for this panel: the services that offer it, and how the gateway picks. */
export function anyServiceHint(group: Panel): string {
  const services = group.services
    .map((offer) => `${offer.serviceName}${offer.health ? ` (${HEALTH[offer.health] ?? offer.health})` : ''}`)
    .join(', ');
  return (
    `Offered by ${services}. The gateway picks one that is up (a slow one after those), offers the ` +
    'options above and has your token, and says why on the job.'
  );
}
