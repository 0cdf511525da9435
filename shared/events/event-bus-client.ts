/**
 * EventBridge PutEvents, the one call the publisher makes, through the SDK's client (its endpoint is
 * AWS_ENDPOINT_URL_EVENTBRIDGE when set: the local emulator). `EventSink` is what the publisher sends
 * through, so tests can put a fake in its place.
 */
import { PutEventsCommand, type PutEventsRequestEntry as SdkEntry } from '@aws-sdk/client-eventbridge';
import { eventBridgeSdkClient } from '#shared/aws/clients';
import { perRuntime } from '#shared/runtime';

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

/** What the publisher sends through: this client, or a fake. */
export interface EventSink {
  putEvents(entries: PutEventsRequestEntry[]): Promise<PutEventsResult>;
}

export function eventBridgeClient(): EventSink {
  return perRuntime(eventBridgeClient, () => {
    const client = eventBridgeSdkClient();
    return {
      async putEvents(entries) {
        const answer = await client.send(new PutEventsCommand({ Entries: entries as SdkEntry[] }));
        return { FailedEntryCount: answer.FailedEntryCount ?? 0, Entries: answer.Entries ?? [] };
      },
    };
  });
}
