// Runs before `npm test` / `npm start`: on a fresh clone, installs the dependencies (and with them the
// Node 22 binary the npm scripts use) so the first command a newcomer types just works.
// Plain JavaScript on purpose: it may run on the machine's older Node before Node 22 is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';

const marker = 'node_modules/.package-lock.json';
const needed = ['node_modules/.bin/node', 'node_modules/.bin/vitest', 'node_modules/.bin/tsx'];
const stale = existsSync(marker) && statSync('package-lock.json').mtimeMs > statSync(marker).mtimeMs + 1000;

if (needed.some((file) => !existsSync(file)) || stale) {
  console.error('Installing dependencies (first run or package-lock.json changed): npm install');
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
    stdio: 'inherit',
    shell: process.platform === 'win32',
  });
  if (result.status !== 0) {
    console.error('npm install failed; fix the error above, then run `npm install` yourself.');
    process.exit(result.status ?? 1);
  }
}

// Then the console (web/dist), when it is missing or older than its sources.
await import('./build-console.mjs');
