/**
 * Where a finished job can be resubmitted (POST /jobs/{jobId}/resubmit): its own service by default,
 * another service that offers an equivalent panel (GET /panels groups them under the job's `panelKey`),
 * or any of them, the gateway picking one that is up. A service that lacks the job's population is
 * offered disabled, saying so, rather than changing the population silently.
 */
import type { Job, Panel, PanelList } from '../api/client';
import { statusLabel } from './job-status';

export interface ResubmitTarget {
  /** Unique among the targets: `same`, `any`, or `service:<id>`. */
  value: string;
  label: string;
  /** The panel, health, or why it cannot be chosen. */
  hint: string;
  disabled: boolean;
  /** The request body this target sends. */
  body: { serviceId?: string; panel?: string };
}

/** The console offers a resubmission for a job that ended without results. */
export function canResubmit(status: string): boolean {
  return status === 'FAILED' || status === 'CANCELED' || status === 'EXPIRED';
}

/**
 * …except one whose files failed our checks: the same files would be refused again. Its page offers
 * "Start again with these settings", where the files are replaced.
 */
export function offersResubmit(job: Pick<Job, 'status' | 'error'>): boolean {
  return canResubmit(job.status) && job.error?.code !== 'INPUT_INVALID';
}

const HEALTH: Record<string, string> = {
  UP: 'up',
  DEGRADED: 'slow',
  MAINTENANCE: 'in maintenance',
  DOWN: 'down',
};

/** The group of panels equivalent to the job's, if the caller's services offer it. */
export function equivalentPanel(
  job: Pick<Job, 'panelKey'>,
  panels: PanelList | undefined,
): Panel | undefined {
  return panels?.panels.find((panel) => panel.panelKey === job.panelKey);
}

export function resubmitTargets(
  job: Pick<Job, 'serviceId' | 'serviceName' | 'panelKey' | 'population' | 'labels'>,
  panels: PanelList | undefined,
): ResubmitTarget[] {
  const targets: ResubmitTarget[] = [
    {
      value: 'same',
      label: `The same service: ${job.serviceName}`,
      hint: `With the same panel (${job.labels.refPanel}) and options.`,
      disabled: false,
      body: {},
    },
  ];
  const group = equivalentPanel(job, panels);
  const others = (group?.services ?? []).filter((offer) => offer.serviceId !== job.serviceId);
  for (const offer of others) {
    const populationOffered =
      offer.populations.length === 0 || offer.populations.some((p) => p.id === job.population);
    const health = offer.health ? `, ${HEALTH[offer.health] ?? statusLabel(offer.health)}` : '';
    targets.push({
      value: `service:${offer.serviceId}`,
      label: offer.serviceName,
      hint: populationOffered
        ? `Its equivalent panel: ${offer.label}${health}.`
        : `Not possible: it does not offer the population ${job.labels.population} with ${offer.label}.`,
      disabled: !populationOffered || offer.health === 'DOWN' || offer.health === 'MAINTENANCE',
      body: { serviceId: offer.serviceId },
    });
    if (populationOffered && (offer.health === 'DOWN' || offer.health === 'MAINTENANCE')) {
      targets.at(-1)!.hint = `Not possible now: it is ${HEALTH[offer.health]}.`;
    }
  }
  if (group && group.services.length > 1) {
    targets.push({
      value: 'any',
      label: 'Any service offering this panel',
      hint: 'The gateway picks one that is up, offers your options and has your token, and says why on the new job.',
      disabled: false,
      body: { panel: job.panelKey },
    });
  }
  return targets;
}

/** Why a service's panels are not listed (GET /panels' `unavailable`), in a few words. */
export function unavailableWords(reason: string): string {
  switch (reason) {
    case 'SERVICE_TOKEN_MISSING':
      return 'you have no API token stored there';
    case 'SERVICE_TOKEN_EXPIRED':
      return 'your API token there has expired';
    case 'SERVICE_TOKEN_REJECTED':
    case 'SERVICE_TOKEN_INVALID':
      return 'it refused your API token';
    case 'SERVICE_DOWN':
      return 'it is down';
    default:
      return 'its panels could not be read just now';
  }
}

/** How the gateway judged a service for a job created by panel (its `routing.considered` verdicts). */
export function verdictWords(verdict: string): string {
  switch (verdict) {
    case 'CHOSEN':
      return 'chosen';
    case 'ELIGIBLE':
      return 'could have taken it';
    case 'SERVICE_DOWN':
      return 'down';
    case 'SERVICE_MAINTENANCE':
      return 'in maintenance';
    case 'PANEL_NOT_OFFERED':
      return 'panel not offered';
    case 'OPTIONS_NOT_OFFERED':
      return 'options not offered';
    default:
      return unavailableWords(verdict);
  }
}
