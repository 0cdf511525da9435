/**
 * The New job form's choices from a service's options (GET /services/{id}/options): the service's
 * defaults preselected, populations only of the chosen panel, and a previous choice kept when the new
 * options still offer it. The population is never picked for the researcher: it starts unchosen, is kept
 * when the new panel offers it, and a choice the new options cannot keep is said in words, never changed
 * silently. The API checks the same rules (shared/jobs/job-request.ts); the form only avoids offering a
 * combination it would refuse.
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
  /** '' while the researcher has not chosen one (or the panel offers none: the job then sends "off"). */
  population: string;
  build: string;
  phasing: string;
  mode: string;
  r2Filter: string;
}

export type ChoiceField = keyof JobChoices;
export type ChoiceLabels = Record<ChoiceField, string>;

/** How each choice is named in sentences (the form's labels, in lower case). */
export const choiceNames: ChoiceLabels = {
  refPanel: 'reference panel',
  population: 'population',
  build: 'build of your input data',
  phasing: 'phasing',
  mode: 'mode',
  r2Filter: 'r² filter',
};

const pick = (list: Choice[], wanted: string | undefined, fallback: string | null, none: string): string => {
  if (wanted && list.some((c) => c.id === wanted)) return wanted;
  if (fallback && list.some((c) => c.id === fallback)) return fallback;
  return list[0]?.id ?? fallback ?? none;
};

/** The populations the chosen panel offers (none: the job is sent with population "off"). */
export function populationsOf(options: OptionsLike, refPanel: string): Choice[] {
  return options.refPanels.find((panel) => panel.id === refPanel)?.populations ?? [];
}

/** Valid choices for these options, keeping as much of `previous` as they allow. */
export function reconcileChoices(options: OptionsLike, previous: Partial<JobChoices> = {}): JobChoices {
  const refPanel = pick(options.refPanels, previous.refPanel, null, '');
  const populations = populationsOf(options, refPanel);
  return {
    refPanel,
    population: populations.some((p) => p.id === previous.population) ? previous.population! : '',
    build: pick(options.builds, previous.build, options.defaults.build, 'hg19'),
    phasing: pick(options.phasing, previous.phasing, options.defaults.phasing, 'eagle'),
    mode: pick(options.modes, previous.mode, options.defaults.mode, 'imputation'),
    r2Filter: pick(options.r2Filters, previous.r2Filter, options.defaults.r2Filter, '0'),
  };
}

/** Whether the job still needs a population from the researcher. */
export function needsPopulation(options: OptionsLike, choices: JobChoices): boolean {
  return choices.population === '' && populationsOf(options, choices.refPanel).length > 0;
}

/** The population the job is sent with: "off" when the panel offers none. */
export function populationToSend(choices: JobChoices): string {
  return choices.population === '' ? 'off' : choices.population;
}

/** The label of a choice for the review step. */
export function labelOf(list: Choice[], id: string): string {
  return list.find((choice) => choice.id === id)?.label ?? id;
}

/** The service's labels of the choices (to say later what a choice was, should it be dropped). */
export function choiceLabels(options: OptionsLike, choices: JobChoices): ChoiceLabels {
  return {
    refPanel: labelOf(options.refPanels, choices.refPanel),
    population: labelOf(populationsOf(options, choices.refPanel), choices.population),
    build: labelOf(options.builds, choices.build),
    phasing: labelOf(options.phasing, choices.phasing),
    mode: labelOf(options.modes, choices.mode),
    r2Filter: labelOf(options.r2Filters, choices.r2Filter),
  };
}

/**
 * What the researcher must be told after `previous` was reconciled into `next` against `options`: one
 * sentence per earlier choice the options no longer allow. `labels` name the earlier choices.
 */
export function droppedChoices(
  options: OptionsLike,
  previous: Partial<JobChoices>,
  next: JobChoices,
  labels: Partial<ChoiceLabels>,
  serviceName: string,
): string[] {
  const notes: string[] = [];
  const fields = Object.keys(choiceNames) as ChoiceField[];
  for (const field of fields) {
    const was = previous[field];
    if (!was || was === next[field]) continue;
    const wasLabel = labels[field] ?? was;
    if (field === 'population') {
      // A panel without populations asks for none: nothing to choose again.
      if (!needsPopulation(options, next)) continue;
      const panel = labelOf(options.refPanels, next.refPanel);
      notes.push(
        `The panel ${panel} does not offer the population ${wasLabel}: choose one of its populations.`,
      );
    } else {
      const now = choiceLabels(options, next)[field];
      notes.push(
        `${serviceName} does not offer the ${choiceNames[field]} ${wasLabel}: ${now} is chosen instead.`,
      );
    }
  }
  return notes;
}
