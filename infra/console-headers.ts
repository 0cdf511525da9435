/**
 * The security headers of the web console, one definition for both places that serve it: CloudFront's
 * response-headers policy (infra/constructs/console.ts) and the local console server that `npm start` runs
 * (infra/local/console-server.ts). The console loads only its own scripts and styles (no inline code, no
 * eval), talks only to the API, the identity provider and the buckets' presigned URLs, and may not be
 * framed.
 */

export interface ConsoleOrigins {
  /** The API's origin (`https://abc.execute-api.eu-west-1.amazonaws.com`, `http://127.0.0.1:3000`). */
  api: string;
  /** The identity provider's origins: discovery and token endpoints are fetched by the console. */
  identityProvider: readonly string[];
  /** Origins of presigned S3 URLs the console PUTs parts to and downloads results from. */
  buckets: readonly string[];
}

/** The Content-Security-Policy value; `connect-src` lists exactly the origins the console calls. */
export function consoleContentSecurityPolicy(origins: ConsoleOrigins): string {
  const connect = ["'self'", origins.api, ...origins.identityProvider, ...origins.buckets];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "manifest-src 'self'",
    `connect-src ${[...new Set(connect)].join(' ')}`,
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "object-src 'none'",
  ].join('; ');
}

/** Every header besides the CSP, as CloudFront's policy and the local server both send them. */
export const CONSOLE_STATIC_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  /** Two years, subdomains included (ignored by browsers over plain http, as locally). */
  'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
  'Permissions-Policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  'Cross-Origin-Opener-Policy': 'same-origin',
} as const;

/** The HSTS max-age above, in seconds, for CloudFront's typed policy. */
export const CONSOLE_HSTS_SECONDS = 63_072_000;

/**
 * What `config.json` beside the console's `index.html` holds: written at deploy by the stack, and served
 * by the local console server. The console reads it before anything else, so one build serves every
 * deployment.
 */
export interface ConsoleConfig {
  /** The API's base URL, no trailing slash (`https://…/v1`, `http://127.0.0.1:3000`). */
  apiUrl: string;
  oidc: {
    /** The issuer; the console reads `<authority>/.well-known/openid-configuration`. */
    authority: string;
    /** The public client (no secret) registered for the console; the API accepts its ID tokens. */
    clientId: string;
    /** Space-separated scopes, `openid` first. */
    scope: string;
    /**
     * For an issuer whose discovery document has no `end_session_endpoint` (Cognito): its logout URL. The
     * console adds `client_id` and `logout_uri` (its own origin) to it.
     */
    logoutUrl?: string;
  };
  /** Shown in the console's header, e.g. `local` or the stack name. */
  environment: string;
}
