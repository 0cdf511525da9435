/**
 * The names a job shows for its options: the labels the service gave the chosen values when the job was
 * created, recorded then, so the job keeps reading as the researcher chose it even after the service
 * changes its options or the token that read them is gone. Jobs created before labels were recorded
 * show their ids, except the r² filter 0, which the services and the console's form call "off".
 */
import type { AppOptions, Choice, RefPanel } from '#shared/cloudgene/client';
import type { JobLabels, JobRecord } from './job-record';

export type { JobLabels };

type JobSettings = Pick<JobRecord, keyof JobLabels>;

/** How an option reads without the service's label: its id, and "off" for the r² filter 0. */
function idLabel(field: keyof JobLabels, id: string): string {
  return field === 'r2Filter' && Number(id) === 0 ? 'off' : id;
}

/** The service's labels of the chosen values (`panel`: the offered panel the request names). */
export function optionLabels(settings: JobSettings, options: AppOptions, panel: RefPanel): JobLabels {
  const labelIn = (field: keyof JobLabels, list: Choice[]) =>
    list.find((choice) => choice.id === settings[field])?.label ?? idLabel(field, settings[field]);
  return {
    refPanel: panel.label,
    population: labelIn('population', panel.populations),
    build: labelIn('build', options.builds),
    phasing: labelIn('phasing', options.phasing),
    mode: labelIn('mode', options.modes),
    r2Filter: labelIn('r2Filter', options.r2Filters),
  };
}

/** The labels recorded on the job, or its ids when it has none (created before they were recorded). */
export function jobLabels(job: JobSettings & { labels?: JobLabels }): JobLabels {
  if (job.labels) return job.labels;
  return {
    refPanel: idLabel('refPanel', job.refPanel),
    population: idLabel('population', job.population),
    build: idLabel('build', job.build),
    phasing: idLabel('phasing', job.phasing),
    mode: idLabel('mode', job.mode),
    r2Filter: idLabel('r2Filter', job.r2Filter),
  };
}
