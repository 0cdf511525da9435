// oidc-provider ships no type definitions: the part of its API the local identity provider uses.
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export interface ClientMetadata {
    client_id: string;
    client_name?: string;
    token_endpoint_auth_method?: string;
    grant_types?: string[];
    response_types?: string[];
    redirect_uris?: string[];
    post_logout_redirect_uris?: string[];
    id_token_signed_response_alg?: string;
  }

  export interface Client {
    clientId: string;
    clientName?: string;
    grantTypeAllowed(grantType: string): boolean;
  }

  /** The Koa context oidc-provider hands to its configuration callbacks. */
  export interface KoaContextWithOIDC {
    type: string;
    status: number;
    body: unknown;
    host: string;
    set(field: string, value: string): void;
    oidc: {
      route?: string;
      client?: Client;
      params?: Record<string, unknown>;
      session?: { accountId?: string };
      entities?: { RotatedRefreshToken?: { remainingTTL: number } };
    };
  }

  export interface Account {
    accountId: string;
    claims(use: string, scope: string): Promise<Record<string, unknown>> | Record<string, unknown>;
  }

  export interface Interaction {
    uid: string;
    prompt: {
      name: 'login' | 'consent' | string;
      reasons: string[];
      details: { missingOIDCScope?: string[]; missingOIDCClaims?: string[] };
    };
    params: Record<string, string | undefined>;
    session?: { accountId: string };
    grantId?: string;
  }

  export interface Grant {
    addOIDCScope(scope: string): void;
    addOIDCClaims(claims: string[]): void;
    save(): Promise<string>;
  }

  /** Every option is oidc-provider's own; see its documentation (docs/README.md of v9). */
  export interface Configuration {
    adapter?: (model: string) => unknown;
    clients?: ClientMetadata[];
    jwks?: { keys: Record<string, unknown>[] };
    cookies?: { keys?: (string | Buffer)[]; long?: Record<string, unknown>; short?: Record<string, unknown> };
    claims?: Record<string, string[] | null>;
    scopes?: string[];
    responseTypes?: string[];
    clientAuthMethods?: string[];
    conformIdTokenClaims?: boolean;
    pkce?: { required: (ctx: KoaContextWithOIDC, client: Client) => boolean };
    ttl?: Record<string, number | ((ctx: KoaContextWithOIDC, token: unknown, client: Client) => number)>;
    features?: Record<string, Record<string, unknown>>;
    interactions?: { url: (ctx: KoaContextWithOIDC, interaction: Interaction) => string | Promise<string> };
    findAccount?: (ctx: KoaContextWithOIDC, id: string) => Promise<Account | undefined>;
    clientBasedCORS?: (ctx: KoaContextWithOIDC, origin: string, client: Client) => boolean;
    issueRefreshToken?: (ctx: KoaContextWithOIDC, client: Client) => boolean | Promise<boolean>;
    renderError?: (ctx: KoaContextWithOIDC, out: Record<string, string>, error: Error) => Promise<void>;
    enabledJWA?: Record<string, string[]>;
  }

  export class Provider {
    constructor(issuer: string, configuration: Configuration);
    readonly issuer: string;
    callback(): (request: IncomingMessage, response: ServerResponse) => void;
    interactionDetails(request: IncomingMessage, response: ServerResponse): Promise<Interaction>;
    interactionFinished(
      request: IncomingMessage,
      response: ServerResponse,
      result: Record<string, unknown>,
      options?: { mergeWithLastSubmission?: boolean },
    ): Promise<void>;
    Grant: {
      new (properties: { accountId: string; clientId: string }): Grant;
      find(id: string): Promise<Grant | undefined>;
    };
    use(middleware: (ctx: KoaContextWithOIDC, next: () => Promise<void>) => Promise<void>): this;
    on(event: string, listener: (ctx: KoaContextWithOIDC, error: Error) => void): this;
  }
  export default Provider;

  export const errors: { SessionNotFound: new (...args: never[]) => Error };
}

// Its in-memory store, chosen on purpose (see identity-provider.ts); `adapter` takes the factory.
declare module 'oidc-provider/lib/adapters/memory_adapter.js' {
  export function createMemoryAdapter(clockToleranceSeconds?: number): (model: string) => unknown;
}
