// Pathway transitions for other AWS consumers, and the schedule of the FHIR subscription
// delivery worker. Every transition is published (ids, stage and status only: no PHI) to a custom
// EventBridge bus; subscribers add their own rules. The worker posts due rest-hook notifications
// every minute, with the retries and backoff recorded per delivery.
import { Duration } from 'aws-cdk-lib';
import { EventBus, Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Construct } from 'constructs';
import { EVENT_PUBLISHER_ACCESS } from '../functions/fhir/subscription-runtime.js';
import type { AccessGrants } from './access-grants.js';
import type { PathwayFunction } from './pathway-function.js';

export interface PathwayEventsProps {
  /** Functions that deliver outboxes, and so publish the transitions they announce. */
  readonly publishers: readonly PathwayFunction[];
  /** The subscription delivery worker, run on a schedule. */
  readonly deliveryWorker: PathwayFunction;
  /** The FHIR base notifications name (the API's address). */
  readonly fhirPublicBaseUrl: string;
  /** Where the bus is named and the publishers' PutEvents granted. */
  readonly access: AccessGrants;
}

export class PathwayEvents extends Construct {
  readonly bus: EventBus;

  constructor(scope: Construct, id: string, props: PathwayEventsProps) {
    super(scope, id);
    this.bus = new EventBus(this, 'Bus', { description: 'CSF leak pathway transitions: {patientId, step, stage, status, at}; no PHI' });
    props.access.name('eventBus', { arn: this.bus.eventBusArn });
    for (const f of props.publishers) {
      props.access.grant(f, EVENT_PUBLISHER_ACCESS.publish);
      f.function.addEnvironment('PATHWAY_EVENT_BUS_NAME', this.bus.eventBusName);
    }
    for (const f of [...props.publishers, props.deliveryWorker]) f.function.addEnvironment('FHIR_PUBLIC_BASE_URL', props.fhirPublicBaseUrl);
    new Rule(this, 'DeliverySchedule', {
      description: 'Posts due FHIR subscription notifications (retries with backoff)',
      schedule: Schedule.rate(Duration.minutes(1)),
      targets: [new LambdaFunction(props.deliveryWorker.function, { retryAttempts: 0 })],
    });
  }
}
