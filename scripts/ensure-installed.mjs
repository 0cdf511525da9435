// Runs before `npm test` / `npm start`: on a fresh clone, installs the dependencies (and with them the
// Node 22 binary the npm scripts use) so the first command a newcomer types just works.
// Plain JavaScript on purpose: it may run on the machine's older Node before Node 22 is installed.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

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

// The console (web/) is served by `npm start` and driven by the browser tests of `npm test`: build it when
// web/dist is missing or older than any of its sources. A fresh clone builds it once (a few seconds).
const consoleSources = ['web/src', 'web/index.html', 'web/vite.config.ts', 'web/public'];
const builtIndex = 'web/dist/index.html';
if (existsSync('web/index.html')) {
  const newest = Math.max(...consoleSources.filter(existsSync).map(newestMtime));
  if (!existsSync(builtIndex) || statSync(builtIndex).mtimeMs < newest) {
    console.error('Building the web console (web/ changed or web/dist missing): npm run build:web');
    const result = spawnSync('npm', ['run', '--silent', 'build:web'], {
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    if (result.status !== 0) {
      console.error('The console build failed; fix the error above, then run `npm run build:web` yourself.');
      process.exit(result.status ?? 1);
    }
  }
}

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}
