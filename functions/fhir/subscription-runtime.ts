// Wires the subscription side from the environment, once per Lambda container (or local process):
// the table, the outbound HTTP client, and the EventBridge bus when PATHWAY_EVENT_BUS_NAME is set.
// The SDK clients load on first use, as in ../shared/runtime.ts.
import type { AccessDeclaration } from '../shared/aws-access.js';
import { logger } from '../shared/logger.js';
import { runtimeDeps } from '../shared/runtime.js';
import { SubscriptionStore } from '../store/subscription-store.js';
import { FHIR_BASE_PATH } from './http.js';
import { onPathwayEvents, type NotificationSender, type PathwayEvent, type PathwayEventPublisher, type SubscriptionDeps } from './subscriptions.js';

/** Plain fetch with a timeout; redirects are not followed (a receiver names its own endpoint). */
export const fetchSender: NotificationSender = async (url, init) => {
  const res = await fetch(url, { method: 'POST', headers: init.headers, body: init.body, redirect: 'manual', signal: AbortSignal.timeout(init.timeoutMs) });
  await res.body?.cancel().catch(() => undefined);
  return res.status;
};

/** The AWS call of EventBridgePublisher (functions/shared/aws-access.ts). */
export const EVENT_PUBLISHER_ACCESS = {
  /** publish */
  publish: { eventBus: ['events:PutEvents'] },
} as const satisfies AccessDeclaration;

/** PutEvents has a 10-entry limit per call. The EventBridge SDK loads on the first publish. */
export class EventBridgePublisher implements PathwayEventPublisher {
  private sdk: Promise<{ client: import('@aws-sdk/client-eventbridge').EventBridgeClient; PutEventsCommand: typeof import('@aws-sdk/client-eventbridge').PutEventsCommand }> | undefined;
  constructor(private readonly busName: string) {}
  async publish(events: readonly PathwayEvent[]): Promise<void> {
    const { client, PutEventsCommand } = await (this.sdk ??= import('@aws-sdk/client-eventbridge').then((m) => ({ client: new m.EventBridgeClient({}), PutEventsCommand: m.PutEventsCommand })));
    for (let i = 0; i < events.length; i += 10) {
      const out = await client.send(
        new PutEventsCommand({
          Entries: events.slice(i, i + 10).map((e) => ({ EventBusName: this.busName, Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Time: new Date(e.at), Detail: JSON.stringify(e) })),
        }),
      );
      if (out.FailedEntryCount) throw new Error(`EventBridge refused ${out.FailedEntryCount} pathway events`);
    }
  }
}

let cached: SubscriptionDeps | undefined;

export async function subscriptionDeps(): Promise<SubscriptionDeps> {
  if (cached) return cached;
  const [deps, { DynamoDBClient }] = await Promise.all([runtimeDeps(), import('@aws-sdk/client-dynamodb')]);
  const table = process.env.PATHWAY_TABLE_NAME;
  if (!table) throw new Error('environment variable PATHWAY_TABLE_NAME is required');
  const bus = process.env.PATHWAY_EVENT_BUS_NAME;
  cached ??= {
    subscriptions: new SubscriptionStore(new DynamoDBClient({}), table),
    store: deps.store,
    clock: deps.clock,
    ids: deps.ids,
    send: fetchSender,
    ...(bus ? { publisher: new EventBridgePublisher(bus) } : {}),
    fhirBase: `${(process.env.FHIR_PUBLIC_BASE_URL ?? deps.config.appBaseUrl).replace(/\/$/, '')}${FHIR_BASE_PATH}`,
  };
  return cached;
}

/**
 * The pathway event sink of the FHIR side (registered by ./pathway-event-sink.ts), called after a
 * transition's announcements are delivered. It never throws: a failure is logged (the transition stands).
 */
export async function publishPathwayEvents(events: readonly PathwayEvent[]): Promise<void> {
  try {
    await onPathwayEvents(await subscriptionDeps(), events);
  } catch (err) {
    logger.error('pathway events not queued for subscribers', { errorName: (err as Error)?.name, errorMessage: (err as Error)?.message });
  }
}
