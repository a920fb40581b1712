// The subscription delivery worker without servers: an in-memory repository, a clock the test
// moves, and a receiver that fails on demand.
import { describe, expect, it } from 'vitest';
import type { Subscription } from '@medplum/fhirtypes';
import { backoffMs, DELIVERY_POLICY, deliverPending, onPathwayEvents, parseCriteria, registerSubscription, type SubscriptionDeps, type SubscriptionRepository } from '../../functions/fhir/subscriptions.js';
import type { Delivery, StoredSubscription } from '../../functions/store/subscription-store.js';

class MemoryRepository implements SubscriptionRepository {
  readonly subs = new Map<string, StoredSubscription>();
  readonly rows = new Map<string, Delivery>();
  private key = (d: Pick<Delivery, 'subscriptionId' | 'patientId' | 'step'>) => `${d.subscriptionId}|${d.patientId}|${d.step}`;
  async put(s: StoredSubscription) { this.subs.set(s.id, s); }
  async get(id: string) { return this.subs.get(id); }
  async list() { return [...this.subs.values()]; }
  async setStatus(id: string, status: StoredSubscription['status'], error: string | null) {
    const s = this.subs.get(id) as StoredSubscription;
    const { error: _e, ...rest } = s;
    this.subs.set(id, { ...rest, status, ...(error === null ? {} : { error }) });
  }
  async nextEventNumber(id: string) {
    const s = this.subs.get(id) as StoredSubscription;
    this.subs.set(id, { ...s, eventCount: s.eventCount + 1 });
    return s.eventCount + 1;
  }
  async addDelivery(d: Delivery) {
    if (this.rows.has(this.key(d))) return false;
    this.rows.set(this.key(d), d);
    return true;
  }
  async hasDelivery(subscriptionId: string, patientId: string, step: number) { return this.rows.has(this.key({ subscriptionId, patientId, step })); }
  async deliveries(id: string, opts: { pendingOnly?: boolean } = {}) { return [...this.rows.values()].filter((d) => d.subscriptionId === id && (!opts.pendingOnly || d.status === 'pending')); }
  async recordAttempt(d: Delivery, next: Partial<Delivery>) {
    const cur = this.rows.get(this.key(d));
    if (!cur || cur.attempts !== d.attempts) return false;
    this.rows.set(this.key(d), { ...cur, ...next } as Delivery);
    return true;
  }
  async claim(d: Delivery, until: string) {
    const cur = this.rows.get(this.key(d));
    if (!cur || cur.status !== 'pending' || cur.attempts !== d.attempts || cur.nextAttemptAt !== d.nextAttemptAt) return false;
    this.rows.set(this.key(d), { ...cur, nextAttemptAt: until });
    return true;
  }
}

function world(answer: () => number | Error) {
  let now = Date.parse('2026-12-03T10:00:00Z');
  let n = 0;
  const sent: { url: string; body: string }[] = [];
  const repo = new MemoryRepository();
  const deps: SubscriptionDeps = {
    subscriptions: repo,
    store: { getPatient: async () => undefined },
    clock: { now: () => new Date(now) },
    ids: { next: () => `01SUB${String(++n).padStart(21, '0')}` },
    send: async (url, init) => {
      sent.push({ url, body: init.body });
      const a = answer();
      if (a instanceof Error) throw a;
      return a;
    },
    fhirBase: 'http://127.0.0.1:3000/fhir/R4',
  };
  return { deps, repo, sent, advance: (ms: number) => (now += ms) };
}

const admin = { sub: 'admin-1', email: 'admin@example.org', roles: ['administrator'] as const };
const hook = (criteria = 'Task'): Subscription => ({ resourceType: 'Subscription', status: 'requested', reason: 'EHR', criteria, channel: { type: 'rest-hook', endpoint: 'https://ehr.example.org/hook' } });
const event = (step: number) => ({ patientId: '01ARZ3NDEKTSV4RRFFQ69G5FAV', step, stage: 'TRIAGE' as const, status: 'active' as const, at: '2026-12-03T10:00:00.000Z' });

describe('subscription deliveries', () => {
  it('queue one notification per transition, however often the transition is announced', async () => {
    const w = world(() => 200);
    await registerSubscription(w.deps, admin, hook());
    await onPathwayEvents(w.deps, [event(2)]);
    await onPathwayEvents(w.deps, [event(2)]);
    expect(w.repo.rows.size).toBe(1);
  });

  it('are retried with growing waits and marked failed, with the subscription in error, after the last attempt', async () => {
    const w = world(() => 503);
    await registerSubscription(w.deps, admin, hook());
    await onPathwayEvents(w.deps, [event(2)]);
    for (let i = 0; i < DELIVERY_POLICY.maxAttempts; i++) {
      await deliverPending(w.deps);
      w.advance(DELIVERY_POLICY.maxDelayMs);
    }
    const [d] = [...w.repo.rows.values()];
    expect(d).toMatchObject({ status: 'failed', attempts: DELIVERY_POLICY.maxAttempts, lastError: 'HTTP 503' });
    expect([...w.repo.subs.values()][0]?.status).toBe('error');
    expect(w.sent).toHaveLength(DELIVERY_POLICY.maxAttempts);
  });

  it('are not sent again before their backoff has passed', async () => {
    const w = world(() => new Error('connect ECONNREFUSED'));
    await registerSubscription(w.deps, admin, hook());
    await onPathwayEvents(w.deps, [event(2)]);
    await deliverPending(w.deps);
    await deliverPending(w.deps);
    expect(w.sent).toHaveLength(1);
    expect([...w.repo.rows.values()][0]?.lastError).toMatch(/^unreachable/);
  });

  it('bring an errored subscription back to active once a notification goes through', async () => {
    let fail = true;
    const w = world(() => (fail ? 500 : 204));
    await registerSubscription(w.deps, admin, hook());
    const id = [...w.repo.subs.keys()][0] as string;
    await w.repo.setStatus(id, 'error', 'earlier failure');
    await onPathwayEvents(w.deps, [event(2)]);
    await deliverPending(w.deps);
    fail = false;
    w.advance(DELIVERY_POLICY.maxDelayMs);
    expect(await deliverPending(w.deps)).toBe(1);
    expect(w.repo.subs.get(id)?.status).toBe('active');
    expect(w.repo.subs.get(id)?.error).toBeUndefined();
  });

  it('carry the Task by URL and nothing about the patient', async () => {
    const w = world(() => 200);
    await registerSubscription(w.deps, admin, hook());
    await onPathwayEvents(w.deps, [event(2)]);
    await deliverPending(w.deps);
    const body = JSON.parse(w.sent[0]?.body ?? '{}');
    expect(body.entry[1]).toEqual({ fullUrl: 'http://127.0.0.1:3000/fhir/R4/Task/01ARZ3NDEKTSV4RRFFQ69G5FAV', request: { method: 'PUT', url: 'Task/01ARZ3NDEKTSV4RRFFQ69G5FAV' }, response: { status: '200' } });
  });

  it('wait between half and all of a doubling cap', () => {
    expect(backoffMs(1, () => 0)).toBe(500);
    expect(backoffMs(1, () => 1)).toBe(1000);
    expect(backoffMs(3, () => 1)).toBe(4000);
    expect(backoffMs(30, () => 1)).toBe(DELIVERY_POLICY.maxDelayMs);
  });

  it('understand Task criteria by patient and status, and refuse anything else', () => {
    expect(parseCriteria('Task?patient=Patient/01ARZ3NDEKTSV4RRFFQ69G5FAV&status=completed,cancelled')).toEqual({ patient: '01ARZ3NDEKTSV4RRFFQ69G5FAV', statuses: ['completed', 'cancelled'] });
    expect(parseCriteria('Task?code=x')).toHaveProperty('message');
    expect(parseCriteria('Patient')).toHaveProperty('message');
  });
});
