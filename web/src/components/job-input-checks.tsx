/**
 * What our checks found in a job's input files, at the top of its page: samples, chromosomes, variants,
 * and the build the files' own evidence shows beside the build the job declares — so a researcher sees
 * what will be imputed before reading any timeline, and a build the files do not confirm is said so.
 */
import { BUILD_LABELS } from '../../../shared/vcf/genome-builds';
import type { Job } from '../api/client';

export function inputChecksSentence(job: Job): string | null {
  const checks = job.inputChecks;
  if (!checks) return null;
  const chromosomes =
    checks.chromosomes.length === 1
      ? `chromosome ${checks.chromosomes[0]}`
      : `${checks.chromosomes.length} chromosomes (${checks.chromosomes.join(', ')})`;
  return `${checks.samples.toLocaleString('en-US')} samples · ${chromosomes} · ${checks.variants.toLocaleString('en-US')} variants`;
}

export function JobInputChecks({ job }: { job: Job }) {
  const checks = job.inputChecks;
  const sentence = inputChecksSentence(job);
  if (!checks || !sentence) return null;
  return (
    <section className="input-checks" aria-labelledby="input-checks-title">
      <h2 id="input-checks-title">What our checks found in the input</h2>
      <p>{sentence}</p>
      <p>
        {checks.build
          ? `Build of the data: ${BUILD_LABELS[checks.build]}, by the files' own evidence (${checks.buildEvidence.join('; ')}).`
          : `Build of the data: ${job.labels.build} as chosen for the job; the files carry no evidence of their build (no ##contig lengths or ##reference), so it could not be confirmed.`}
      </p>
    </section>
  );
}
