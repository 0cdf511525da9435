/**
 * The download script of the job page (web/src/lib/download-script.ts) never saves two results under one
 * local name, nor anywhere but the directory it runs in, whatever the service named them.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { downloadScript, localFileName, localFileNames } from '../../../web/src/lib/download-script';

const sources = mkdtempSync(join(tmpdir(), 'download-script-src-'));
let served = 0;
/** A result served from its own file (file:// URL), with its content's SHA-256. */
function result(name: string, text = `the bytes of ${name}`) {
  served += 1;
  const path = join(sources, `file-${served}`);
  writeFileSync(path, text);
  return { name, url: pathToFileURL(path).href, sha256: createHash('sha256').update(text).digest('hex') };
}

/** Runs the script in a fresh directory `out` inside a fresh `parent`. */
function run(script: string) {
  const parent = mkdtempSync(join(tmpdir(), 'download-script-'));
  const out = join(parent, 'out');
  mkdirSync(out);
  const outcome = spawnSync('bash', ['-c', script], { cwd: out, encoding: 'utf8' });
  return { ...outcome, out, parent };
}

const COLLIDING = [
  'qc/report.txt',
  'qc_report.txt',
  'qc report.txt',
  'QC_REPORT.TXT',
  'qc_report-2.txt',
  '../qc_report.txt',
  'chr_20.dose.vcf.gz',
  'local/chr_20.dose.vcf.gz',
];

describe('local names in the download script', () => {
  it('are all different, also ignoring case, for names that reduce to the same file', () => {
    const names = localFileNames(COLLIDING);
    expect(new Set(names.map((name) => name.toLowerCase())).size).toBe(COLLIDING.length);
    expect(names).toEqual([
      'qc_report.txt',
      'qc_report-3.txt',
      'qc_report-4.txt',
      'QC_REPORT-5.TXT',
      'qc_report-2.txt',
      '___qc_report.txt',
      'chr_20.dose.vcf.gz',
      'local_chr_20.dose.vcf.gz',
    ]);
  });

  it('keep a file its own safe name when nothing else reduces to it', () => {
    expect(localFileNames(['chr_20.zip', 'chr_21.zip', 'qc/report.txt'])).toEqual([
      'chr_20.zip',
      'chr_21.zip',
      'qc_report.txt',
    ]);
  });

  it.each([
    ['..', 'result'],
    ['../../etc/passwd', '___.._etc_passwd'],
    ['.bashrc', '_bashrc'],
    ['-rf', '_rf'],
    ['--output=x', '__output_x'],
    ['a\nb', 'a_b'],
    ['', 'result'],
  ])('are safe: %j → %j', (name, expected) => {
    expect(localFileName(name)).toBe(expected);
  });

  it('fetch every file under its own name, in the script’s directory only, each checked', () => {
    const files = COLLIDING.map((name) => result(name));
    const outcome = run(downloadScript('a job', files));
    expect(outcome.stderr).toBe('');
    expect(outcome.status).toBe(0);
    const saved = readdirSync(outcome.out).sort();
    expect(saved).toEqual([...localFileNames(COLLIDING)].sort());
    // Each file holds its own bytes: nothing was overwritten by a file of the same local name.
    localFileNames(COLLIDING).forEach((local, index) => {
      expect(readFileSync(join(outcome.out, local), 'utf8')).toBe(`the bytes of ${COLLIDING[index]}`);
    });
    expect(outcome.stdout.trim().split('\n')).toHaveLength(COLLIDING.length);
    expect(outcome.stdout).not.toMatch(/FAILED/);
    // Nothing written beside the directory it ran in.
    expect(readdirSync(outcome.parent)).toEqual(['out']);
  });

  it('say which result each renamed file holds', () => {
    const script = downloadScript('job', [result('qc/report.txt'), result('qc_report.txt')]);
    expect(script).toContain('# qc/report.txt → qc_report.txt');
    expect(script).toContain("-o 'qc_report-2.txt'");
  });
});
