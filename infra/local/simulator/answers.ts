/**
 * How the simulator answers: JSON and text bodies with an exact Content-Length, the answer modes a fault
 * leaves on a response (dropped after processing, cut halfway, stalled halfway), and the requests log
 * tests read to see what reached the server and how its answer went out. Every route answers through
 * here, so a `reset-after`, `truncate` or `stall` fault works on any of them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestRecord } from './types';

/** What a `reset-after`, `truncate` or `stall` fault does to the answer of the request it matched. */
export type AnswerMode = 'dropped' | 'truncated' | 'stalled';

export class Answers {
  readonly requests: RequestRecord[] = [];
  private readonly modes = new WeakMap<ServerResponse, AnswerMode>();
  private readonly now: () => number;

  constructor(now: () => number) {
    this.now = now;
  }

  record(request: IncomingMessage, path: string, status: number, outcome: RequestRecord['outcome']): void {
    this.requests.push({
      method: outcome === 'dropped' ? 'DROPPED' : (request.method ?? 'GET'),
      path,
      status,
      at: this.now(),
      authenticated: request.headers['x-auth-token'] !== undefined,
      headerNames: Object.keys(request.headers),
      outcome,
    });
  }

  /** Logs the request once its answer is out; a dropped or cut answer is logged where that happens. */
  logWhenFinished(request: IncomingMessage, response: ServerResponse, path: string): void {
    response.on('finish', () => {
      const mode = this.modes.get(response);
      if (mode !== 'dropped') this.record(request, path, response.statusCode, mode ?? 'answered');
    });
  }

  setMode(response: ServerResponse, mode: AnswerMode): void {
    this.modes.set(response, mode);
  }

  modeOf(response: ServerResponse): AnswerMode | undefined {
    return this.modes.get(response);
  }

  send(response: ServerResponse, status: number, body: unknown): void {
    this.answer(response, status, 'application/json', JSON.stringify(body));
  }

  /** Cloudgene's error body: `{ success: false, message }`. */
  error(response: ServerResponse, status: number, message: string): void {
    this.send(response, status, { success: false, message });
  }

  sendText(response: ServerResponse, status: number, text: string): void {
    this.answer(response, status, 'text/plain', text);
  }

  answer(
    response: ServerResponse,
    status: number,
    contentType: string,
    text: string,
    headers: Record<string, string> = {},
  ): void {
    const mode = this.modes.get(response);
    const request = response.req;
    const path = pathOf(request);
    if (mode === 'dropped') {
      this.record(request, path, status, 'dropped');
      response.socket?.destroy();
      return;
    }
    const bytes = Buffer.from(text);
    response.writeHead(status, { ...headers, 'Content-Type': contentType, 'Content-Length': bytes.length });
    if (mode === 'truncated' || mode === 'stalled') {
      // The cut comes once the first half is on the wire: the client sees headers and half a body, then
      // the connection ends (destroying in the same tick would lose the half too, and look like a reset).
      response.write(bytes.subarray(0, Math.floor(bytes.length / 2)), () => {
        if (mode === 'truncated') response.socket?.destroy();
      });
      this.record(request, path, status, mode);
      return;
    }
    response.end(bytes);
  }
}

export function pathOf(request: IncomingMessage): string {
  return new URL(request.url ?? '/', 'http://simulator').pathname;
}

export function headerToken(request: IncomingMessage): string | undefined {
  const value = request.headers['x-auth-token'];
  return Array.isArray(value) ? value[0] : value;
}

export async function readText(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function drain(request: IncomingMessage): Promise<void> {
  if (request.readableEnded) return;
  for await (const _ of request) {
    // discard
  }
}
