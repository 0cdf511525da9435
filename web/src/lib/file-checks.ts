/**
 * What New job says about its files' checks — the console's own at pick time (vcf-precheck.ts) and the
 * server's of the whole file once uploaded — and what they mean for the job: a file that cannot be used
 * holds the submit until it is removed, and a build chosen against a file's evidence is said with the
 * server's own advice (`buildProblem`), next to the build and on the file. Also the earlier uploads,
 * each file once. The advice itself is never written here: it comes from shared/vcf/.
 */

import {
  BUILD_LABELS,
  type BuildJudgement,
  buildProblem,
  type GenomeBuild,
} from '../../../shared/vcf/genome-builds';
import type { VcfProblem } from '../../../shared/vcf/vcf-problems';
import type { Upload } from '../api/client';
import { formatFileProblem } from './format';
import type { UploadPhase } from './upload-progress';
import type { Precheck } from './vcf-precheck';

export type PrecheckPassed = Extract<Precheck, { ok: true }>;
export type UploadCheck = NonNullable<Upload['check']>;

/** Where a picked file's own check stands. */
export type PickedCheck =
  | { state: 'checking' }
  | { state: 'refused'; problem: Pick<VcfProblem, 'message' | 'line'> & { code: string } }
  | { state: 'passed'; result: PrecheckPassed };

const count = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

function buildWords(judgement: BuildJudgement): string {
  const says = judgement.evidence.map((e) => e.says).join('; ');
  if (judgement.build) return `looks like ${BUILD_LABELS[judgement.build]} (${says})`;
  if (judgement.conflict) return `its evidence of the build conflicts (${says})`;
  return 'nothing in its header or positions tells its build';
}

/** "30 samples · chromosome 20 · looks like GRCh38/hg38 (…)": what the pick-time check read. */
export function precheckSummary(result: PrecheckPassed): string {
  if (result.samples === null)
    return 'The header goes on past the first MiB: the upload’s check reads the rest.';
  const parts = [count(result.samples, 'sample')];
  if (result.chromosome === null) parts.push('no records read yet');
  else parts.push(`chromosome ${result.chromosome}`, buildWords(result.judgement));
  return parts.join(' · ');
}

/** What the server's check of the whole file says, for a row or the earlier-uploads list. */
export function serverCheckWords(
  check: UploadCheck | null,
): { tone: 'info' | 'ok' | 'danger'; text: string } | null {
  switch (check?.status) {
    case undefined:
      return null;
    case 'CHECKING':
      return { tone: 'info', text: 'Checking the whole file…' };
    case 'VALID': {
      const build = check.build ? BUILD_LABELS[check.build] : 'build not evidenced';
      const facts = [
        count(check.samples, 'sample'),
        `chromosome ${check.chromosome}`,
        count(check.variants, 'variant'),
        build,
      ];
      return { tone: 'ok', text: `Whole file checked: ${facts.join(' · ')}` };
    }
    case 'INVALID':
      return { tone: 'danger', text: formatFileProblem(check) };
    case 'UNCHECKED':
      return { tone: 'info', text: `Not checked yet (${check.reason}): a job checks the file itself.` };
  }
}

/** The build advice for a file of these facts in a job of `build`, or null when they agree. */
export function buildAdvice(result: PrecheckPassed, build: string): string | null {
  if (!(build in BUILD_LABELS)) return null;
  return buildProblem(result.facts, build as GenomeBuild, result.judgement)?.message ?? null;
}

/**
 * The researcher's earlier uploads, each file once: the same name and size (and, when both were
 * checked VALID, the same samples, chromosome and variants) is the same file uploaded again; the
 * newest stands for it, unless an older one is already chosen for the job. A file picked on this page
 * (same name and size) is not offered again: a job takes each file once.
 */
export function distinctUploads(
  uploads: readonly Upload[],
  chosen: readonly string[],
  pickedHere: readonly Pick<FileRow, 'fileName' | 'size' | 'uploadId'>[] = [],
): Upload[] {
  const kept: Upload[] = [];
  const newestFirst = [...uploads].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  for (const upload of newestFirst) {
    const here = pickedHere.some(
      (row) =>
        row.uploadId === upload.uploadId || (row.fileName === upload.fileName && row.size === upload.size),
    );
    if (here && !chosen.includes(upload.uploadId)) continue;
    const twin = kept.findIndex((other) => sameFile(other, upload));
    if (twin === -1) kept.push(upload);
    else if (chosen.includes(upload.uploadId) && !chosen.includes(kept[twin]!.uploadId)) kept[twin] = upload;
  }
  return kept;
}

function sameFile(a: Upload, b: Upload): boolean {
  if (a.fileName !== b.fileName || a.size !== b.size) return false;
  if (a.check?.status !== 'VALID' || b.check?.status !== 'VALID') return true;
  return (
    a.check.samples === b.check.samples &&
    a.check.chromosome === b.check.chromosome &&
    a.check.variants === b.check.variants
  );
}

/** A row of New job's files, as far as the job is concerned. */
export interface FileRow {
  key: string;
  fileName: string;
  size: number;
  check: PickedCheck;
  /** The upload's phase; null until the file's own check passed. */
  phase: UploadPhase | null;
  uploadId: string | null;
  serverCheck: UploadCheck | null;
}

export interface JobFiles {
  /** The uploads the job is made of (from this page; earlier ones are chosen apart). */
  uploadIds: string[];
  /** A file is still being checked or uploaded. */
  busy: boolean;
  /** Files a job cannot use, by name: they hold the submit until removed. */
  unusable: string[];
  /** Each file whose evidence the chosen build contradicts, with the advice. */
  buildAdvice: { key: string; fileName: string; message: string }[];
}

const settledPhases: ReadonlySet<UploadPhase> = new Set(['done', 'failed', 'canceled']);

export function jobFiles(
  rows: readonly FileRow[],
  chosenEarlier: readonly Upload[],
  build: string | null,
): JobFiles {
  const live = rows.filter((row) => row.phase !== 'failed' && row.phase !== 'canceled');
  const unusable = [
    ...live.filter((row) => row.check.state === 'refused' || row.serverCheck?.status === 'INVALID'),
    ...chosenEarlier.filter((upload) => upload.check?.status === 'INVALID'),
  ].map((file) => file.fileName);
  const buildAdvices = live.flatMap((row) => {
    const message = row.check.state === 'passed' && build ? buildAdvice(row.check.result, build) : null;
    return message ? [{ key: row.key, fileName: row.fileName, message }] : [];
  });
  return {
    uploadIds: live.flatMap((row) => (row.phase === 'done' && row.uploadId ? [row.uploadId] : [])),
    busy: live.some(
      (row) =>
        row.check.state === 'checking' ||
        (row.check.state === 'passed' && !settledPhases.has(row.phase ?? 'preparing')),
    ),
    unusable,
    buildAdvice: buildAdvices,
  };
}
