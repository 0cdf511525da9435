/**
 * The imputation app's parameter list (`GET /api/v2/server/apps/{appId}`) normalised into what a job
 * request chooses from: panels with their populations, builds, phasing, modes and r2 filters, with the
 * app's defaults. Servers differ: populations come as one list per panel (`binded_list`) or as one list
 * for all, and panel ids may be listed with or without a version suffix.
 */
import type { output } from 'zod/mini';
import { type appResponseSchema, bindedValueSchema, optionValueSchema } from './schemas';

export interface Choice {
  id: string;
  label: string;
}

export interface RefPanel extends Choice {
  /** The populations this panel offers (Michigan: eur/afr/…; TOPMed: all/off). */
  populations: Choice[];
}

/** The options of the imputation app, normalised from its parameter list. */
export interface AppOptions {
  appId: string;
  name: string;
  version: string | null;
  refPanels: RefPanel[];
  builds: Choice[];
  phasing: Choice[];
  modes: Choice[];
  r2Filters: Choice[];
  defaults: { build: string | null; phasing: string | null; mode: string | null; r2Filter: string | null };
}

export function toAppOptions(app: output<typeof appResponseSchema>, appId: string): AppOptions {
  const param = (id: string) => app.params.find((p) => p.id === id);
  const choices = (id: string): Choice[] => (param(id)?.values ?? []).flatMap(toChoice);
  const defaultOf = (id: string) => {
    const value = param(id)?.value;
    return value === undefined || value === null || typeof value === 'object' ? null : String(value);
  };

  const population = param('population');
  // A binded_list holds one choice list per panel; an unbound list (older apps) applies to every panel.
  const populationsByPanel = new Map<string, Choice[]>();
  let populationsForAll: Choice[] = [];
  if (population?.type === 'binded_list' || population?.values?.some(hasNestedValues)) {
    for (const value of population.values ?? []) {
      const binded = bindedValueSchema.safeParse(value);
      if (binded.success)
        populationsByPanel.set(binded.data.key, (binded.data.values ?? []).flatMap(toChoice));
    }
  } else if (population) {
    populationsForAll = choices('population');
  }
  const populationsOf = (panelId: string): Choice[] =>
    populationsByPanel.get(panelId) ??
    [...populationsByPanel.entries()].find(([key]) => withoutVersion(key) === withoutVersion(panelId))?.[1] ??
    populationsForAll;

  return {
    appId: app.id ?? appId,
    name: app.name ?? appId,
    version: app.version ?? null,
    refPanels: choices('refpanel').map((panel) => ({ ...panel, populations: populationsOf(panel.id) })),
    builds: choices('build'),
    phasing: choices('phasing'),
    modes: choices('mode'),
    r2Filters: choices('r2Filter'),
    defaults: {
      build: defaultOf('build'),
      phasing: defaultOf('phasing'),
      mode: defaultOf('mode'),
      r2Filter: defaultOf('r2Filter'),
    },
  };
}

function toChoice(value: unknown): Choice[] {
  const option = optionValueSchema.safeParse(value);
  if (!option.success) return [];
  const { key, value: label } = option.data;
  return [{ id: key, label: label === null || label === undefined || label === '' ? key : String(label) }];
}

function hasNestedValues(value: unknown): boolean {
  return typeof value === 'object' && value !== null && Array.isArray((value as { values?: unknown }).values);
}

/** `apps@hapmap-2@2.0.0` → `apps@hapmap-2`: servers list panels with versions that ids may leave off. */
function withoutVersion(panelId: string): string {
  return panelId.replace(/^(apps@[^@]+)@.*$/, '$1');
}
