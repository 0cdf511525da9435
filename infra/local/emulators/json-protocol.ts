/**
 * The AWS JSON 1.0/1.1 protocol as the SDK speaks it: POST / with `X-Amz-Target: <prefix>.<Operation>`
 * and a JSON body; errors are a 400 with `{"__type": "<ErrorName>", "message": "…"}`, which the SDK turns
 * into the matching exception class. Both local emulators of our own (Secrets Manager, Step Functions)
 * are a table of operations served through this.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export class AwsProtocolError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export type Operation = (input: Record<string, unknown>) => unknown | Promise<unknown>;

export interface JsonProtocolServer {
  url: string;
  port: number;
  server: Server;
  close(): Promise<void>;
}

export async function startJsonProtocolServer(options: {
  targetPrefix: string;
  operations: Record<string, Operation>;
  port?: number;
  host?: string;
}): Promise<JsonProtocolServer> {
  const host = options.host ?? '127.0.0.1';
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      send(response, 500, { __type: 'InternalFailure', message: String(error) });
    });
  });

  async function handle(request: IncomingMessage, response: ServerResponse) {
    const target = request.headers['x-amz-target'];
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    if (
      request.method !== 'POST' ||
      typeof target !== 'string' ||
      !target.startsWith(`${options.targetPrefix}.`)
    ) {
      send(response, 400, {
        __type: 'UnknownOperationException',
        message: 'Expected an X-Amz-Target header',
      });
      return;
    }
    const operation = options.operations[target.slice(options.targetPrefix.length + 1)];
    if (!operation) {
      send(response, 400, { __type: 'UnknownOperationException', message: `${target} is not emulated` });
      return;
    }
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      const result = await operation(text ? (JSON.parse(text) as Record<string, unknown>) : {});
      send(response, 200, result ?? {});
    } catch (error) {
      if (error instanceof AwsProtocolError) {
        send(response, error.status, { __type: error.type, message: error.message });
        return;
      }
      throw error;
    }
  }

  server.listen(options.port ?? 0, host);
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    port,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(response: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'Content-Type': 'application/x-amz-json-1.1',
    'Content-Length': Buffer.byteLength(text),
    'x-amzn-RequestId': crypto.randomUUID(),
  });
  response.end(text);
}
