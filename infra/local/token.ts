/**
 * `npm run --silent token -- <username>`: prints a JWT for a local user, signed by the local issuer's key
 * under LOCAL_DATA_DIR (the running stack accepts it; it stays valid across restarts for 12 hours).
 */
import { createHash } from 'node:crypto';
import { localIssuer } from './local-stack';

const username = process.argv[2];
if (!username || !/^[A-Za-z0-9._@-]{1,64}$/.test(username)) {
  console.error('usage: npm run --silent token -- <username>   (letters, digits, . _ @ -)');
  process.exit(2);
}
const issuer = localIssuer(process.env.LOCAL_DATA_DIR ?? '.local');
// A stable subject per username, as an IdP would have.
const sub = createHash('sha256').update(`local:${username}`).digest('hex').slice(0, 32);
const now = Math.floor(Date.now() / 1000);
process.stdout.write(
  `${issuer.sign({ iss: issuer.issuer, aud: issuer.audience, sub, preferred_username: username, groups: [], iat: now, nbf: now, exp: now + 12 * 3600 })}\n`,
);
