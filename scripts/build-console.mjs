// Builds the web console (web/ → web/dist) when web/dist is missing or older than any of its sources:
// `npm start` serves it and the browser tests and the console bench drive it. Run by ensure-installed.mjs
// (before `npm test` / `npm start`) and by test/browser/browser.ts, so the check lives here only.
// Plain JavaScript on purpose: ensure-installed.mjs may run on the machine's older Node.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = ['web/src', 'web/index.html', 'web/vite.config.ts', 'web/public'].map((p) => join(root, p));
const builtIndex = join(root, 'web/dist/index.html');

function newestMtime(path) {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)));
  return newest;
}

if (existsSync(join(root, 'web/index.html'))) {
  const newest = Math.max(...sources.filter((p) => existsSync(p)).map(newestMtime));
  if (!existsSync(builtIndex) || statSync(builtIndex).mtimeMs < newest) {
    console.error('Building the web console (web/ changed or web/dist missing): npm run build:web');
    const result = spawnSync('npm', ['run', '--silent', 'build:web'], {
      cwd: root,
      stdio: 'inherit',
      shell: process.platform === 'win32',
    });
    if (result.status !== 0) {
      console.error('The console build failed; fix the error above, then run `npm run build:web` yourself.');
      process.exit(result.status ?? 1);
    }
  }
}
