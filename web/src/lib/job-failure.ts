/**
 * What our own checks found in a job's input files. A job that failed them (INPUT_INVALID) carries one
 * line per invalid file in its error message, `<file name>: <the problem and its fix>`: the page lists
 * them where the service's messages would be, and "start again" leaves those files out.
 */
export interface InputFinding {
  /** The input the line is about; null when the line names none of the job's files. */
  fileName: string | null;
  problem: string;
}

export interface FailedJobLike {
  error: { code: string; message: string } | null;
  inputs: { fileName: string }[];
}

export function inputFindings(job: FailedJobLike): InputFinding[] {
  if (job.error?.code !== 'INPUT_INVALID') return [];
  // Longest names first: "a.vcf.gz" must not claim the line of "a.vcf.gz.1.vcf.gz".
  const names = job.inputs.map((input) => input.fileName).sort((a, b) => b.length - a.length);
  return job.error.message
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const fileName = names.find((name) => line.startsWith(`${name}: `)) ?? null;
      return { fileName, problem: fileName ? line.slice(fileName.length + 2) : line };
    });
}
