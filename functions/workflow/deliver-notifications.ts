// Scheduled: one pass of the FHIR subscription delivery worker (due notifications, with retries
// and backoff recorded per delivery). Never part of the state machine: receivers cannot slow it.
import { deliverPending } from '../fhir/subscriptions.js';
import { subscriptionDeps } from '../fhir/subscription-runtime.js';

export const handler = async (): Promise<{ delivered: number }> => ({ delivered: await deliverPending(await subscriptionDeps()) });
