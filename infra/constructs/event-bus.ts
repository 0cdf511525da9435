/**
 * The gateway's event bus: every job status change, service health change and token state change is put
 * here by the outbox publisher (shared/events/, run by the watcher), with source `imputation-gateway`
 * (detail types in shared/events/event-types.ts and the README, "Events"). Subscribers — the
 * notifications, other teams — add rules on this bus. An archive keeps the gateway's events for replay
 * after a subscriber's outage (archives cost by what they store; these events are small).
 */
import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { EVENT_SOURCE } from '#shared/events/event-types';

export const EVENT_ARCHIVE_DAYS = 30;

export interface EventBusProps {
  /** `<stack name>-events`. */
  busName: string;
  removalPolicy: RemovalPolicy;
}

export class GatewayEventBus extends Construct {
  readonly bus: events.EventBus;
  readonly archive: events.Archive;

  constructor(scope: Construct, id: string, props: EventBusProps) {
    super(scope, id);
    this.bus = new events.EventBus(this, 'Bus', {
      eventBusName: props.busName,
      description: 'Job status, service health and service token state changes of the imputation gateway',
    });
    this.bus.applyRemovalPolicy(props.removalPolicy);
    this.archive = this.bus.archive('Archive', {
      description: 'The gateway events of the last 30 days, for replay to a subscriber',
      eventPattern: { source: [EVENT_SOURCE] },
      retention: Duration.days(EVENT_ARCHIVE_DAYS),
    });
  }
}
