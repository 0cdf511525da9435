/**
 * `npm run --silent service-token -- <username>`: creates a user at the running local Cloudgene simulator
 * and prints its API token — what a researcher would copy from the service's profile page.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const username = process.argv[2];
if (!username) {
  console.error(
    'usage: npm run --silent service-token -- <username>   (needs the local stack running: npm start)',
  );
  process.exit(2);
}
const dataDir = process.env.LOCAL_DATA_DIR ?? '.local';
let simulator: string;
try {
  simulator = (JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as { simulator: string })
    .simulator;
} catch {
  console.error(
    `No running local stack found (${join(dataDir, 'endpoints.json')} is missing): run npm start first.`,
  );
  process.exit(1);
}
const response = await fetch(`${simulator}/__admin/users`, {
  method: 'POST',
  body: JSON.stringify({ username }),
});
if (!response.ok) {
  console.error(`The simulator at ${simulator} answered ${response.status}: is npm start still running?`);
  process.exit(1);
}
process.stdout.write(`${((await response.json()) as { token: string }).token}\n`);
