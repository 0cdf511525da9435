/**
 * EventBridge PutEvents, the one call the publisher makes. The request and answer are the SDK's own
 * (`PutEventsRequestEntry`, `FailedEntryCount` and an answer per entry, in order), so this can give way to
 * `@aws-sdk/client-eventbridge` unchanged once that is a dependency; until then it is the AWS JSON 1.1
 * protocol over `fetch`, signed with the SDK's own signer (@smithy/signature-v4) with the credentials and
 * region of the process's DynamoDB client (shared/aws/clients.ts: in Lambda, its role's). The endpoint is
 * AWS_ENDPOINT_URL_EVENTBRIDGE when set (the local emulator), else the region's.
 */
import { createHash, createHmac, type Hash, type Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { dynamoDocumentClient } from '#shared/aws/clients';
import { perRuntime } from '#shared/runtime';
import { settings } from '#shared/settings';

export interface PutEventsRequestEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
  Time?: Date;
  Resources?: string[];
}

export interface PutEventsResultEntry {
  EventId?: string;
  ErrorCode?: string;
  ErrorMessage?: string;
}

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

/** What the publisher sends through: this client, the emulator's in tests, or a fake. */
export interface EventSink {
  putEvents(entries: PutEventsRequestEntry[]): Promise<PutEventsResult>;
}

export class EventBridgeError extends Error {
  override name = 'EventBridgeError';
  constructor(
    readonly status: number,
    readonly type: string,
    message: string,
  ) {
    super(`EventBridge PutEvents failed (${status} ${type}): ${message}`);
  }
}

type Data = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: Data): Buffer =>
  typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 (HMAC with a secret) as the signer wants it, from node:crypto. */
class Sha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: Data) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: Data): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

const TIMEOUT_MS = 10_000;

export class EventBridgeClient implements EventSink {
  async putEvents(entries: PutEventsRequestEntry[]): Promise<PutEventsResult> {
    const config = dynamoDocumentClient().config;
    const region = await config.region();
    const endpoint = new URL(
      settings.events().AWS_ENDPOINT_URL_EVENTBRIDGE ?? `https://events.${region}.amazonaws.com`,
    );
    const body = JSON.stringify({
      Entries: entries.map((entry) => ({
        ...entry,
        ...(entry.Time ? { Time: entry.Time.getTime() / 1000 } : {}),
      })),
    });
    const signer = new SignatureV4({
      service: 'events',
      region,
      credentials: config.credentials,
      sha256: Sha256,
    });
    const signed = await signer.sign({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      path: endpoint.pathname || '/',
      query: {},
      headers: {
        host: endpoint.host,
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'AWSEvents.PutEvents',
      },
      body,
    });
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: signed.headers,
      body,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    const text = await response.text();
    const answer = (text ? JSON.parse(text) : {}) as Partial<PutEventsResult> & {
      __type?: string;
      message?: string;
      Message?: string;
    };
    if (!response.ok) {
      throw new EventBridgeError(
        response.status,
        String(answer.__type ?? 'Unknown')
          .split('#')
          .at(-1)!,
        String(answer.message ?? answer.Message ?? text),
      );
    }
    return { FailedEntryCount: answer.FailedEntryCount ?? 0, Entries: answer.Entries ?? [] };
  }
}

export function eventBridgeClient(): EventSink {
  return perRuntime(eventBridgeClient, () => new EventBridgeClient());
}
