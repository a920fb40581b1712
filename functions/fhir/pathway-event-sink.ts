// Registers the FHIR side as a pathway event sink of the outbox delivery: imported for its effect
// by the handlers that deliver outboxes (and the local stack). The subscription runtime, with its
// DynamoDB and EventBridge clients, loads on the first delivered transition, not at cold start.
import { pathwayEventSinks, type PathwayEventSink } from '../app/outbox.js';
import { STATUSES, type Status } from '../domain/vocabulary.js';

const isStatus = (s: string): s is Status => (STATUSES as readonly string[]).includes(s);

const fhirSubscriptions: PathwayEventSink = async (event) => {
  const { status } = event;
  if (!isStatus(status)) throw new Error(`pathway event with an unknown status: ${status}`);
  const { publishPathwayEvents } = await import('./subscription-runtime.js');
  await publishPathwayEvents([{ ...event, status }]);
};

if (!pathwayEventSinks.includes(fhirSubscriptions)) pathwayEventSinks.push(fhirSubscriptions);
