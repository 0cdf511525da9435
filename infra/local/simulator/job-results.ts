/**
 * A job's own result files, made from what it submitted when it is accepted: one `chr_N.zip` per
 * chromosome (its dose VCF and info file, bgzipped, encrypted with the job's password), the QC files and
 * the admin-only log — the listing of the real services. Made once and kept (in memory, and next to the
 * state file when there is one) because an encrypted zip never comes out the same twice: every download
 * of a job's file, before or after a restart, is the same bytes, and `expectedResult` hashes them.
 * `quality-control.html` is served through a redirect, as a reminder that any file may be.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { bgzip } from './bgzf';
import type { CloudgeneSimulator } from './cloudgene-simulator';
import { findPanel, type PanelDefinition, panelBuild, panelName } from './fixtures';
import { imputeChromosome } from './imputed-vcf';
import { jobLog, qualityControlFiles } from './qc-files';
import { encryptedZip } from './result-zip';
import { bareChromosome, chunkOf } from './site-qc';
import { inReadingOrder, jobSettings } from './submission-report';
import type { CapturedSite, SimulatedJob } from './types';

export interface GeneratedFile {
  name: string;
  content: Buffer;
  param?: string;
  redirect?: boolean;
}

/** The input's chromosomes in reading order, each with its samples and the sites QC let through. */
function chromosomesOf(
  job: SimulatedJob,
): { chromosome: string; samples: string[]; sites: CapturedSite[] }[] {
  const excluded = new Set(job.report?.excludedChunks.map((c) => `${c.chromosome}:${c.chunk}`));
  const groups = new Map<string, { samples: string[]; sites: Map<number, CapturedSite> }>();
  for (const file of inReadingOrder(job.input ?? [])) {
    const chromosome = bareChromosome(file.chromosome ?? '');
    const group = groups.get(chromosome) ?? { samples: file.samples, sites: new Map() };
    for (const site of file.sites) {
      if (!excluded.has(`${chromosome}:${chunkOf(site.position)}`)) group.sites.set(site.position, site);
    }
    groups.set(chromosome, group);
  }
  return [...groups].map(([chromosome, group]) => ({
    chromosome,
    samples: group.samples,
    sites: [...group.sites.values()].sort((a, b) => a.position - b.position),
  }));
}

/**
 * The files a successful job lists; for a job the service fails in QC, the QC report, statistics and log
 * it wrote before failing; none when the service refused its input outright.
 */
export async function generateResults(
  job: SimulatedJob,
  panel: PanelDefinition,
  password: string,
): Promise<GeneratedFile[]> {
  const report = job.report;
  if (!report || (report.failure && report.qualityControl.length === 0)) return [];
  const settings = jobSettings(job.fields);
  const files: GeneratedFile[] = [];
  if (settings.mode !== 'qc_only' && !report.failure) {
    for (const { chromosome, samples, sites } of chromosomesOf(job)) {
      if (sites.length === 0) continue;
      const imputed = imputeChromosome({
        chromosome,
        build: panelBuild(panel),
        samples,
        sites,
        minR2: Number(settings.r2Filter) || 0,
        seed: job.id,
        panel: panelName(panel),
        phasing: settings.phasing,
      });
      const zip = await encryptedZip(
        [
          { name: `chr${chromosome}.dose.vcf.gz`, content: bgzip(imputed.dose) },
          { name: `chr${chromosome}.info.gz`, content: bgzip(imputed.info) },
        ],
        { password, aes: 'aesEncryption' in job.fields, modified: new Date(job.submittedAt) },
      );
      files.push({ name: `chr_${chromosome}.zip`, content: zip });
    }
  }
  for (const file of qualityControlFiles(job.name, report, job.input ?? [])) {
    files.push(file.name === 'quality-control.html' ? { ...file, redirect: true } : file);
  }
  files.push({ ...jobLog(job.id, report), param: 'cloudgene_logs' });
  return files;
}

/** Makes and keeps the job's own result files (none for a panel the server lacks, or refused input). */
export async function makeJobResults(sim: CloudgeneSimulator, job: SimulatedJob): Promise<GeneratedFile[]> {
  const panel = findPanel(sim.panels, job.fields.refpanel ?? '');
  const files = panel ? await generateResults(job, panel, sim.resultPassword(job)) : [];
  await sim.results.keep(job.id, files);
  return files;
}

/**
 * Jobs from the state file get their own files back: as kept next to it, or made again (then a listed
 * file that is no longer made answers as one gone from the workspace).
 */
export async function restoreJobResults(sim: CloudgeneSimulator): Promise<void> {
  let changed = false;
  for (const job of sim.jobs) {
    const own = job.results.filter((r) => r.seed === undefined);
    if (
      own.length === 0 ||
      (await sim.results.load(
        job.id,
        own.map((r) => r.name),
      ))
    )
      continue;
    changed = true;
    const made = new Map((await makeJobResults(sim, job)).map((f) => [f.name, f.content]));
    for (const file of own) {
      const content = made.get(file.name);
      if (content) file.size = content.length;
      else file.unavailable = 'File not found in workspace.';
    }
  }
  if (changed) sim.state.persist();
}

/** The contents of every job's own result files, by job id and file name. */
export class ResultStore {
  private readonly contents = new Map<string, Map<string, Buffer>>();

  /** @param directory where the files are kept across restarts (`<dir>/<job id>/<name>`); memory only without */
  constructor(private readonly directory?: string) {}

  content(jobId: string, name: string): Buffer | undefined {
    return this.contents.get(jobId)?.get(name);
  }

  async keep(jobId: string, files: readonly GeneratedFile[]): Promise<void> {
    this.contents.set(jobId, new Map(files.map((f) => [f.name, f.content])));
    const directory = this.directory;
    if (!directory) return;
    for (const file of files) {
      const path = join(directory, jobId, file.name);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, file.content);
    }
  }

  /** Reads a job's kept files back; false when one is missing (then they must be made again). */
  async load(jobId: string, names: readonly string[]): Promise<boolean> {
    const directory = this.directory;
    if (!directory) return false;
    const loaded = new Map<string, Buffer>();
    for (const name of names) {
      const content = await readFile(join(directory, jobId, name)).catch(() => undefined);
      if (!content) return false;
      loaded.set(name, content);
    }
    this.contents.set(jobId, loaded);
    return true;
  }
}
