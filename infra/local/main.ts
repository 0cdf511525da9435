/**
 * `npm start`: runs the local stack in the foreground, prints where everything is and a walkthrough,
 * stops cleanly on Ctrl-C, and explains a busy port or a bad setting instead of printing a stack trace.
 */
import { ConfigError } from '#shared/settings';
import { PortInUseError, startLocalStack } from './local-stack';

try {
  const started = Date.now();
  const stack = await startLocalStack();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`
Imputation gateway (local) is up in ${seconds} s — data in ${stack.settings.LOCAL_DATA_DIR}/

  API            ${stack.url}            (health: ${stack.url}/health)
  Token issuer   ${stack.issuer.issuer}  (JWKS: ${stack.url}/local-idp/.well-known/jwks.json)
  Cloudgene sim  ${stack.simulator.url}     (michigan, topmed, h3africa point here)

Walkthrough (README "Quickstart" has every step):
  TOKEN=$(npm run --silent token -- alice)
  SIM_TOKEN=$(npm run --silent service-token -- alice)
  curl -s -X PUT ${stack.url}/me/credentials/michigan -H "Authorization: Bearer $TOKEN" \\
       -H 'Content-Type: application/json' -d "{\\"token\\":\\"$SIM_TOKEN\\"}"

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
