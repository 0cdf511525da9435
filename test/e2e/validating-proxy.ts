/**
 * An HTTP proxy in front of the local stack that checks every answer against the OpenAPI document the
 * stack serves, and records what does not match. The end-to-end suite sends all its API calls through it
 * — its own fetches and the README walkthrough's curl alike — so no response escapes validation.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HttpAnswer, OpenApiValidator } from './openapi-validator';

export interface ValidatingProxy {
  url: string;
  /** How many answers were checked. */
  readonly checked: number;
  /** The problems found since the last call, which forgets them. */
  takeViolations(): string[];
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive']);

async function readAll(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `target()` is read per request: the stack may restart (on the same port) behind the proxy. */
export async function startValidatingProxy(target: () => string): Promise<ValidatingProxy> {
  const document = (await (await fetch(`${target()}/openapi.json`)).json()) as Record<string, unknown>;
  const validator = new OpenApiValidator(document);
  let violations: string[] = [];
  let checked = 0;

  const server = createServer((request, response) => {
    void (async () => {
      const method = request.method ?? 'GET';
      const path = request.url ?? '/';
      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(request.headers)) {
        if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = String(value);
      }
      const body = await readAll(request);
      const upstream = await fetch(`${target()}${path}`, {
        method,
        headers,
        body: body.length > 0 ? body : undefined,
      });
      const text = await upstream.text();
      const answer: HttpAnswer = {
        method,
        path,
        status: upstream.status,
        headers: upstream.headers,
        body: text,
      };
      checked += 1;
      for (const problem of validator.problems(answer)) violations.push(`${method} ${path}: ${problem}`);
      const outgoing: Record<string, string> = {};
      upstream.headers.forEach((value, name) => {
        if (!HOP_BY_HOP.has(name) && name !== 'content-encoding') outgoing[name] = value;
      });
      response.writeHead(upstream.status, { ...outgoing, 'content-length': Buffer.byteLength(text) });
      response.end(text);
    })().catch((error: unknown) => {
      violations.push(`proxy failed: ${String(error)}`);
      response.destroy();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get checked() {
      return checked;
    },
    takeViolations() {
      const taken = violations;
      violations = [];
      return taken;
    },
    close: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
