// FHIR R4 rest-hook Subscriptions on the referral Task. A pathway transition queues one
// notification per matching subscription (onPathwayEvents: a few writes, never a network call),
// and the delivery worker (deliverPending) posts them with retries and exponential backoff, so a
// slow or failing receiver never slows the pathway. Notifications are id-only: the Task's id and
// the event number, never a resource, so no PHI travels.
import type { Bundle, Parameters, Subscription } from '@medplum/fhirtypes';
import type { Status } from '../domain/vocabulary.js';
import { TASK_STATUSES, taskStatusOf, type TaskStatus } from '../domain/fhir-codes.js';
import { requireRole, type Caller } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import type { Clock, Ids } from '../shared/clock.js';
import type { PathwayStore } from '../store/pathway-store.js';
import type { Delivery, StoredSubscription, SubscriptionStore } from '../store/subscription-store.js';
import { fhirNotFound, invalid, type FhirIssue } from './outcome.js';
import type { FhirResult } from './service.js';

/** What the engine announces after each transition (its pathway event sinks). */
export interface PathwayEvent {
  readonly patientId: string;
  readonly step: number;
  readonly stage: string;
  readonly status: Status;
  readonly at: string;
}

/** Where transitions are also published for other consumers (EventBridge in AWS). */
export interface PathwayEventPublisher {
  publish(events: readonly PathwayEvent[]): Promise<void>;
}

/** Posts one notification; resolves with the HTTP status, rejects on a network failure or timeout. */
export type NotificationSender = (url: string, init: { headers: Record<string, string>; body: string; timeoutMs: number }) => Promise<number>;

/** The store operations subscriptions use (SubscriptionStore; an in-memory one in unit tests). */
export type SubscriptionRepository = Pick<SubscriptionStore, 'put' | 'get' | 'list' | 'setStatus' | 'nextEventNumber' | 'addDelivery' | 'hasDelivery' | 'deliveries' | 'recordAttempt' | 'claim'>;

export interface SubscriptionDeps {
  readonly subscriptions: SubscriptionRepository;
  readonly store: Pick<PathwayStore, 'getPatient'>;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly send: NotificationSender;
  readonly publisher?: PathwayEventPublisher;
  /** The FHIR base the notifications name (the API's public address). */
  readonly fhirBase: string;
}

export const DELIVERY_POLICY = {
  maxAttempts: 6,
  /** First retry after about this long, doubling each time (full jitter), capped. */
  baseDelayMs: 1_000,
  maxDelayMs: 5 * 60_000,
  timeoutMs: 5_000,
  /** A claimed delivery is the claimer's for this long, then any worker may try it. */
  leaseMs: 30_000,
} as const;

// ------------------------------------------------------------------ criteria
interface Criteria {
  readonly patient?: string;
  readonly statuses?: readonly TaskStatus[];
}

const SUPPORTED_CRITERIA = 'Task, Task?_id=<id>, Task?patient=Patient/<id>, Task?status=<status>[,<status>]';

export function parseCriteria(criteria: string): Criteria | FhirIssue {
  const issue = (message: string): FhirIssue => ({ expression: 'Subscription.criteria', message, code: 'not-supported' });
  const [type, query = ''] = criteria.split('?', 2);
  if (type !== 'Task') return issue(`must be on Task (${SUPPORTED_CRITERIA})`);
  const out: { patient?: string; statuses?: TaskStatus[] } = {};
  for (const [key, value] of new URLSearchParams(query)) {
    if (key === '_id' || key === 'patient' || key === 'for' || key === 'based-on') {
      const id = /^(?:(?:Patient|ServiceRequest)\/)?([0-9A-Z]{26})$/.exec(value)?.[1];
      if (!id) return issue(`${key} must name a patient (Patient/<id>)`);
      out.patient = id;
    } else if (key === 'status') {
      const statuses = value.split(',');
      const unknown = statuses.find((s) => !TASK_STATUSES.includes(s as TaskStatus));
      if (unknown) return issue(`${unknown} is not a Task status (${TASK_STATUSES.join(', ')})`);
      out.statuses = statuses as TaskStatus[];
    } else {
      return issue(`the parameter ${key} is not supported (${SUPPORTED_CRITERIA})`);
    }
  }
  return out;
}

// ------------------------------------------------------------------ registration
const MAX_HEADERS = 5;

function endpointIssue(endpoint: string | undefined): string | undefined {
  if (!endpoint) return 'is required';
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be an absolute URL';
  }
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return 'must be https (http only to this machine)';
  if (url.username || url.password) return 'must not carry credentials: send them in channel.header';
  // Link-local addresses are cloud metadata services, never a receiver.
  if (/^169\.254\./.test(url.hostname) || /^\[?fe80:/i.test(url.hostname)) return 'must not be a link-local address';
  return undefined;
}

export async function registerSubscription(deps: SubscriptionDeps, caller: Caller, s: Subscription): Promise<FhirResult> {
  requireRole(caller, ['administrator'], 'register subscriptions');
  const issues: FhirIssue[] = [];
  const criteria = parseCriteria(s.criteria ?? '');
  if ('message' in criteria) issues.push(criteria);
  if (s.status !== 'requested' && s.status !== 'active') issues.push({ expression: 'Subscription.status', message: 'must be requested (or active)', code: 'value' });
  if (s.channel.type !== 'rest-hook') issues.push({ expression: 'Subscription.channel.type', message: 'must be rest-hook', code: 'not-supported' });
  const endpointProblem = endpointIssue(s.channel.endpoint);
  if (endpointProblem) issues.push({ expression: 'Subscription.channel.endpoint', message: endpointProblem, code: 'value' });
  if (s.channel.payload && !/^application\/(fhir\+)?json$/.test(s.channel.payload)) {
    issues.push({ expression: 'Subscription.channel.payload', message: 'must be application/fhir+json (notifications are id-only)', code: 'not-supported' });
  }
  const headers = s.channel.header ?? [];
  if (headers.length > MAX_HEADERS) issues.push({ expression: 'Subscription.channel.header', message: `must have at most ${MAX_HEADERS} headers`, code: 'value' });
  headers.forEach((h, i) => {
    if (!/^[A-Za-z0-9-]{1,64}: ?[^\r\n]{1,2000}$/.test(h)) issues.push({ expression: `Subscription.channel.header[${i}]`, message: 'must be "Name: value" on one line', code: 'value' });
  });
  if (s.end && Number.isNaN(Date.parse(s.end))) issues.push({ expression: 'Subscription.end', message: 'must be an instant', code: 'value' });
  if (issues.length) throw invalid(issues);
  const stored: StoredSubscription = {
    id: deps.ids.next(),
    status: 'active',
    criteria: s.criteria,
    endpoint: s.channel.endpoint as string,
    headers,
    reason: s.reason,
    createdAt: deps.clock.now().toISOString(),
    createdBy: caller.sub,
    ...(s.end ? { end: s.end } : {}),
    eventCount: 0,
  };
  await deps.subscriptions.put(stored);
  return { status: 201, resource: subscriptionResource(stored), location: `Subscription/${stored.id}` };
}

export function subscriptionResource(s: StoredSubscription): Subscription {
  return {
    resourceType: 'Subscription',
    id: s.id,
    meta: { lastUpdated: s.createdAt },
    status: s.status,
    reason: s.reason,
    criteria: s.criteria,
    ...(s.end ? { end: s.end } : {}),
    ...(s.error ? { error: s.error } : {}),
    // Headers may carry the receiver's secrets: they are never read back.
    channel: { type: 'rest-hook', endpoint: s.endpoint, payload: 'application/fhir+json' },
  };
}

export async function readSubscription(deps: SubscriptionDeps, caller: Caller, id: string): Promise<FhirResult> {
  requireRole(caller, ['administrator'], 'read subscriptions');
  const s = await deps.subscriptions.get(id);
  if (!s) throw fhirNotFound('No such Subscription.');
  return { status: 200, resource: subscriptionResource(s) };
}

export async function searchSubscriptions(deps: SubscriptionDeps, caller: Caller): Promise<FhirResult> {
  requireRole(caller, ['administrator'], 'read subscriptions');
  const all = await deps.subscriptions.list();
  const bundle: Bundle = { resourceType: 'Bundle', type: 'searchset', total: all.length, entry: all.map((s) => ({ fullUrl: `Subscription/${s.id}`, resource: subscriptionResource(s), search: { mode: 'match' } })) };
  return { status: 200, resource: bundle };
}

/** The delivery record of a subscription, newest last: one Parameters per notification. */
export async function subscriptionDeliveries(deps: SubscriptionDeps, caller: Caller, id: string): Promise<FhirResult> {
  requireRole(caller, ['administrator'], 'read subscription deliveries');
  if (!(await deps.subscriptions.get(id))) throw fhirNotFound('No such Subscription.');
  const deliveries = (await deps.subscriptions.deliveries(id)).sort((a, b) => a.eventNumber - b.eventNumber);
  const parameters = (d: Delivery): Parameters => ({
    resourceType: 'Parameters',
    parameter: [
      { name: 'eventNumber', valueInteger: d.eventNumber },
      { name: 'focus', valueReference: { reference: `Task/${d.patientId}` } },
      { name: 'step', valueInteger: d.step },
      { name: 'occurredAt', valueInstant: d.at },
      { name: 'status', valueCode: d.status },
      { name: 'attempts', valueInteger: d.attempts },
      ...(d.lastAttemptAt ? [{ name: 'lastAttemptAt', valueInstant: d.lastAttemptAt }] : []),
      ...(d.deliveredAt ? [{ name: 'deliveredAt', valueInstant: d.deliveredAt }] : []),
      ...(d.status === 'pending' && d.nextAttemptAt ? [{ name: 'nextAttemptAt', valueInstant: d.nextAttemptAt }] : []),
      ...(d.lastError ? [{ name: 'lastError', valueString: d.lastError }] : []),
    ],
  });
  return { status: 200, resource: { resourceType: 'Bundle', type: 'collection', total: deliveries.length, entry: deliveries.map((d) => ({ resource: parameters(d) })) } };
}

// ------------------------------------------------------------------ from the pathway
/**
 * Queue a notification for every live subscription whose criteria the transition's Task
 * matches, and publish the events. Safe to call twice for one event (one delivery per step).
 */
export async function onPathwayEvents(deps: SubscriptionDeps, events: readonly PathwayEvent[]): Promise<void> {
  if (events.length === 0) return;
  const now = deps.clock.now().toISOString();
  const live = (await deps.subscriptions.list()).filter((s) => (s.status === 'active' || s.status === 'error') && (!s.end || s.end > now));
  for (const event of events) {
    let taskStatus: TaskStatus | undefined;
    for (const s of live) {
      const criteria = parseCriteria(s.criteria);
      if ('message' in criteria) continue;
      if (criteria.patient && criteria.patient !== event.patientId) continue;
      if (criteria.statuses) {
        taskStatus ??= await taskStatusAt(deps, event);
        if (!criteria.statuses.includes(taskStatus)) continue;
      }
      if (await deps.subscriptions.hasDelivery(s.id, event.patientId, event.step)) continue;
      const eventNumber = await deps.subscriptions.nextEventNumber(s.id);
      await deps.subscriptions.addDelivery({ subscriptionId: s.id, patientId: event.patientId, step: event.step, eventNumber, at: event.at, status: 'pending', attempts: 0, nextAttemptAt: event.at });
    }
  }
  await deps.publisher?.publish(events);
}

/** The Task status right after the transition; accepted vs in progress needs the decision that caused it. */
async function taskStatusAt(deps: SubscriptionDeps, event: PathwayEvent): Promise<TaskStatus> {
  const p = await deps.store.getPatient(event.patientId);
  const cause = p?.lastTransition?.step === event.step && p.lastTransition.causeStage && p.lastTransition.causeOutcome
    ? { stage: p.lastTransition.causeStage, outcome: p.lastTransition.causeOutcome }
    : null;
  return taskStatusOf(event.stage, event.status, cause);
}

// ------------------------------------------------------------------ the delivery worker
export function notificationBundle(deps: Pick<SubscriptionDeps, 'fhirBase'>, s: StoredSubscription, d: Delivery): Bundle {
  const status: Parameters = {
    resourceType: 'Parameters',
    parameter: [
      { name: 'subscription', valueReference: { reference: `${deps.fhirBase}/Subscription/${s.id}` } },
      { name: 'status', valueCode: 'active' },
      { name: 'type', valueCode: 'event-notification' },
      { name: 'events-since-subscription-start', valueString: String(d.eventNumber) },
      {
        name: 'notification-event',
        part: [
          { name: 'event-number', valueString: String(d.eventNumber) },
          { name: 'timestamp', valueInstant: d.at },
          { name: 'focus', valueReference: { reference: `${deps.fhirBase}/Task/${d.patientId}` } },
        ],
      },
    ],
  };
  // The R4 Subscriptions Backport's id-only shape: the status, then the focus by URL alone.
  return {
    resourceType: 'Bundle',
    type: 'history',
    timestamp: d.at,
    entry: [
      { fullUrl: `urn:uuid:${s.id}-${d.eventNumber}`, resource: status, request: { method: 'GET', url: `Subscription/${s.id}/$status` }, response: { status: '200' } },
      { fullUrl: `${deps.fhirBase}/Task/${d.patientId}`, request: { method: 'PUT', url: `Task/${d.patientId}` }, response: { status: '200' } },
    ],
  };
}

/** Full-jitter exponential backoff: the wait before attempt `attempts + 1`. */
export function backoffMs(attempts: number, random: () => number = Math.random): number {
  const cap = Math.min(DELIVERY_POLICY.maxDelayMs, DELIVERY_POLICY.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(cap / 2 + random() * (cap / 2));
}

/** Send every due notification once; returns how many were delivered in this pass. */
export async function deliverPending(deps: SubscriptionDeps): Promise<number> {
  let delivered = 0;
  for (const s of await deps.subscriptions.list()) {
    if (s.status === 'off') continue;
    const now = deps.clock.now();
    const due = (await deps.subscriptions.deliveries(s.id, { pendingOnly: true }))
      .filter((d) => d.nextAttemptAt !== null && d.nextAttemptAt <= now.toISOString())
      .sort((a, b) => a.eventNumber - b.eventNumber);
    for (const d of due) {
      const lease = new Date(now.getTime() + DELIVERY_POLICY.leaseMs).toISOString();
      if (!(await deps.subscriptions.claim(d, lease))) continue;
      const outcome = await attempt(deps, s, d);
      const at = deps.clock.now();
      const attempts = d.attempts + 1;
      const claimed = { ...d, nextAttemptAt: lease };
      if (outcome === true) {
        await deps.subscriptions.recordAttempt(claimed, { status: 'delivered', attempts, nextAttemptAt: null, lastAttemptAt: at.toISOString(), deliveredAt: at.toISOString() });
        if (s.status === 'error') await deps.subscriptions.setStatus(s.id, 'active', null);
        delivered += 1;
        continue;
      }
      const failed = attempts >= DELIVERY_POLICY.maxAttempts;
      await deps.subscriptions.recordAttempt(claimed, {
        status: failed ? 'failed' : 'pending',
        attempts,
        nextAttemptAt: failed ? null : new Date(at.getTime() + backoffMs(attempts)).toISOString(),
        lastAttemptAt: at.toISOString(),
        lastError: outcome,
      });
      if (failed) await deps.subscriptions.setStatus(s.id, 'error', `Notification ${d.eventNumber} failed after ${attempts} attempts: ${outcome}`);
      logger.warn('subscription notification failed', { subscriptionId: s.id, eventNumber: d.eventNumber, attempts, final: failed });
    }
  }
  return delivered;
}

async function attempt(deps: SubscriptionDeps, s: StoredSubscription, d: Delivery): Promise<true | string> {
  const headers: Record<string, string> = { 'content-type': 'application/fhir+json' };
  for (const h of s.headers) {
    const i = h.indexOf(':');
    headers[h.slice(0, i).trim().toLowerCase()] = h.slice(i + 1).trim();
  }
  try {
    const status = await deps.send(s.endpoint, { headers, body: JSON.stringify(notificationBundle(deps, s, d)), timeoutMs: DELIVERY_POLICY.timeoutMs });
    return status >= 200 && status < 300 ? true : `HTTP ${status}`;
  } catch (err) {
    return (err as Error).name === 'TimeoutError' || (err as Error).name === 'AbortError' ? 'timed out' : `unreachable (${(err as Error).name})`;
  }
}
