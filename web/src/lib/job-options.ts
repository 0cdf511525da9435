/**
 * The New job form's choices from a service's options (GET /services/{id}/options): the service's
 * defaults preselected, populations only of the chosen panel, and a previous choice kept when the new
 * options still offer it. The API checks the same rules (shared/jobs/job-request.ts); the form only
 * avoids offering a combination it would refuse.
 */
export interface Choice {
  id: string;
  label: string;
}
export interface PanelChoice extends Choice {
  populations: Choice[];
}
export interface OptionsLike {
  refPanels: PanelChoice[];
  builds: Choice[];
  phasing: Choice[];
  modes: Choice[];
  r2Filters: Choice[];
  defaults: { build: string | null; phasing: string | null; mode: string | null; r2Filter: string | null };
}

export interface JobChoices {
  refPanel: string;
  population: string;
  build: string;
  phasing: string;
  mode: string;
  r2Filter: string;
}

const pick = (list: Choice[], wanted: string | undefined, fallback: string | null, none: string): string => {
  if (wanted && list.some((c) => c.id === wanted)) return wanted;
  if (fallback && list.some((c) => c.id === fallback)) return fallback;
  return list[0]?.id ?? fallback ?? none;
};

/** The populations the chosen panel offers ("off" when it lists none, as the API's default). */
export function populationsOf(options: OptionsLike, refPanel: string): Choice[] {
  return options.refPanels.find((panel) => panel.id === refPanel)?.populations ?? [];
}

/** Valid choices for these options, keeping as much of `previous` as they allow. */
export function reconcileChoices(options: OptionsLike, previous: Partial<JobChoices> = {}): JobChoices {
  const refPanel = pick(options.refPanels, previous.refPanel, null, '');
  const populations = populationsOf(options, refPanel);
  return {
    refPanel,
    population: populations.length === 0 ? 'off' : pick(populations, previous.population, null, 'off'),
    build: pick(options.builds, previous.build, options.defaults.build, 'hg19'),
    phasing: pick(options.phasing, previous.phasing, options.defaults.phasing, 'eagle'),
    mode: pick(options.modes, previous.mode, options.defaults.mode, 'imputation'),
    r2Filter: pick(options.r2Filters, previous.r2Filter, options.defaults.r2Filter, '0'),
  };
}

/** The label of a choice for the review step. */
export function labelOf(list: Choice[], id: string): string {
  return list.find((choice) => choice.id === id)?.label ?? id;
}
