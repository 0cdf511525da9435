/**
 * `npm run --silent service-token -- <username> [service]`: creates a user at the running local stack's
 * simulator of that service (michigan, topmed or h3africa; Michigan's by default) and prints its API
 * token — what a researcher would copy from the service's profile page. The simulators are those the
 * stack wrote to `<data>/endpoints.json`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalEndpoints } from './local-environment';

const [username, service = 'michigan'] = process.argv.slice(2);
if (!username) {
  console.error(
    'usage: npm run --silent service-token -- <username> [michigan|topmed|h3africa]   (needs the local stack running: npm start)',
  );
  process.exit(2);
}
const dataDir = process.env.LOCAL_DATA_DIR ?? '.local';
let endpoints: Partial<LocalEndpoints>;
try {
  endpoints = JSON.parse(readFileSync(join(dataDir, 'endpoints.json'), 'utf8')) as Partial<LocalEndpoints>;
} catch {
  console.error(
    `No running local stack found (${join(dataDir, 'endpoints.json')} is missing): run npm start first.`,
  );
  process.exit(1);
}
// A stack from before one simulator per service wrote `simulator` only.
const simulators: Record<string, string | undefined> = endpoints.simulators ?? {
  michigan: endpoints.simulator,
};
const simulator = simulators[service];
if (!simulator) {
  console.error(
    `No simulator for ${service}: the local stack simulates ${Object.keys(simulators).join(', ')}.`,
  );
  process.exit(2);
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
