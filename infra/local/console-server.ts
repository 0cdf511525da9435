/**
 * The web console on its own origin, as CloudFront serves it in the cloud: the built app from `web/dist`
 * (`npm run build:web`), `GET /config.json` generated for this stack (ConsoleConfig: the API, the local
 * OIDC provider, the client id), and on every answer the headers of infra/console-headers.ts — the CSP
 * lets the console call exactly the API, the identity provider and the S3 emulator.
 *
 * Paths without a file extension that match no file are the app's own routes and get index.html (SPA
 * fallback); a missing file with an extension (a stale asset) is a 404, never index.html. Hashed
 * `/assets/*` are cached for a year, everything else revalidates (ETag). Files are streamed, gzipped on
 * the fly when the client accepts it and the type compresses. Whether the console is built is checked
 * per request: until `web/dist/index.html` exists every page says to run `npm run build:web`, and a
 * build made while the stack runs is served without a restart.
 */
import { once } from 'node:events';
import { createReadStream, existsSync, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { createGzip } from 'node:zlib';
import {
  CONSOLE_STATIC_HEADERS,
  type ConsoleConfig,
  type ConsoleOrigins,
  consoleContentSecurityPolicy,
} from '../console-headers';

/** Where `npm run build:web` (vite) writes the console. */
export const CONSOLE_DIST_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));
export const BUILD_COMMAND = 'npm run build:web';

export interface ConsoleServerOptions {
  /** `0` picks a free port. */
  port: number;
  /** The built console; defaults to CONSOLE_DIST_DIR. */
  distDir?: string;
  /** What `GET /config.json` answers. */
  config: ConsoleConfig;
  /** What the console may connect to (the CSP's connect-src). */
  origins: ConsoleOrigins;
}

export interface ConsoleServer {
  url: string;
  port: number;
  distDir: string;
  /** Whether `index.html` is there (checked now). */
  built(): boolean;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};
const COMPRESSIBLE = /^(text\/|application\/(json|manifest\+json)|image\/svg\+xml)/;
/** Below this, gzip saves less than its own overhead. */
const GZIP_MIN_BYTES = 1024;
const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';

export async function startConsoleServer(options: ConsoleServerOptions): Promise<ConsoleServer> {
  const distDir = options.distDir ?? CONSOLE_DIST_DIR;
  const indexFile = join(distDir, 'index.html');
  const built = () => existsSync(indexFile);
  const headers: Record<string, string> = {
    'Content-Security-Policy': consoleContentSecurityPolicy(options.origins),
    ...CONSOLE_STATIC_HEADERS,
  };
  const configText = JSON.stringify(options.config);

  async function handle(request: IncomingMessage, response: ServerResponse) {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return sendText(response, 405, 'Only GET and HEAD', { ...headers, Allow: 'GET, HEAD' });
    }
    const path = requestPath(request.url);
    if (path === undefined) return sendText(response, 400, 'Malformed path', headers);
    if (path === '/config.json') {
      return sendBody(request, response, configText, {
        ...headers,
        'Content-Type': CONTENT_TYPES['.json']!,
        'Cache-Control': REVALIDATE,
      });
    }
    if (!built()) return sendBody(request, response, notBuiltPage(distDir), notBuiltHeaders(headers), 503);

    const file = path === '/' ? indexFile : fileInside(distDir, path);
    if (!file) return sendText(response, 404, `Not found: ${path}`, headers);
    const found = await regularFile(file);
    if (found) {
      const cache = path.startsWith('/assets/') ? IMMUTABLE : REVALIDATE;
      return sendFile(request, response, file, found, { ...headers, 'Cache-Control': cache });
    }
    if (extname(path) !== '') return sendText(response, 404, `Not found: ${path}`, headers);
    const index = await regularFile(indexFile);
    if (!index) return sendBody(request, response, notBuiltPage(distDir), notBuiltHeaders(headers), 503);
    return sendFile(request, response, indexFile, index, { ...headers, 'Cache-Control': REVALIDATE });
  }

  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A browser that navigates away mid-file closes the connection: nothing went wrong here.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'ECONNRESET') return void response.destroy();
      console.error('local console server error', error);
      if (response.headersSent) response.destroy();
      else sendText(response, 500, 'Internal error; see the npm start output', headers);
    });
  });
  server.listen(options.port, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    distDir,
    built,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The decoded path, or undefined for one that does not decode or holds a NUL. */
function requestPath(url: string | undefined): string | undefined {
  try {
    const path = decodeURIComponent(new URL(url ?? '/', 'http://console').pathname);
    return path.includes('\0') ? undefined : path;
  } catch {
    return undefined;
  }
}

/** The file a path names inside the folder; none for `..` or dot-files (the URL parser already folds `..`). */
function fileInside(root: string, path: string): string | undefined {
  const segments = path.split('/').filter(Boolean);
  if (segments.some((segment) => segment.startsWith('.') || segment.includes('\\'))) return undefined;
  const file = join(root, ...segments);
  return file.startsWith(root + sep) ? file : undefined;
}

async function regularFile(file: string): Promise<Stats | undefined> {
  const found = await stat(file).catch(() => undefined);
  return found?.isFile() ? found : undefined;
}

async function sendFile(
  request: IncomingMessage,
  response: ServerResponse,
  file: string,
  stats: Stats,
  headers: Record<string, string>,
) {
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  const etag = `W/"${stats.size.toString(16)}-${Math.floor(stats.mtimeMs).toString(16)}"`;
  const compressible = COMPRESSIBLE.test(type);
  const common = {
    ...headers,
    'Content-Type': type,
    ETag: etag,
    'Last-Modified': stats.mtime.toUTCString(),
    ...(compressible ? { Vary: 'Accept-Encoding' } : {}),
  };
  if (request.headers['if-none-match'] === etag) {
    response.writeHead(304, common).end();
    return;
  }
  const gzip = compressible && stats.size >= GZIP_MIN_BYTES && acceptsGzip(request);
  response.writeHead(
    200,
    gzip ? { ...common, 'Content-Encoding': 'gzip' } : { ...common, 'Content-Length': String(stats.size) },
  );
  if (request.method === 'HEAD') {
    response.end();
    return;
  }
  const source = createReadStream(file);
  await (gzip ? pipeline(source, createGzip(), response) : pipeline(source, response));
}

function acceptsGzip(request: IncomingMessage): boolean {
  const accepted = request.headers['accept-encoding'] ?? '';
  return accepted.split(',').some((part) => {
    const [coding = '', ...params] = part.trim().split(';');
    const refused = params.some((param) => /^\s*q=0(\.0*)?\s*$/.test(param));
    return (coding.trim() === 'gzip' || coding.trim() === '*') && !refused;
  });
}

function sendBody(
  request: IncomingMessage,
  response: ServerResponse,
  body: string,
  headers: Record<string, string>,
  status = 200,
) {
  response.writeHead(status, { ...headers, 'Content-Length': String(Buffer.byteLength(body)) });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function sendText(response: ServerResponse, status: number, text: string, headers: Record<string, string>) {
  response.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-store',
  });
  response.end(text);
}

const notBuiltHeaders = (headers: Record<string, string>) => ({
  ...headers,
  'Content-Type': CONTENT_TYPES['.html']!,
  'Cache-Control': 'no-store',
});

/** What every page says until the console is built (no style: the CSP allows only the app's own). */
export function notBuiltPage(distDir: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>The console is not built yet</title></head>
<body>
<main>
<h1>The console is not built yet</h1>
<p>There is no <code>${distDir.replaceAll('&', '&amp;').replaceAll('<', '&lt;')}/index.html</code>. Build it with</p>
<pre><code>${BUILD_COMMAND}</code></pre>
<p>in the repository (a second terminal will do), then reload this page: no restart of <code>npm start</code> is needed.</p>
</main>
</body>
</html>
`;
}
