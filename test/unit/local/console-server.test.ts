/**
 * The local console server serves a built console as CloudFront does: the app's routes get index.html,
 * a missing asset is a 404, config.json describes this stack, every answer carries the console's security
 * headers — and without a build it says what to run, and serves the build once it appears.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONSOLE_STATIC_HEADERS, type ConsoleConfig } from '#infra/console-headers';
import { type ConsoleServer, startConsoleServer } from '#infra/local/console-server';

const root = mkdtempSync(join(tmpdir(), 'console-server-'));
const dist = join(root, 'dist');
const INDEX =
  '<!doctype html><html lang="en"><title>console</title><script type="module" src="/assets/app-3f2a1b.js"></script></html>';
const APP = `console.log(${JSON.stringify('x'.repeat(4000))});\n`;
const config: ConsoleConfig = {
  apiUrl: 'http://127.0.0.1:4100',
  oidc: { authority: 'http://127.0.0.1:4102', clientId: 'imputation-gateway-local', scope: 'openid profile' },
  environment: 'local',
};
const origins = {
  api: 'http://127.0.0.1:4100',
  identityProvider: ['http://127.0.0.1:4102'],
  buckets: ['http://127.0.0.1:4103'],
};

/** A raw GET (no automatic decompression or default headers), body as bytes. */
function get(url: string, headers: Record<string, string> = {}, method = 'GET') {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

let server: ConsoleServer;
beforeAll(async () => {
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), INDEX);
  writeFileSync(join(dist, 'assets', 'app-3f2a1b.js'), APP);
  writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(join(dist, '.env'), 'SECRET=1');
  writeFileSync(join(root, 'secret.txt'), 'outside the dist folder');
  server = await startConsoleServer({ port: 0, distDir: dist, config, origins });
});
afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('the local console server', () => {
  it('serves index.html at / with the console security headers, revalidated on every load', async () => {
    const response = await get(`${server.url}/`);
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(INDEX);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['content-security-policy']).toContain(
      "connect-src 'self' http://127.0.0.1:4100 http://127.0.0.1:4102 http://127.0.0.1:4103",
    );
    expect(response.headers['content-security-policy']).toContain("script-src 'self'");
    for (const [name, value] of Object.entries(CONSOLE_STATIC_HEADERS)) {
      expect(response.headers[name.toLowerCase()], name).toBe(value);
    }
  });

  it("answers the app's own routes with index.html (SPA fallback)", async () => {
    for (const path of [
      '/jobs',
      '/jobs/01HZX3V4W5/results',
      '/callback?code=abc&state=s',
      '/services/michigan/',
    ]) {
      const response = await get(`${server.url}${path}`);
      expect(response.status, path).toBe(200);
      expect(response.body.toString(), path).toBe(INDEX);
      expect(response.headers['cache-control'], path).toBe('no-cache');
    }
  });

  it('answers a missing asset with 404, never with index.html', async () => {
    for (const path of ['/assets/app-000000.js', '/favicon.ico', '/assets/', '/robots.txt']) {
      const response = await get(`${server.url}${path}`);
      expect(response.status, path).toBe(path === '/assets/' ? 200 : 404);
      if (path !== '/assets/') expect(response.body.toString()).toBe(`Not found: ${path}`);
    }
    // Still with the security headers.
    expect((await get(`${server.url}/favicon.ico`)).headers['x-frame-options']).toBe('DENY');
  });

  it('caches hashed assets for a year, gzipped when accepted, with their content type', async () => {
    const gzipped = await get(`${server.url}/assets/app-3f2a1b.js`, { 'Accept-Encoding': 'gzip, br' });
    expect(gzipped.status).toBe(200);
    expect(gzipped.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(gzipped.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(gzipped.headers['content-encoding']).toBe('gzip');
    expect(gzipped.headers.vary).toBe('Accept-Encoding');
    expect(gzipped.body.length).toBeLessThan(APP.length / 4);
    expect(gunzipSync(gzipped.body).toString()).toBe(APP);

    const plain = await get(`${server.url}/assets/app-3f2a1b.js`, { 'Accept-Encoding': 'gzip;q=0' });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.headers['content-length']).toBe(String(APP.length));
    expect(plain.body.toString()).toBe(APP);

    const svg = await get(`${server.url}/favicon.svg`, { 'Accept-Encoding': 'gzip' });
    expect(svg.headers['content-type']).toBe('image/svg+xml');
    expect(svg.headers['content-encoding']).toBeUndefined(); // too small to gain from gzip
  });

  it('answers a revalidation with 304 and HEAD without a body', async () => {
    const first = await get(`${server.url}/assets/app-3f2a1b.js`);
    const etag = first.headers.etag as string;
    expect(etag).toMatch(/^W\/"[0-9a-f]+-[0-9a-f]+"$/);
    const again = await get(`${server.url}/assets/app-3f2a1b.js`, { 'If-None-Match': etag });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
    const head = await get(`${server.url}/`, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(INDEX.length));
    expect(head.body.length).toBe(0);
    expect((await get(`${server.url}/`, {}, 'POST')).status).toBe(405);
  });

  it('generates config.json for this stack, never cached', async () => {
    const response = await get(`${server.url}/config.json`);
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(JSON.parse(response.body.toString())).toEqual(config);
  });

  it('serves nothing outside its folder and no dot-files', async () => {
    for (const path of ['/..%2fsecret.txt', '/assets/..%2f..%2fsecret.txt', '/.env', '/%2e%2e/secret.txt']) {
      const response = await get(`${server.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(response.body.toString(), path).not.toContain('outside the dist folder');
      expect(response.body.toString(), path).not.toContain('SECRET');
    }
    expect((await get(`${server.url}/%E0%A4%A`)).status).toBe(400);
  });
});

describe('the local console server before the console is built', () => {
  const missing = join(root, 'not-built');
  let unbuilt: ConsoleServer;
  beforeAll(async () => {
    unbuilt = await startConsoleServer({ port: 0, distDir: missing, config, origins });
  });
  afterAll(() => unbuilt?.close());

  it('starts, and every page says to run npm run build:web; config.json still answers', async () => {
    expect(unbuilt.built()).toBe(false);
    for (const path of ['/', '/jobs', '/assets/app.js']) {
      const response = await get(`${unbuilt.url}${path}`);
      expect(response.status, path).toBe(503);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      const html = response.body.toString();
      expect(html).toContain('<pre><code>npm run build:web</code></pre>');
      expect(html).toContain(`${missing}/index.html`);
    }
    expect((await get(`${unbuilt.url}/config.json`)).status).toBe(200);
  });

  it('serves a build made while it runs, without a restart', async () => {
    mkdirSync(missing, { recursive: true });
    writeFileSync(join(missing, 'index.html'), INDEX);
    expect(unbuilt.built()).toBe(true);
    const response = await get(`${unbuilt.url}/jobs`);
    expect(response.status).toBe(200);
    expect(response.body.toString()).toBe(INDEX);
  });
});
