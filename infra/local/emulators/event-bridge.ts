/**
 * An EventBridge endpoint for the local stack and the tests: PutEvents onto named buses, each event kept
 * as EventBridge would deliver it (`id`, `source`, `detail-type`, `time`, `detail`, …) in memory and, when
 * a file is given, appended to it as one JSON line (the local stack's `<data>/events.jsonl`: what a
 * subscriber would have received). `failNext` makes the next calls fail, for tests.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AwsProtocolError, type JsonProtocolServer, startJsonProtocolServer } from './json-protocol';

export interface DeliveredEvent {
  version: '0';
  id: string;
  'detail-type': string;
  source: string;
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
  /** The bus it was put on (not part of EventBridge's envelope). */
  eventBusName: string;
}

export interface EventBridgeEmulator extends JsonProtocolServer {
  /** Every event put so far, oldest first. */
  events(): DeliveredEvent[];
  /** Fails the next `calls` PutEvents: `error` throws, `entries` refuses every entry. */
  failNext(calls: number, how?: 'error' | 'entries'): void;
}

const MAX_ENTRY_BYTES = 256 * 1024;

export async function startEventBridgeEmulator(
  options: { port?: number; persistFile?: string; region?: string; accountId?: string } = {},
): Promise<EventBridgeEmulator> {
  const region = options.region ?? 'us-east-1';
  const account = options.accountId ?? '000000000000';
  const delivered: DeliveredEvent[] = [];
  let failing = 0;
  let failure: 'error' | 'entries' = 'error';

  const server = await startJsonProtocolServer({
    port: options.port,
    targetPrefix: 'AWSEvents',
    operations: {
      PutEvents(input) {
        const entries = (input.Entries as Record<string, unknown>[] | undefined) ?? [];
        if (entries.length === 0 || entries.length > 10) {
          throw new AwsProtocolError('ValidationException', 'Entries must hold 1 to 10 entries');
        }
        if (failing > 0) {
          failing -= 1;
          if (failure === 'error') throw new AwsProtocolError('InternalException', 'emulated failure', 500);
          return {
            FailedEntryCount: entries.length,
            Entries: entries.map(() => ({ ErrorCode: 'InternalFailure', ErrorMessage: 'emulated failure' })),
          };
        }
        const answers = entries.map((entry) => {
          const size = Buffer.byteLength(JSON.stringify(entry));
          if (typeof entry.Detail !== 'string' || !entry.Source || !entry.DetailType) {
            return {
              ErrorCode: 'MalformedDetail',
              ErrorMessage: 'Source, DetailType and Detail are required',
            };
          }
          if (size > MAX_ENTRY_BYTES) {
            return { ErrorCode: 'EntrySizeTooBig', ErrorMessage: 'Entry is larger than 256 KB' };
          }
          const event: DeliveredEvent = {
            version: '0',
            id: crypto.randomUUID(),
            'detail-type': String(entry.DetailType),
            source: String(entry.Source),
            account,
            time: new Date(typeof entry.Time === 'number' ? entry.Time * 1000 : Date.now()).toISOString(),
            region,
            resources: (entry.Resources as string[] | undefined) ?? [],
            detail: JSON.parse(entry.Detail) as Record<string, unknown>,
            eventBusName: String(entry.EventBusName ?? 'default'),
          };
          delivered.push(event);
          if (options.persistFile) {
            mkdirSync(dirname(options.persistFile), { recursive: true });
            appendFileSync(options.persistFile, `${JSON.stringify(event)}\n`);
          }
          return { EventId: event.id };
        });
        return {
          FailedEntryCount: answers.filter((answer) => 'ErrorCode' in answer).length,
          Entries: answers,
        };
      },
    },
  });
  return {
    ...server,
    events: () => [...delivered],
    failNext(calls, how = 'error') {
      failing = calls;
      failure = how;
    },
  };
}
