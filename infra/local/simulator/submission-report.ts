/**
 * What the service's Input Validation and Quality Control steps say about a submission, in their words
 * (imputationserver's InputValidationCommand and QualityControlCommand), from the files as they were read
 * while streaming in. Worked out once, when the submission arrives, and kept with the job: the step log
 * messages, the failure that ends a job whose input the service refuses, and what the QC files list —
 * so every count in a message is the count of the submitted files, and the result files agree with it.
 */
import { type PanelDefinition, panelBuild, panelMinSnps, panelName } from './fixtures';
import { bareChromosome, isValidChromosome, SITE_FILTERS } from './site-qc';
import type { StepMessage, SubmissionReport, SubmittedVcf } from './types';
import { MAX_SAMPLES } from './vcf-scan';

const HELP = ' (see <a href="/start.html#!pages/help">Help</a>).';
const MIN_SAMPLES = 20;

const count = (n: number) => n.toLocaleString('en-US');
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
/** As commons-lang's `escapeHtml`, which the services put around a reader's exception message. */
const escapeHtml = (text: string) => text.replace(/[&<>"]/g, (c) => ENTITIES[c] ?? c);

/** The job's settings as the steps read them, with the app's defaults. */
export function jobSettings(fields: Record<string, string>) {
  return {
    build: fields.build === 'hg38' ? 'hg38' : 'hg19',
    population: fields.population ?? 'off',
    phasing: fields.phasing ?? 'eagle',
    mode: fields.mode ?? 'imputation',
    r2Filter: fields.r2Filter ?? '0',
  } as const;
}

/** Input files in the order the service reads them: sorted by name. */
export function inReadingOrder(files: readonly SubmittedVcf[]): SubmittedVcf[] {
  return [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function reportSubmission(
  files: readonly SubmittedVcf[],
  fields: Record<string, string>,
  panel: PanelDefinition,
): SubmissionReport {
  const refused = (validation: StepMessage[], failure: string): SubmissionReport => ({
    validation,
    qualityControl: [],
    failure,
    liftOver: false,
    excludedChunks: [],
  });
  const validation = validate(inReadingOrder(files), fields, panel);
  const error = validation.find((m) => m.type === 1);
  if (error) return refused(validation, error.message);
  return { validation, ...qualityControl(files, fields, panel) };
}

function validate(
  files: SubmittedVcf[],
  fields: Record<string, string>,
  panel: PanelDefinition,
): StepMessage[] {
  const settings = jobSettings(fields);
  const error = (message: string): StepMessage[] => [{ message, type: 1 }];
  if (files.length === 0) return error(`The provided files are not VCF files ${HELP}`);
  const chromosomes: string[] = [];
  let samples = 0;
  let snps = 0;
  let chunks = 0;
  let phased = true;
  for (const file of files) {
    if (file.problem) return error(escapeHtml(file.problem) + HELP);
    const raw = file.chromosome ?? '';
    if (!isValidChromosome(raw)) return error('No valid chromosomes found!');
    const chromosome = bareChromosome(raw);
    chromosomes.push(chromosome);
    if (samples !== 0 && samples !== file.sampleCount) {
      return error(
        `Please double check, if all uploaded VCF files include the same amount of samples (${file.sampleCount} vs ${samples})`,
      );
    }
    samples = file.sampleCount;
    snps += file.snps;
    chunks += file.chunks.length;
    phased &&= file.phased;
    if (samples < MIN_SAMPLES) return error(`At least ${MIN_SAMPLES} samples must be uploaded.`);
    if (samples > MAX_SAMPLES) {
      return error(
        `The maximum number of samples is ${MAX_SAMPLES}. Please contact the service team to discuss this large imputation.`,
      );
    }
    const prefixed = raw.startsWith('chr');
    if (settings.build === 'hg19' && prefixed) {
      return error(
        `Your upload data contains chromosome '${raw}'. This is not a valid hg19 encoding. Please ensure that your input data is build hg19 and chromosome is encoded as '${chromosome}'.`,
      );
    }
    if (settings.build === 'hg38' && !prefixed) {
      return error(
        `Your upload data contains chromosome '${raw}'. This is not a valid hg38 encoding. Please ensure that your input data is build hg38 and chromosome is encoded as 'chr${chromosome}'.`,
      );
    }
  }
  const lines = [
    `${files.length} valid VCF file(s) found.`,
    `Samples: ${samples}`,
    `Chromosomes: ${chromosomes.join(' ')}`,
    `SNPs: ${snps}`,
    `Chunks: ${chunks}`,
    `Datatype: ${phased ? 'phased' : 'unphased'}`,
    `Build: ${settings.build}`,
    `Reference Panel: ${panelName(panel)} (${panelBuild(panel)})`,
    `Population: ${settings.population}`,
    `Phasing: ${settings.phasing}`,
    `Mode: ${settings.mode}`,
    ...(settings.r2Filter !== '0' && settings.r2Filter !== '' ? [`Rsq filter: ${settings.r2Filter}`] : []),
  ];
  const messages: StepMessage[] = [{ message: lines.join('\n'), type: 0 }];
  if (!phased && settings.phasing === 'no_phasing') {
    messages.push({
      message: 'Your input data is unphased. Please select an algorithm for phasing.',
      type: 1,
    });
  }
  return messages;
}

function qualityControl(
  files: readonly SubmittedVcf[],
  fields: Record<string, string>,
  panel: PanelDefinition,
): Omit<SubmissionReport, 'validation'> {
  const { build } = jobSettings(fields);
  const reference = panelBuild(panel);
  const minSnps = panelMinSnps(panel);
  const messages: StepMessage[] = [];
  const liftOver = build !== reference;
  if (liftOver)
    messages.push({ message: `Uploaded data is ${build} and reference is ${reference}.`, type: 2 });

  const excluded = (filter: string) => files.reduce((sum, f) => sum + (f.excluded[filter] ?? 0), 0);
  const snps = files.reduce((sum, f) => sum + f.snps, 0);
  const typedOnly = files.reduce((sum, f) => sum + f.typedOnly, 0);
  const excludedTotal = SITE_FILTERS.reduce((sum, filter) => sum + excluded(filter), 0);
  const remaining = snps - excludedTotal - typedOnly;
  const found = remaining + excluded('Allele mismatch');
  const overlap = found + typedOnly === 0 ? 0 : (found / (found + typedOnly)) * 100;
  messages.push({
    message: [
      '<b>Statistics:</b> ',
      'Alternative allele frequency > 0.5 sites: 0',
      `Reference Overlap: ${overlap.toFixed(2)} %`,
      `Match: ${count(remaining)}`,
      'Allele switch: 0',
      'Strand flip: 0',
      'Strand flip and allele switch: 0',
      `A/T, C/G genotypes: ${count(files.reduce((sum, f) => sum + f.strandAmbiguous, 0))}`,
      '<b>Filtered sites:</b> ',
      ...SITE_FILTERS.map((filter) => `${filter}: ${count(excluded(filter))}`),
    ].join('\n'),
    type: 0,
  });

  const chunks = files.flatMap((file) =>
    file.chunks.map((chunk) => ({ chromosome: bareChromosome(file.chromosome ?? ''), ...chunk })),
  );
  const excludedChunks = chunks
    .filter((chunk) => chunk.passed < minSnps)
    .map(({ chromosome, chunk, passed, sites }) => ({
      chromosome,
      chunk,
      passed,
      overlap: sites === 0 ? 0 : passed / sites,
    }));
  let summary = `Excluded sites in total: ${count(excludedTotal)}\nRemaining sites in total: ${count(remaining)}\n`;
  if (excludedTotal > 0) summary += 'See snps-excluded.txt for details\n';
  if (typedOnly > 0)
    summary += `Typed only sites: ${count(typedOnly)}\nSee snps-typed-only.txt for details\n`;
  if (excludedChunks.length > 0) {
    summary += `\n<b>Warning:</b> ${count(excludedChunks.length)} Chunk(s) excluded: < ${minSnps} SNPs (see chunks-excluded.txt for details).`;
    summary += `\nRemaining chunk(s): ${count(chunks.length - excludedChunks.length)}`;
  }
  if (excludedChunks.length === chunks.length) {
    summary += '\n<b>Error:</b> No chunks passed the QC step. Imputation cannot be started!';
    messages.push({ message: summary, type: 1 });
    return { qualityControl: messages, failure: summary, liftOver, excludedChunks };
  }
  messages.push({ message: summary, type: 2 });
  return { qualityControl: messages, liftOver, excludedChunks };
}
