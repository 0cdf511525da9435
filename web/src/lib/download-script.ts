/**
 * The bash script the job page offers for fetching every result file at once: curl each presigned URL,
 * then check every file's SHA-256 against the one we computed while copying it. Names are quoted for the
 * shell and reduced to a safe file name (a result name may contain a folder).
 */
export interface ScriptFile {
  name: string;
  url: string;
  sha256: string;
}

const shellQuote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/** The local file name: folders flattened to `_`, anything outside [A-Za-z0-9._-] replaced by `_`. */
export function localFileName(name: string): string {
  const flat = name.replace(/[\\/]+/g, '_').replace(/[^A-Za-z0-9._-]/g, '_');
  return flat.replace(/^\.+/, '_') || 'result';
}

export function downloadScript(jobName: string, files: readonly ScriptFile[], expiresAt?: string): string {
  const lines = ['#!/usr/bin/env bash', `# Results of job ${jobName.replace(/[\r\n]/g, ' ')}`];
  if (expiresAt)
    lines.push(`# The links stop working at ${expiresAt}; copy a fresh script from the job page then.`);
  lines.push('set -euo pipefail', '');
  for (const file of files) {
    lines.push(`curl -fsSL --retry 3 -o ${shellQuote(localFileName(file.name))} ${shellQuote(file.url)}`);
  }
  lines.push('', 'sha256sum -c - <<EOF');
  for (const file of files) lines.push(`${file.sha256.toLowerCase()}  ${localFileName(file.name)}`);
  lines.push('EOF', '');
  return lines.join('\n');
}
