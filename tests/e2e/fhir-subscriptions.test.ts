// FHIR rest-hook subscriptions end to end: an external receiver (a local HTTP server in this test)
// registers for Task changes and gets id-only notifications as the pathway moves; a failing
// receiver is retried with backoff and recorded, and never holds the pathway up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, OperationOutcome, Parameters, Subscription, Task } from '@medplum/fhirtypes';
import type { Role } from '../../functions/domain/vocabulary.js';
import { acceptTriage } from '../support/fixtures.js';
import { containedServiceRequest } from '../support/fhir-fixtures.js';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { Receiver, type Received } from '../support/receiver.js';
import { freePort } from '../../local/free-port.js';

let stack: LocalStackUnderTest;
const receiver = new Receiver();

beforeAll(async () => {
  await receiver.start();
  stack = await LocalStackUnderTest.start({ LOCAL_FREQUENT_SCHEDULE_MS: '100' });
});
afterAll(async () => {
  await stack?.stop();
  await receiver.stop();
});

async function fhir<T = any>(method: 'GET' | 'POST', path: string, role: Role, body?: unknown): Promise<{ status: number; body: T; headers: Headers }> {
  const headers: Record<string, string> = { authorization: `Bearer ${await stack.token(role)}` };
  if (body !== undefined) headers['content-type'] = 'application/fhir+json';
  const res = await fetch(`${stack.apiUrl}/fhir/R4${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

const subscription = (criteria: string, endpoint: string, header: string[] = []): Subscription => ({
  resourceType: 'Subscription',
  status: 'requested',
  reason: 'Referring EHR follows its referrals',
  criteria,
  channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json', header },
});

async function register(criteria: string, path: string, header: string[] = []): Promise<string> {
  const res = await fhir<Subscription>('POST', '/Subscription', 'administrator', subscription(criteria, receiver.url(path), header));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body.status).toBe('active');
  return res.body.id as string;
}

async function refer(): Promise<string> {
  const res = await fhir<Task>('POST', '/ServiceRequest', 'coordinator', containedServiceRequest());
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const focusOf = (r: Received) => {
  const bundle = JSON.parse(r.body) as Bundle;
  const status = bundle.entry?.[0]?.resource as Parameters;
  const event = status.parameter?.find((p) => p.name === 'notification-event');
  return { bundle, focus: event?.part?.find((p) => p.name === 'focus')?.valueReference?.reference ?? '' };
};

async function deliveries(id: string) {
  const res = await fhir<Bundle>('GET', `/Subscription/${id}/deliveries`, 'administrator');
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e) => Object.fromEntries(((e.resource as Parameters).parameter ?? []).map((p) => [p.name, p.valueInteger ?? p.valueCode ?? p.valueString ?? p.valueInstant ?? p.valueReference?.reference])));
}

describe('FHIR subscriptions on Task', () => {
  it('notifies a rest-hook receiver of each transition with an id-only Bundle carrying no PHI', async () => {
    await register('Task', '/all', ['Authorization: Bearer receiver-secret']);
    const patientId = await refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    const detail = await stack.store().getPatient(patientId);
    const mine = await stack.waitFor('a notification for the referral', async () => {
      const got = receiver.at('/all').filter((r) => focusOf(r).focus.endsWith(`/Task/${patientId}`));
      return got.length > 0 ? got : undefined;
    });
    const first = mine[0] as Received;
    expect(first.headers.authorization).toBe('Bearer receiver-secret');
    expect(first.headers['content-type']).toBe('application/fhir+json');
    const { bundle, focus } = focusOf(first);
    expect(bundle.type).toBe('history');
    expect(focus).toBe(`${stack.apiUrl}/fhir/R4/Task/${patientId}`);
    expect(bundle.entry?.[1]?.resource).toBeUndefined();
    for (const r of mine) {
      for (const phi of [detail?.patient.familyName, detail?.patient.mrn, detail?.patient.birthDate, detail?.patient.givenName]) expect(r.body).not.toContain(phi);
    }
  });

  it('notifies a status criterion only when the Task reaches that status', async () => {
    const id = await register('Task?status=accepted', '/accepted');
    const patientId = await refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: acceptTriage() });
    expect(res.status).toBe(202);
    await stack.waitForPending(patientId, 'IMAGING_SELECTION');
    await stack.waitFor('the accepted notification', async () => receiver.at('/accepted').some((r) => focusOf(r).focus.endsWith(`/Task/${patientId}`)));
    const recorded = (await deliveries(id)).filter((d) => d.focus === `Task/${patientId}`);
    expect(recorded).toHaveLength(1);
    expect(recorded[0]?.status).toBe('delivered');
  });

  it('retries a failing receiver with backoff until it accepts, recording every attempt', async () => {
    receiver.failFirst.set('/flaky', 2);
    const id = await register('Task', '/flaky');
    const patientId = await refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    // The referral and the opening of triage are two transitions: two notifications, which share
    // the receiver's two failures between them in whatever order they are sent.
    const mine = await stack.waitFor(
      'delivery after retries',
      async () => {
        const all = (await deliveries(id)).filter((d) => d.focus === `Task/${patientId}`);
        return all.length >= 2 && all.every((d) => d.status === 'delivered') ? all : undefined;
      },
      60_000,
    );
    expect(mine.reduce((n, d) => n + Number(d.attempts), 0)).toBe(mine.length + 2);
    expect(Math.max(...mine.map((d) => Number(d.attempts)))).toBeGreaterThanOrEqual(2);
    expect(receiver.at('/flaky').length).toBeGreaterThanOrEqual(mine.length + 2);
  });

  it('never holds the pathway up when the receiver is unreachable, and shows the failing attempts to administrators', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/gone`;
    const created = await fhir<Subscription>('POST', '/Subscription', 'administrator', subscription('Task', dead));
    const id = created.body.id as string;
    const patientId = await refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: acceptTriage() });
    expect(res.status).toBe(202);
    await stack.waitForPending(patientId, 'IMAGING_SELECTION');
    const failing = await stack.waitFor('a failed attempt', async () => {
      const mine = (await deliveries(id)).filter((d) => d.focus === `Task/${patientId}`);
      return mine.some((d) => Number(d.attempts) >= 1) ? mine : undefined;
    });
    expect(failing.every((d) => d.status !== 'delivered')).toBe(true);
    expect(failing.some((d) => String(d.lastError).startsWith('unreachable'))).toBe(true);
    const listed = await fhir<Bundle>('GET', '/Subscription', 'administrator');
    expect(listed.body.entry?.map((e) => e.resource?.id)).toContain(id);
  });

  it('lets only administrators register, and refuses criteria it cannot evaluate, naming the element', async () => {
    const forbidden = await fhir<OperationOutcome>('POST', '/Subscription', 'coordinator', subscription('Task', receiver.url('/x')));
    expect(forbidden.status).toBe(403);
    const bad = await fhir<OperationOutcome>('POST', '/Subscription', 'administrator', subscription('Patient?name=x', receiver.url('/x')));
    expect(bad.status).toBe(400);
    expect(bad.body.issue.flatMap((i) => i.expression ?? [])).toContain('Subscription.criteria');
    const plain = await fhir<OperationOutcome>('POST', '/Subscription', 'administrator', subscription('Task', 'http://receiver.example.org/hook'));
    expect(plain.status).toBe(400);
    expect(plain.body.issue.flatMap((i) => i.expression ?? [])).toContain('Subscription.channel.endpoint');
    expect((await fhir('GET', '/Subscription', 'physician')).status).toBe(403);
  });
});
