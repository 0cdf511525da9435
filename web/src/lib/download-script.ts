/**
 * The bash script the job page offers for fetching every result file at once: curl each presigned URL,
 * then check every file's SHA-256 against the one we computed while copying it. Names are quoted for the
 * shell and reduced to a safe file name (a result name may contain a folder), and no two results are ever
 * saved under one local name: two names that reduce to the same file (`qc/report.txt` and
 * `qc_report.txt`, or `Report.txt` and `report.txt` on a case-insensitive disk) get a numbered suffix.
 */
export interface ScriptFile {
  name: string;
  url: string;
  sha256: string;
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
/** Longest local name (file systems take 255 bytes; room is left for a numbered suffix). */
const MAX_NAME = 200;

/**
 * The local file name: folders flattened to `_`, anything outside [A-Za-z0-9._-] replaced by `_`, never
 * starting with `.` or `-` (no `..`, no hidden file, nothing a command reads as an option), at most 200
 * characters (the end kept, with the extension).
 */
export function localFileName(name: string): string {
  const flat = name.replace(/[\\/]+/g, '_').replace(/[^A-Za-z0-9._-]/g, '_');
  const safe = flat.replace(/^[.-]+/, (lead) => '_'.repeat(lead.length)).slice(-MAX_NAME);
  return /[A-Za-z0-9]/.test(safe) ? safe.replace(/^[.-]/, '_') : 'result';
}

/** `stem-n.ext`, the suffix before the first dot past the start (`chr_20-2.dose.vcf.gz`). */
function numbered(name: string, n: number): string {
  const dot = name.indexOf('.', 1);
  return dot === -1 ? `${name}-${n}` : `${name.slice(0, dot)}-${n}${name.slice(dot)}`;
}

/**
 * One local name per file, in order, all different even on a case-insensitive file system: a file keeps
 * its safe name unless an earlier file took it (or another file's own safe name is it), else the first
 * free `stem-2.ext`, `stem-3.ext`, ….
 */
export function localFileNames(names: readonly string[]): string[] {
  const safe = names.map(localFileName);
  const key = (name: string) => name.toLowerCase();
  const count = new Map<string, number>();
  for (const name of safe) count.set(key(name), (count.get(key(name)) ?? 0) + 1);
  // A name held by exactly one file is that file's: no suffixed name may take it.
  const used = new Set(safe.filter((name) => count.get(key(name)) === 1).map(key));
  return safe.map((name) => {
    if (count.get(key(name)) === 1) return name;
    if (!used.has(key(name))) {
      used.add(key(name));
      return name;
    }
    let n = 2;
    while (used.has(key(numbered(name, n)))) n += 1;
    used.add(key(numbered(name, n)));
    return numbered(name, n);
  });
}

export function downloadScript(jobName: string, files: readonly ScriptFile[], expiresAt?: string): string {
  const lines = ['#!/usr/bin/env bash', `# Results of job ${jobName.replace(/[\r\n]/g, ' ')}`];
  if (expiresAt)
    lines.push(`# The links stop working at ${expiresAt}; copy a fresh script from the job page then.`);
  lines.push('set -euo pipefail', '');
  const local = localFileNames(files.map((file) => file.name));
  files.forEach((file, index) => {
    if (local[index] !== file.name) {
      lines.push(`# ${file.name.replace(/[\r\n]/g, ' ')} → ${local[index]}`);
    }
    lines.push(`curl -fsSL --retry 3 -o ${shellQuote(local[index]!)} ${shellQuote(file.url)}`);
  });
  lines.push('', 'sha256sum -c - <<EOF');
  files.forEach((file, index) => {
    lines.push(`${file.sha256.toLowerCase()}  ${local[index]}`);
  });
  lines.push('EOF', '');
  return lines.join('\n');
}
