/**
 * The Node binary every measured process runs on: the Node 22 that `npm install` puts in node_modules
 * (the Lambda runtime is nodejs22.x), whatever Node launched the bench. Never `process.execPath`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const CANDIDATES = ['node_modules/node/bin/node', 'node_modules/.bin/node'].map((p) => resolve(ROOT, p));

let found: { path: string; version: string } | undefined;

export function node22(): { path: string; version: string } {
  if (found) return found;
  for (const path of CANDIDATES) {
    if (!existsSync(path)) continue;
    const version = execFileSync(path, ['--version'], { encoding: 'utf8' }).trim();
    if (!version.startsWith('v22.')) {
      throw new Error(`${path} is Node ${version}, not 22; run npm install`);
    }
    found = { path, version };
    return found;
  }
  throw new Error(`No Node 22 in ${CANDIDATES.join(' or ')}; run npm install first`);
}
