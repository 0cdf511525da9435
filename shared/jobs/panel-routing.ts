/**
 * A job named by its panel instead of a service (`panel` in POST /jobs): the gateway picks the service.
 * Every service of the catalog is judged, and the verdict of each is recorded on the job with the reason
 * for the choice, so a researcher (and support) can see why the job went where it went.
 *
 * A service is eligible when the watcher does not find it DOWN or in MAINTENANCE, the caller holds an
 * active token for it, its options can be read with that token, and it offers the panel (the same
 * `panelKeyOf`, shared/catalog/panels.ts) with every option the request asks for (build, population,
 * phasing, mode, r² filter). Among the eligible, UP services come first, then DEGRADED ones (slow, but
 * answering), then those the watcher has not probed yet; within a rank the shorter queue the watcher last
 * saw (unknown last), then catalog order. No eligible service: 409 NO_SERVICE_FOR_PANEL listing each
 * service's verdict.
 */
import type { Caller } from '#shared/auth/caller';
import { panelKeyOf, surveyServices } from '#shared/catalog/panels';
import type { ServiceDefinition } from '#shared/catalog/service-catalog';
import type { AppOptions } from '#shared/cloudgene/client';
import { ConflictError, ValidationError } from '#shared/errors';
import type { HealthRecord } from '#shared/health/service-health';
import type { JobRouting } from './job-record';
import { checkAgainstServiceOptions, type JobChoices } from './job-request';

const HEALTH_RANK = { UP: 0, DEGRADED: 1 } as const;
/** A service the watcher has not probed yet ranks after those it found answering. */
const UNPROBED_RANK = 2;

interface Candidate {
  service: ServiceDefinition;
  health: HealthRecord | undefined;
  refPanel: string;
  label: string;
}

export interface RoutedService {
  service: ServiceDefinition;
  /** The chosen service's own id of the panel. */
  refPanel: string;
  routing: JobRouting;
}

/** Picks the service for a job named by `choices.panel`; see the module comment for the rule. */
export async function routeByPanel(
  caller: Caller,
  choices: Omit<JobChoices, 'refPanel'> & { panel: string },
): Promise<RoutedService> {
  const panel = panelKeyOf(choices.panel);
  const surveys = await surveyServices(caller, {
    skip: (_, health) => health?.status === 'DOWN' || health?.status === 'MAINTENANCE',
  });
  const considered: JobRouting['considered'] = [];
  const candidates: Candidate[] = [];
  for (const { service, health, options, unavailable } of surveys) {
    const judge = (verdict: string, detail: string) =>
      considered.push({ serviceId: service.id, verdict, detail });
    if (health?.status === 'DOWN' || health?.status === 'MAINTENANCE') {
      judge(
        `SERVICE_${health.status}`,
        `${service.name} is ${health.status === 'DOWN' ? 'down' : 'in maintenance'} since ${health.since}`,
      );
      continue;
    }
    if (unavailable || !options) {
      judge(unavailable?.reason ?? 'SERVICE_UNAVAILABLE', unavailable?.message ?? 'its options are unknown');
      continue;
    }
    const offered = offeredPanel(options, panel);
    if (!offered) {
      judge('PANEL_NOT_OFFERED', `${service.name} does not offer the panel "${panel}" to you`);
      continue;
    }
    try {
      checkAgainstServiceOptions({ ...choices, refPanel: offered.id }, options);
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      judge('OPTIONS_NOT_OFFERED', `${service.name} offers "${offered.label}", but ${error.message}`);
      continue;
    }
    judge('ELIGIBLE', `${service.name} offers "${offered.label}" (${healthWords(health)})`);
    candidates.push({ service, health, refPanel: offered.id, label: offered.label });
  }

  const ranked = candidates
    .map((candidate, order) => ({ candidate, order }))
    .sort(
      (a, b) =>
        rank(a.candidate.health) - rank(b.candidate.health) ||
        queue(a.candidate.health) - queue(b.candidate.health) ||
        a.order - b.order,
    );
  const best = ranked[0]?.candidate;
  if (!best) {
    throw new ConflictError(
      `No service can take a job for the panel "${panel}" now: ${considered
        .map((c) => `${c.serviceId}: ${c.detail}`)
        .join('; ')}`,
      'NO_SERVICE_FOR_PANEL',
      { panel, considered },
    );
  }
  const chosen = considered.find((c) => c.serviceId === best.service.id)!;
  chosen.verdict = 'CHOSEN';
  const others = candidates.length - 1;
  const reason =
    `${best.service.name} offers "${best.label}" and is ${healthWords(best.health)}` +
    (others === 0
      ? '; no other service could take the job'
      : `; ranked first of ${candidates.length} eligible services (UP before DEGRADED before not yet probed, then the shorter queue, then catalog order)`);
  return {
    service: best.service,
    refPanel: best.refPanel,
    routing: { panel, chosen: best.service.id, reason, considered },
  };
}

/** The service's panel of this key (its first listing when it lists two versions). */
export function offeredPanel(options: AppOptions, panelKey: string) {
  return options.refPanels.find((p) => panelKeyOf(p.id) === panelKey);
}

const rank = (health: HealthRecord | undefined) =>
  health ? (HEALTH_RANK[health.status as keyof typeof HEALTH_RANK] ?? UNPROBED_RANK) : UNPROBED_RANK;
const queue = (health: HealthRecord | undefined) => health?.queueSize ?? Number.MAX_SAFE_INTEGER;

function healthWords(health: HealthRecord | undefined): string {
  if (!health) return 'not probed by the watcher yet';
  const waiting = health.queueSize === null ? '' : `, ${health.queueSize} jobs in its queue`;
  return `${health.status}${waiting}`;
}
