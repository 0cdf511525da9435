/**
 * `npm start`: runs the local stack in the foreground, prints where everything is and a walkthrough,
 * stops cleanly on Ctrl-C, and explains a busy port or a bad setting instead of printing a stack trace.
 */
import { ConfigError } from '#shared/settings';
import { BUILD_COMMAND } from './console-server';
import { PortInUseError, startLocalStack } from './local-stack';

try {
  const started = Date.now();
  const stack = await startLocalStack();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const consoleLine = stack.console.built()
    ? `Open ${stack.console.url} and sign in as alice`
    : `Console not built: run ${BUILD_COMMAND}, then open ${stack.console.url} and sign in as alice`;
  console.log(`
Imputation gateway (local) is up in ${seconds} s — data in ${stack.settings.LOCAL_DATA_DIR}/

  ${consoleLine}

  Identity provider  ${stack.identityProvider.url}   (OIDC issuer; client ${stack.identityProvider.clientId})
  API                ${stack.url}   (health: ${stack.url}/health, OpenAPI: ${stack.url}/openapi.json)
  Cloudgene sims     michigan ${stack.simulators.michigan.url}, topmed ${stack.simulators.topmed.url}, h3africa ${stack.simulators.h3africa.url}

From a terminal (README "Quickstart" has every step):
  TOKEN=$(npm run --silent token -- alice)
  curl -s ${stack.url}/services -H "Authorization: Bearer $TOKEN"

Ctrl-C stops everything.`);
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping…`);
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
} catch (error) {
  if (error instanceof PortInUseError || error instanceof ConfigError) {
    console.error(error.message);
    process.exit(1);
  }
  throw error;
}
