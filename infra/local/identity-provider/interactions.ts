/**
 * The provider's interactions: where oidc-provider sends the browser when it needs a user (`login`) or
 * their consent (`consent`). Login is the page of pages.ts; consent is given at once, since the console
 * is the platform's own (first-party) client, as Cognito's hosted UI never asks either. Cancelling
 * returns `access_denied` to the console. A stale page (the interaction cookie expired, or the stack was
 * restarted: interactions live in memory) says to start signing in again from the console.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { errors, type Interaction, type Provider } from 'oidc-provider';
import { isLocalUsername, LOCAL_USERNAME_RULE } from '../local-users';
import { loginPage, messagePage } from './pages';

const MAX_FORM_BYTES = 4096;

export interface InteractionOptions {
  provider: Provider;
  /** Signs a user in: returns the account id (the user's `sub`) the provider then issues tokens for. */
  signIn(username: string): string;
  /** Headers of every page (the CSP, …). */
  headers: Record<string, string>;
}

/** Handles `/interaction/<uid>[/login|/abort]`; answers false for any other path. */
export function interactionHandler(options: InteractionOptions) {
  const { provider } = options;

  const send = (response: ServerResponse, status: number, html: string) => {
    response.writeHead(status, {
      ...options.headers,
      'Content-Type': 'text/html; charset=utf-8',
      'Content-Length': Buffer.byteLength(html),
      'Cache-Control': 'no-store',
    });
    response.end(html);
  };

  async function details(request: IncomingMessage, response: ServerResponse, uid: string) {
    try {
      const interaction = await provider.interactionDetails(request, response);
      return interaction.uid === uid ? interaction : undefined;
    } catch (error) {
      if (error instanceof errors.SessionNotFound) return undefined;
      throw error;
    }
  }

  async function consent(request: IncomingMessage, response: ServerResponse, interaction: Interaction) {
    const accountId = interaction.session?.accountId;
    const clientId = interaction.params.client_id;
    if (!accountId || !clientId) throw new Error('a consent interaction without a session or client');
    const grant =
      (interaction.grantId ? await provider.Grant.find(interaction.grantId) : undefined) ??
      new provider.Grant({ accountId, clientId });
    const { missingOIDCScope, missingOIDCClaims } = interaction.prompt.details;
    if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '));
    if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims);
    const grantId = await grant.save();
    await provider.interactionFinished(
      request,
      response,
      { consent: interaction.grantId ? {} : { grantId } },
      { mergeWithLastSubmission: true },
    );
  }

  return async function handle(request: IncomingMessage, response: ServerResponse): Promise<boolean> {
    const match = /^\/interaction\/([\w-]+)(\/login|\/abort)?$/.exec(request.url?.split('?')[0] ?? '');
    if (!match) return false;
    const [, uid = '', action] = match;
    const method = request.method ?? 'GET';
    if ((action ? 'POST' : 'GET') !== method) {
      response.writeHead(405, { ...options.headers, Allow: action ? 'POST' : 'GET' }).end();
      return true;
    }
    const interaction = await details(request, response, uid);
    if (!interaction) {
      send(
        response,
        400,
        messagePage('This sign-in has expired', [
          'Sign-in pages are valid for ten minutes, and a restart of npm start forgets them.',
          'Go back to the console and sign in again.',
        ]),
      );
      return true;
    }

    if (!action) {
      if (interaction.prompt.name === 'consent') await consent(request, response, interaction);
      else send(response, 200, loginPage({ uid, username: loginHint(interaction) }));
      return true;
    }
    if (action === '/abort') {
      await provider.interactionFinished(
        request,
        response,
        { error: 'access_denied', error_description: 'The user canceled signing in' },
        { mergeWithLastSubmission: false },
      );
      return true;
    }
    const form = await readForm(request);
    const username = form?.get('username')?.trim() ?? '';
    if (!isLocalUsername(username)) {
      const error = username
        ? `“${username.slice(0, 80)}” is not a valid username: ${LOCAL_USERNAME_RULE}.`
        : 'Type a username, or pick a local user.';
      send(response, 400, loginPage({ uid, username: username.slice(0, 64), error }));
      return true;
    }
    await provider.interactionFinished(
      request,
      response,
      { login: { accountId: options.signIn(username) } },
      { mergeWithLastSubmission: false },
    );
    return true;
  };
}

function loginHint(interaction: Interaction): string | undefined {
  const hint = interaction.params.login_hint;
  return hint && isLocalUsername(hint) ? hint : undefined;
}

/** An `application/x-www-form-urlencoded` body of at most MAX_FORM_BYTES, else undefined. */
async function readForm(request: IncomingMessage): Promise<URLSearchParams | undefined> {
  if (!request.headers['content-type']?.startsWith('application/x-www-form-urlencoded')) return undefined;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_FORM_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}
