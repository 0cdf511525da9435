/**
 * The local identity provider's own pages — sign in, sign out, errors — as plain server-rendered HTML:
 * no external assets, one inline style and one inline script allowed by their hashes in a CSP of their
 * own (no 'unsafe-inline'), labelled controls and real buttons, so they work with a keyboard and a
 * screen reader and a browser test can drive them by role and name.
 */
import { createHash } from 'node:crypto';
import { LOCAL_USERNAME_RULE, LOCAL_USERS } from '../local-users';

const STYLE = [
  'body{font-family:system-ui,sans-serif;line-height:1.5;margin:0;background:#f4f5f7;color:#1b1f24}',
  'main{max-width:26rem;margin:3rem auto;padding:1.5rem 2rem;background:#fff;border:1px solid #c9ced6;border-radius:.5rem}',
  'h1{font-size:1.4rem;margin-top:0}fieldset{border:0;padding:0;margin:0 0 1.5rem}legend{font-weight:600;margin-bottom:.5rem}',
  'label{display:block;font-weight:600}input{font:inherit;width:100%;box-sizing:border-box;padding:.4rem;border:1px solid #6b7280;border-radius:.25rem}',
  'button{font:inherit;padding:.45rem 1rem;margin:.25rem .5rem .25rem 0;border:1px solid #1d4ed8;border-radius:.25rem;background:#1d4ed8;color:#fff;cursor:pointer}',
  'button.secondary{background:#fff;color:#1d4ed8}:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}',
  '.hint{color:#4b5563;font-size:.9rem;margin:.25rem 0 .75rem}.error{color:#b91c1c;font-weight:600}code{font-size:.95em}',
].join('');

/** Clicks "Sign out" on the sign-out page the console asked for (its id_token_hint proved who asked). */
const AUTO_SIGN_OUT = "document.getElementById('sign-out').click();";

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;

/**
 * The CSP of every response of the provider. Forms post to the provider, which then redirects to the
 * console (Chrome checks form-action along the redirect chain, hence the console's origin). oidc-provider
 * adds the hash of its own form_post script to script-src when it renders one.
 */
export function identityProviderContentSecurityPolicy(consoleOrigin: string): string {
  return [
    "default-src 'none'",
    `style-src ${sha256(STYLE)}`,
    `script-src ${sha256(AUTO_SIGN_OUT)}`,
    `form-action 'self' ${consoleOrigin}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
  ].join('; ');
}

export function escapeHtml(value: string): string {
  return value.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

function layout(title: string, body: string, script = ''): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · local identity provider</title>
<style>${STYLE}</style>
</head>
<body>
<main>
${body}
</main>${script ? `\n<script>${script}</script>` : ''}
</body>
</html>
`;
}

/** The sign-in page: a button per local user, or any username typed in; no password. */
export function loginPage(options: { uid: string; username?: string; error?: string }): string {
  const action = `/interaction/${encodeURIComponent(options.uid)}`;
  const users = LOCAL_USERS.map(
    (user) =>
      `<button type="submit" name="username" value="${escapeHtml(user.username)}">${escapeHtml(user.username)}</button>`,
  ).join('\n');
  const invalid = options.error
    ? ' aria-invalid="true" aria-describedby="username-error username-hint"'
    : ' aria-describedby="username-hint"';
  const error = options.error
    ? `<p id="username-error" class="error" role="alert">${escapeHtml(options.error)}</p>\n`
    : '';
  return layout(
    'Sign in',
    `<h1>Sign in to the imputation gateway</h1>
<p>This is the local identity provider of <code>npm start</code>: there are no passwords. Pick a user, or type any username.</p>
<form method="post" action="${action}/login">
<fieldset>
<legend>Local users</legend>
${users}
</fieldset>
</form>
<form method="post" action="${action}/login">
${error}<label for="username">Username</label>
<p id="username-hint" class="hint">${escapeHtml(LOCAL_USERNAME_RULE)}</p>
<input id="username" name="username" autocomplete="username" required maxlength="64" value="${escapeHtml(options.username ?? '')}"${invalid}>
<p><button type="submit">Sign in</button></p>
</form>
<form method="post" action="${action}/abort">
<button type="submit" class="secondary">Cancel</button>
</form>`,
  );
}

/**
 * The sign-out page around oidc-provider's form (which carries its anti-forgery value). Asked for by the
 * console it submits itself, as Cognito's logout does not ask; otherwise it asks.
 */
export function logoutPage(form: string, automatic: boolean): string {
  return layout(
    'Sign out',
    `<h1>Sign out of the imputation gateway?</h1>
${form}
<button type="submit" form="op.logoutForm" id="sign-out" name="logout" value="yes">Sign out</button>
<button type="submit" form="op.logoutForm" class="secondary">Stay signed in</button>`,
    automatic ? AUTO_SIGN_OUT : '',
  );
}

/** A page that says what happened and what to do next (signed out, an expired sign-in, an error). */
export function messagePage(title: string, paragraphs: string[]): string {
  return layout(
    title,
    `<h1>${escapeHtml(title)}</h1>\n${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}`,
  );
}
