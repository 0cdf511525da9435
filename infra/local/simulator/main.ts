/**
 * `npm run simulator` (or `PORT=8090 tsx infra/local/simulator/main.ts`): a Cloudgene simulator on its own,
 * for trying the client or the gateway against it by hand. Settings come from the environment so the
 * same command works in scripts; users can be created up front (USERS) or later through the admin API.
 */

import { type JobScenarioName, startCloudgeneSimulator } from './cloudgene-simulator';
import { SIMULATOR_PRESETS, type SimulatorPresetName } from './fixtures';

const env = process.env;
const number = (name: string): number | undefined => {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isFinite(parsed)) throw new Error(`${name} must be a number, not ${value}`);
  return parsed;
};
const preset = (env.PRESET ?? 'michigan') as SimulatorPresetName;
if (!(preset in SIMULATOR_PRESETS)) {
  console.error(`PRESET must be one of ${Object.keys(SIMULATOR_PRESETS).join(', ')}`);
  process.exit(2);
}
const scenarios: JobScenarioName[] = ['success', 'fail', 'slow-queue', 'dead', 'manual'];
const scenario = (env.SCENARIO ?? 'success') as JobScenarioName;
if (!scenarios.includes(scenario)) {
  console.error(`SCENARIO must be one of ${scenarios.join(', ')}`);
  process.exit(2);
}

const sim = await startCloudgeneSimulator({
  port: number('PORT') ?? 0,
  host: env.HOST ?? '127.0.0.1',
  preset,
  scenario,
  timing: {
    queueMs: number('QUEUE_MS') ?? 2000,
    runMs: number('RUN_MS') ?? 6000,
    exportMs: number('EXPORT_MS') ?? 1000,
  },
  concurrencyLimit: number('CONCURRENCY_LIMIT'),
  maxDownloadsPerFile: number('MAX_DOWNLOADS'),
  stateFile: env.STATE_FILE || undefined,
});

// USERS=alice,bob:my-fixed-token — a fixed token keeps scripts working across restarts.
const users = (env.USERS ?? '')
  .split(',')
  .map((entry) => entry.trim())
  .filter(Boolean)
  .map((entry) => {
    const [username, token] = entry.split(':');
    return { username: username!, token: sim.addUser({ username: username!, token: token || undefined }) };
  });

if (env.OUTPUT === 'json') {
  console.log(JSON.stringify({ url: sim.url, preset, users }));
} else {
  console.log(`Cloudgene simulator (${preset}, scenario ${scenario}) at ${sim.url}`);
  for (const user of users) console.log(`  user ${user.username}  X-Auth-Token: ${user.token}`);
  console.log(`  new users: curl -X POST ${sim.url}/__admin/users -d '{"username":"alice"}'`);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.close().then(() => process.exit(0));
  });
}
