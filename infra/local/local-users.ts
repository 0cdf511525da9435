/**
 * Who a local user is, in one place for both ways the local stack signs people in: `npm run token` (a JWT
 * on the command line) and the local OIDC provider's sign-in page (the console). A username becomes the
 * same stable subject in both, as one IdP account would, so a job created with a token from the command
 * line shows in the console for the same username. No passwords: this is for one machine.
 */
import { createHash } from 'node:crypto';

/** Letters, digits and `. _ @ -`, 1–64 characters (what both sign-in paths accept). */
export const LOCAL_USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;
export const LOCAL_USERNAME_RULE = 'letters, digits, . _ @ -; at most 64 characters';

/** The users the sign-in page offers as buttons; any other valid username works too (no groups). */
export const LOCAL_USERS: readonly { username: string; groups: readonly string[] }[] = [
  { username: 'alice', groups: ['admins'] },
  { username: 'bob', groups: [] },
  { username: 'carol', groups: [] },
];

export interface LocalUser {
  /** sha256('local:' + username), first 32 hex digits. */
  sub: string;
  username: string;
  groups: string[];
}

export function isLocalUsername(value: string): boolean {
  return LOCAL_USERNAME_PATTERN.test(value);
}

/** The stable subject of a local username, as an IdP keeps one per account. */
export function localSubject(username: string): string {
  return createHash('sha256').update(`local:${username}`).digest('hex').slice(0, 32);
}

/** The identity of a local username; throws for one that does not match LOCAL_USERNAME_PATTERN. */
export function localUser(username: string): LocalUser {
  if (!isLocalUsername(username)) throw new Error(`not a local username (${LOCAL_USERNAME_RULE})`);
  const known = LOCAL_USERS.find((user) => user.username === username);
  return { sub: localSubject(username), username, groups: [...(known?.groups ?? [])] };
}
