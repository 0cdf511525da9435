/**
 * The readable result files of a job, written from its submission report so they say what its step
 * messages say: `qc_report.txt` (the Quality Control messages as text), `quality-control.html` (the same,
 * as a page), the `statistics/` files the QC step writes when it has something to list — excluded sites,
 * typed-only sites, excluded chunks, lift-over — and the log the admin-only `cloudgene_logs` lists.
 * File names and column headers are those of imputationserver; the simulator lists at most 1,000 sites.
 */
import { chunkName } from './site-qc';
import type { StepMessage, SubmissionReport, SubmittedVcf } from './types';

export interface ReportFile {
  name: string;
  content: Buffer;
}

/** A step message as text: the services' HTML tags dropped. */
export function plainText(message: string): string {
  return message.replace(/<[^>]+>/g, '').replace(/ +\n/g, '\n');
}

const escapeHtml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

function qualityControlHtml(jobName: string, report: SubmissionReport): string {
  const section = (title: string, messages: StepMessage[]) =>
    `<h2>${title}</h2>\n${messages.map((m) => `<pre>${escapeHtml(plainText(m.message))}</pre>`).join('\n')}`;
  const chunks = report.excludedChunks.map(
    (c) =>
      `<tr><td>${chunkName(c.chromosome, c.chunk)}</td><td>${c.passed}</td><td>${(c.overlap * 100).toFixed(2)}</td></tr>`,
  );
  return [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><title>Quality Control Report: ${escapeHtml(jobName)}</title></head><body>`,
    `<h1>Quality Control Report</h1>\n<p>Job: ${escapeHtml(jobName)}</p>`,
    section('Input Validation', report.validation),
    section('Quality Control', report.qualityControl),
    chunks.length > 0
      ? `<h2>Excluded chunks</h2>\n<table><tr><th>Chunk</th><th>SNPs</th><th>Reference overlap (%)</th></tr>${chunks.join('')}</table>`
      : '',
    '</body></html>',
    '',
  ].join('\n');
}

/** The QC files of a job whose input passed validation. */
export function qualityControlFiles(
  jobName: string,
  report: SubmissionReport,
  files: readonly SubmittedVcf[],
): ReportFile[] {
  const text = (name: string, lines: string[]) => ({
    name,
    content: Buffer.from(lines.length === 0 ? '' : `${lines.join('\n')}\n`),
  });
  const result: ReportFile[] = [
    text('qc_report.txt', [report.qualityControl.map((m) => plainText(m.message)).join('\n\n')]),
    { name: 'quality-control.html', content: Buffer.from(qualityControlHtml(jobName, report)) },
  ];
  if (report.excludedChunks.length > 0) {
    result.push(
      text('statistics/chunks-excluded.txt', [
        '#Chunk\tSNPs (#)\tReference Overlap (%)\tLow Sample Call Rates (#)',
        ...report.excludedChunks.map(
          (c) => `${chunkName(c.chromosome, c.chunk)}\t${c.passed}\t${(c.overlap * 100).toFixed(2)}\t0`,
        ),
      ]),
    );
  }
  // Sites that could not be lifted over: none here, and the service then writes the file empty.
  if (report.liftOver) result.push(text('statistics/lift-over.txt', []));
  const excluded = files.flatMap((f) => f.excludedSites);
  if (excluded.length > 0) {
    result.push(text('statistics/snps-excluded.txt', ['#Position\tFilterType\t Info', ...excluded]));
  }
  const typedOnly = files.flatMap((f) => f.typedOnlySites);
  if (typedOnly.length > 0) result.push(text('statistics/snps-typed-only.txt', typedOnly));
  return result;
}

/** The job's log (`cloudgene_logs`): what its validation and QC steps said. */
export function jobLog(jobId: string, report: SubmissionReport): ReportFile {
  const steps: [string, StepMessage[]][] = [
    ['Input Validation', report.validation],
    ['Quality Control', report.qualityControl],
  ];
  const lines = [`Job ${jobId}`];
  for (const [name, messages] of steps) {
    if (messages.length === 0) continue;
    lines.push('', `== ${name}`, ...messages.map((m) => plainText(m.message)));
  }
  return { name: 'job.txt', content: Buffer.from(`${lines.join('\n')}\n`) };
}
