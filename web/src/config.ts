/**
 * The deployment's settings, read from `/config.json` beside index.html before anything renders, so one
 * build serves every deployment (the stack writes the file; the local console server serves it). The
 * shape is ConsoleConfig of infra/console-headers.ts; it is checked by hand here because the console
 * bundles no schema library for one small object.
 */
import type { ConsoleConfig } from '../../infra/console-headers';

export type { ConsoleConfig };

export class ConfigLoadError extends Error {
  override name = 'ConfigLoadError';
}

export function parseConsoleConfig(value: unknown): ConsoleConfig {
  const fail = (what: string): never => {
    throw new ConfigLoadError(`config.json is not valid: ${what}`);
  };
  if (typeof value !== 'object' || value === null) return fail('not an object');
  const v = value as Record<string, unknown>;
  const oidc = v.oidc as Record<string, unknown> | undefined;
  if (typeof v.apiUrl !== 'string' || !/^https?:\/\//.test(v.apiUrl)) return fail('apiUrl must be a URL');
  if (typeof oidc !== 'object' || oidc === null) return fail('oidc is missing');
  for (const key of ['authority', 'clientId', 'scope'] as const) {
    if (typeof oidc[key] !== 'string' || oidc[key] === '') fail(`oidc.${key} is missing`);
  }
  if (oidc.logoutUrl !== undefined && typeof oidc.logoutUrl !== 'string') fail('oidc.logoutUrl is not text');
  return {
    apiUrl: v.apiUrl.replace(/\/+$/, ''),
    oidc: {
      authority: oidc.authority as string,
      clientId: oidc.clientId as string,
      scope: oidc.scope as string,
      ...(typeof oidc.logoutUrl === 'string' ? { logoutUrl: oidc.logoutUrl } : {}),
    },
    environment: typeof v.environment === 'string' ? v.environment : '',
  };
}

export async function loadConsoleConfig(fetcher: typeof fetch = fetch): Promise<ConsoleConfig> {
  let response: Response;
  try {
    // `cache` is a browser option (Node's RequestInit type lacks it): a new deployment's config is read at once.
    const init = { cache: 'no-store', headers: { Accept: 'application/json' } } as RequestInit;
    response = await fetcher('/config.json', init);
  } catch {
    throw new ConfigLoadError('The console could not reach its own server to read config.json.');
  }
  if (!response.ok) throw new ConfigLoadError(`config.json answered HTTP ${response.status}.`);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ConfigLoadError('config.json is not JSON.');
  }
  return parseConsoleConfig(body);
}
