/**
 * A minimal server for web/dist with the console's real headers (infra/console-headers.ts: the CSP with
 * no inline code), SPA fallback and a config.json of the test's choosing: lets the browser tests check
 * the build against its CSP and the config error page without the whole local stack.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize } from 'node:path';
import {
  CONSOLE_STATIC_HEADERS,
  type ConsoleConfig,
  consoleContentSecurityPolicy,
} from '#infra/console-headers';
import { distDir } from './browser';

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export async function serveConsole(
  config: ConsoleConfig | 'broken',
): Promise<{ url: string; close(): Promise<void> }> {
  const csp = consoleContentSecurityPolicy({
    api: typeof config === 'string' ? "'self'" : new URL(config.apiUrl).origin,
    identityProvider: typeof config === 'string' ? [] : [new URL(config.oidc.authority).origin],
    buckets: [],
  });
  const server: Server = createServer(async (request, response) => {
    const headers = { ...CONSOLE_STATIC_HEADERS, 'Content-Security-Policy': csp };
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (path === '/config.json') {
      if (config === 'broken') {
        response.writeHead(503, headers).end('unavailable');
        return;
      }
      response.writeHead(200, { ...headers, 'Content-Type': 'application/json' }).end(JSON.stringify(config));
      return;
    }
    const file = normalize(join(distDir, path));
    const inside = file.startsWith(distDir) && extname(file) !== '';
    const served = inside ? file : join(distDir, 'index.html');
    const body = await readFile(served).catch(() => undefined);
    if (!body) {
      response.writeHead(404, headers).end();
      return;
    }
    response
      .writeHead(200, {
        ...headers,
        'Content-Type': types[extname(served)] ?? 'application/octet-stream',
      })
      .end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
