/**
 * `npm run --silent token -- <username>`: prints a JWT for a local user, signed with the local issuer's key
 * under LOCAL_DATA_DIR, valid for 12 hours — what the console gets from the local OIDC provider, without a
 * browser: the same `sub`, username and groups (local-users.ts). Its `iss` is the provider's URL of the
 * stack that last ran with that folder (`<data>/endpoints.json`), else that of the default IDP_PORT; it
 * stays valid across restarts as long as IDP_PORT stays the same.
 */

import { localIssuer } from './local-environment';
import { isLocalUsername, LOCAL_USERNAME_RULE, localUser } from './local-users';

const username = process.argv[2] ?? '';
if (!isLocalUsername(username)) {
  console.error(`usage: npm run --silent token -- <username>   (${LOCAL_USERNAME_RULE})`);
  process.exit(2);
}
const issuer = localIssuer(process.env.LOCAL_DATA_DIR ?? '.local');
const user = localUser(username);
const now = Math.floor(Date.now() / 1000);
process.stdout.write(
  `${issuer.sign({ iss: issuer.issuer, aud: issuer.audience, sub: user.sub, preferred_username: user.username, groups: user.groups, iat: now, nbf: now, exp: now + 12 * 3600 })}\n`,
);
