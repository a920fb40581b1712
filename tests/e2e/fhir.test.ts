// The FHIR R4 endpoint end to end over HTTP against the real local servers: a referral from a
// transaction Bundle to a completed pathway, the Task read after each decision, follow-up
// check-ins as QuestionnaireResponses, and refusals that name the element and write nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Bundle, OperationOutcome, Task } from '@medplum/fhirtypes';
import { CODE_SYSTEMS } from '../../functions/domain/fhir-codes.js';
import type { Role } from '../../functions/domain/vocabulary.js';
import { structuralIssues } from '../../functions/fhir/validator.js';
import { acceptTriage, leakFound, patchPerformed } from '../support/fixtures.js';
import { checkIn, containedServiceRequest, referralBundle } from '../support/fhir-fixtures.js';
import { LocalStackUnderTest } from '../support/local-stack.js';

let stack: LocalStackUnderTest;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
});
afterAll(async () => {
  await stack?.stop();
});

interface FhirAnswer<T> {
  readonly status: number;
  readonly body: T;
  readonly headers: Headers;
}

async function fhir<T = any>(method: 'GET' | 'POST', path: string, opts: { role?: Role; body?: unknown; contentType?: string } = {}): Promise<FhirAnswer<T>> {
  const headers: Record<string, string> = { accept: 'application/fhir+json' };
  headers.authorization = `Bearer ${await stack.token(opts.role ?? 'coordinator')}`;
  if (opts.body !== undefined) headers['content-type'] = opts.contentType ?? 'application/fhir+json';
  const res = await fetch(`${stack.apiUrl}/fhir/R4${path}`, { method, headers, ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers };
}

const expressions = (o: OperationOutcome) => o.issue.flatMap((i) => i.expression ?? []);

async function decide(patientId: string, body: Record<string, unknown>) {
  await stack.waitForPending(patientId, String(body.stage));
  const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
}

async function task(patientId: string): Promise<Task> {
  const res = await fhir<Task>('GET', `/Task/${patientId}`, { role: 'physician' });
  expect(res.status).toBe(200);
  expect(structuralIssues(res.body)).toEqual([]);
  return res.body;
}

describe('the FHIR R4 endpoint', () => {
  it('describes exactly what it supports in its CapabilityStatement', async () => {
    const res = await fhir('GET', '/metadata');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('application/fhir+json');
    expect(res.body.resourceType).toBe('CapabilityStatement');
    expect(structuralIssues(res.body)).toEqual([]);
    const types = res.body.rest[0].resource.map((r: { type: string }) => r.type);
    expect(types).toEqual(expect.arrayContaining(['ServiceRequest', 'Task', 'Patient', 'Questionnaire', 'QuestionnaireResponse']));
  });

  it('creates a referral from a transaction Bundle through the intake service, answering 201 with the Task', async () => {
    const bundle = referralBundle();
    const res = await fhir<Bundle>('POST', '/Bundle', { body: bundle });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const location = res.headers.get('location') ?? '';
    expect(location).toMatch(new RegExp(`^${stack.apiUrl}/fhir/R4/Task/[0-9A-Z]{26}$`));
    expect(res.body.type).toBe('transaction-response');
    const patientId = location.split('/').at(-1) as string;

    const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'coordinator' });
    const sr = bundle.entry?.[0]?.resource as { identifier: { value: string }[] };
    expect(detail.body).toMatchObject({
      referralId: sr.identifier[0]?.value,
      site: 'santa-clara',
      urgency: 'routine',
      patient: { givenName: 'Testina V.', birthDate: '1987-02-20', sex: 'female' },
      referringPhysician: { name: 'Dr Example Referrer', email: 'referrer@example.org' },
      referral: { symptomOnset: '2026-05-01', orthostaticPattern: 'classic_immediate', duralPunctureWithin30Days: false, priorSpinalProcedure: false, hit6Baseline: 68, notes: 'Synthetic referral for tests.' },
      // The clinical facts of the referral are kept with the history the rules read.
      clinical: { headacheDaysPerMonthBaseline: 20 },
    });
    expect(detail.body.patient.mrn).toMatch(/^SYN\d+$/);
  });

  it('answers a repeated Bundle with the same Task and refuses a different one with the same identifier (409), writing nothing', async () => {
    const bundle = referralBundle();
    const first = await fhir('POST', '/Bundle', { body: bundle });
    expect(first.status).toBe(201);
    const again = await fhir('POST', '/Bundle', { body: bundle });
    expect(again.status).toBe(200);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));

    const changed = structuredClone(bundle);
    (changed.entry?.[1]?.resource as { birthDate: string }).birthDate = '1990-01-01';
    const conflict = await fhir<OperationOutcome>('POST', '/Bundle', { body: changed });
    expect(conflict.status).toBe(409);
    expect(conflict.body.resourceType).toBe('OperationOutcome');
    expect(conflict.body.issue[0]?.code).toBe('conflict');
    const patientId = (first.headers.get('location') ?? '').split('/').at(-1) as string;
    const stored = await stack.store().getPatient(patientId);
    expect(stored?.patient.birthDate).toBe('1987-02-20');
  });

  it('accepts a transaction at the FHIR base as a standard client sends it', async () => {
    const res = await fhir<Bundle>('POST', '', { body: referralBundle() });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    expect(res.body.entry?.[0]?.response?.status).toBe('201 Created');
    expect(res.body.entry?.at(-1)?.resource?.resourceType).toBe('Task');
  });

  it('creates a referral from a ServiceRequest with its Patient, requester and findings contained', async () => {
    const request = containedServiceRequest({ priority: 'urgent' });
    const res = await fhir<Task>('POST', '/ServiceRequest', { body: request });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.resourceType).toBe('Task');
    expect(res.body.status).toBe('requested');
    const back = await fhir('GET', `/ServiceRequest/${res.body.id}`, { role: 'physician' });
    expect(back.status).toBe(200);
    expect(back.body.priority).toBe('urgent');
    expect(back.body.identifier[0].value).toBe(request.identifier?.[0]?.value);
    expect(structuralIssues(back.body)).toEqual([]);
    // Every finding sent comes back, the later ones (kept with the clinical history) included.
    const contained = back.body.contained as { id: string; valueInteger?: number; valueBoolean?: boolean; component?: { code: { coding: { code: string }[] }; valueBoolean: boolean }[] }[];
    const byId = new Map(contained.map((r) => [r.id, r]));
    expect(byId.get('headache-days-per-month-baseline')?.valueInteger).toBe(20);
    expect(byId.get('connective-tissue-disorder')?.valueBoolean).toBe(false);
    expect(byId.get('trauma-before-onset')?.valueBoolean).toBe(false);
    const present = (byId.get('associated-symptoms')?.component ?? []).filter((k) => k.valueBoolean).map((k) => k.code.coding[0]?.code);
    expect(present).toEqual(['neck_pain', 'tinnitus']);
    expect(byId.get('associated-symptoms')?.component).toHaveLength(9);
    const rest = await stack.api('GET', `/patients/${res.body.id}`, { role: 'physician' });
    expect((rest.body as { referral: unknown }).referral).toMatchObject({ associatedSymptoms: ['tinnitus', 'neck_pain'], headacheDaysPerMonthBaseline: 20, connectiveTissueDisorder: false, trauma: false });
  });

  it('refuses what it cannot map with an OperationOutcome naming each element, and records no referral', async () => {
    const request = containedServiceRequest({ priority: 'stat', bodySite: [{ text: 'thoracic spine' }] } as never);
    (request.contained?.[0] as { gender: string }).gender = 'female';
    request.supportingInfo = request.supportingInfo?.slice(1);
    const res = await fhir<OperationOutcome>('POST', '/ServiceRequest', { body: request });
    expect(res.status).toBe(400);
    expect(expressions(res.body)).toEqual(expect.arrayContaining(['ServiceRequest.priority', 'ServiceRequest.bodySite', 'ServiceRequest.supportingInfo']));
    expect(await stack.store().getReferral(request.identifier?.[0]?.value as string)).toBeUndefined();
  });

  it('refuses a resource that breaks the R4 definition, with the validator naming the element', async () => {
    const request = containedServiceRequest();
    (request.contained?.[0] as { birthDate: string }).birthDate = '1987-02-31x';
    const res = await fhir<OperationOutcome>('POST', '/ServiceRequest', { body: request });
    expect(res.status).toBe(400);
    expect(expressions(res.body)).toContain('ServiceRequest.contained[0].birthDate');
  });

  it('refuses a future birth date through the intake service, naming the Patient element', async () => {
    const request = containedServiceRequest();
    (request.contained?.[0] as { birthDate: string }).birthDate = '2999-01-01';
    const res = await fhir<OperationOutcome>('POST', '/ServiceRequest', { body: request });
    expect(res.status).toBe(400);
    expect(expressions(res.body)).toContain('ServiceRequest.contained[0].birthDate');
  });

  it('refuses a body that is not JSON FHIR (415) and a role that may not refer (403), as OperationOutcomes', async () => {
    const xml = await fetch(`${stack.apiUrl}/fhir/R4/ServiceRequest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await stack.token('coordinator')}`, 'content-type': 'application/fhir+xml' },
      body: '<ServiceRequest/>',
    });
    expect(xml.status).toBe(415);
    expect(((await xml.json()) as OperationOutcome).resourceType).toBe('OperationOutcome');
    const admin = await fhir<OperationOutcome>('POST', '/ServiceRequest', { role: 'administrator', body: containedServiceRequest() });
    expect(admin.status).toBe(403);
    expect(admin.body.issue[0]?.code).toBe('forbidden');
    const patient = await fhir<OperationOutcome>('GET', '/Patient/01ARZ3NDEKTSV4RRFFQ69G5FAV', { role: 'administrator' });
    expect(patient.status).toBe(403);
  });

  it('reads the Patient for physicians and audits the read as record_viewed', async () => {
    const created = await fhir<Task>('POST', '/ServiceRequest', { body: containedServiceRequest() });
    const patientId = created.body.id as string;
    const res = await fhir('GET', `/Patient/${patientId}`, { role: 'physician' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ resourceType: 'Patient', id: patientId, gender: 'female', birthDate: '1987-02-20' });
    expect(structuralIssues(res.body)).toEqual([]);
    const timeline = await stack.store().patientTimeline(patientId);
    expect(timeline.filter((e) => e.action === 'record_viewed')).toHaveLength(1);
    expect((await fhir('GET', '/Patient/01ARZ3NDEKTSV4RRFFQ69G5FAV', { role: 'physician' })).status).toBe(404);
  });

  it('carries a FHIR referral to a completed pathway, the Task following each decision and the check-ins recording follow-up', async () => {
    const created = await fhir<Bundle>('POST', '/Bundle', { body: referralBundle() });
    const patientId = (created.headers.get('location') ?? '').split('/').at(-1) as string;

    await stack.waitForPending(patientId, 'TRIAGE');
    let t = await task(patientId);
    expect(t).toMatchObject({ status: 'requested', for: { reference: `Patient/${patientId}` }, basedOn: [{ reference: `ServiceRequest/${patientId}` }] });
    expect(t.businessStatus?.coding?.[0]).toMatchObject({ system: CODE_SYSTEMS.stage, code: 'TRIAGE' });
    expect(t.owner?.identifier?.value).toBe('neuroradiology');
    expect(t.restriction?.period?.end).toBe((await stack.store().getPatient(patientId))?.dueAt);

    await decide(patientId, acceptTriage());
    await stack.waitForPending(patientId, 'IMAGING_SELECTION');
    t = await task(patientId);
    expect(t.status).toBe('accepted');
    expect(t.output).toHaveLength(1);
    expect(t.output?.[0]?.type.coding?.[0]?.code).toBe('TRIAGE');

    const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'physician' });
    const technique = detail.body.recommendation.recommended as string;
    await decide(patientId, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
    await decide(patientId, leakFound(technique));
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
    await stack.waitForPending(patientId, 'TARGETED_PATCH');
    t = await task(patientId);
    expect(t.status).toBe('in-progress');
    expect(t.businessStatus?.coding?.[0]?.code).toBe('TARGETED_PATCH');
    expect(t.owner?.identifier?.value).toBe('neurointerventional');
    expect(t.output).toHaveLength(4);
    await decide(patientId, patchPerformed);

    const questionnaire = await fhir('GET', '/Questionnaire/follow-up-check-in', { role: 'coordinator' });
    expect(questionnaire.status).toBe(200);
    expect(structuralIssues(questionnaire.body)).toEqual([]);
    const visits = ['day1', 'week1', 'month3', 'month12'];
    for (const [i, visit] of visits.entries()) {
      await stack.waitForPending(patientId, 'FOLLOW_UP');
      const outcome = i === visits.length - 1 ? 'resolved' : 'improved';
      const res = await fhir('POST', '/QuestionnaireResponse', { role: 'coordinator', body: checkIn(patientId, { visit, outcome, pgic: 2, hit6: 44, headacheDays: 3, ...(visit === 'month3' ? { bernScore: 1 } : {}) }) });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      expect(res.headers.get('location')).toMatch(/\/fhir\/R4\/QuestionnaireResponse\//);
      if (i < visits.length - 1) {
        await stack.waitFor(`visit after ${visit}`, async () => {
          const p = await stack.store().getPatient(patientId);
          return p && p.pendingDecision?.visit === visits[i + 1] && p.taskToken ? p : undefined;
        });
      }
    }
    await stack.waitForStatus(patientId, 'completed');
    t = await task(patientId);
    expect(t.status).toBe('completed');
    expect(t.statusReason?.coding?.[0]?.code).toBe('completed');
    expect(t.owner).toBeUndefined();
    const checkIns = (t.output ?? []).filter((o) => o.valueReference?.reference?.startsWith('QuestionnaireResponse/'));
    expect(checkIns).toHaveLength(4);
    const recorded = await fhir('GET', `/${checkIns[3]?.valueReference?.reference}`, { role: 'physician' });
    expect(recorded.status).toBe(200);
    expect(recorded.body.item).toEqual(expect.arrayContaining([expect.objectContaining({ linkId: 'outcome', answer: [{ valueCoding: { system: CODE_SYSTEMS.followUpOutcome, code: 'resolved' } }] })]));
    expect(recorded.body.item).toEqual(expect.arrayContaining([expect.objectContaining({ linkId: 'headache-days', answer: [{ valueInteger: 3 }] })]));
    const month3 = await fhir('GET', `/${checkIns[2]?.valueReference?.reference}`, { role: 'physician' });
    expect(month3.body.item).toEqual(expect.arrayContaining([expect.objectContaining({ linkId: 'brain-mri-bern-score', answer: [{ valueInteger: 1 }] })]));

    const byBasedOn = await fhir<Bundle>('GET', `/Task?based-on=ServiceRequest/${patientId}`, { role: 'physician' });
    expect(byBasedOn.body.entry?.map((e) => e.resource?.id)).toEqual([patientId]);
    const byPatientAndStatus = await fhir<Bundle>('GET', `/Task?patient=Patient/${patientId}&status=in-progress`, { role: 'physician' });
    expect(byPatientAndStatus.body.entry ?? []).toHaveLength(0);
    const completed = await fhir<Bundle>('GET', '/Task?status=completed&_count=50', { role: 'physician' });
    expect(completed.body.entry?.map((e) => e.resource?.id)).toContain(patientId);
    expect(completed.body.entry?.every((e) => (e.resource as Task).status === 'completed')).toBe(true);
  });

  it('refuses a check-in whose answer is out of range, naming the answer, and records nothing', async () => {
    const created = await fhir<Task>('POST', '/ServiceRequest', { body: containedServiceRequest() });
    const patientId = created.body.id as string;
    const res = await fhir<OperationOutcome>('POST', '/QuestionnaireResponse', { role: 'coordinator', body: checkIn(patientId, { visit: 'day1', outcome: 'improved', pgic: 9 }) });
    expect(res.status).toBe(400);
    expect(expressions(res.body)).toContain('QuestionnaireResponse.item[2].answer[0].valueInteger');
    const notDue = await fhir<OperationOutcome>('POST', '/QuestionnaireResponse', { role: 'coordinator', body: checkIn(patientId, { visit: 'day1', outcome: 'improved', pgic: 2 }) });
    expect(notDue.status).toBe(409);
    const timeline = await stack.store().patientTimeline(patientId);
    expect(timeline.some((e) => e.action === 'decision_recorded')).toBe(false);
  });
  it('answers hostile and malformed resources with an OperationOutcome and a 4xx, recording no referral', async () => {
    const token = await stack.token('coordinator');
    const post = async (path: string, raw: string) => {
      const res = await fetch(`${stack.apiUrl}/fhir/R4${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' }, body: raw });
      const text = await res.text();
      return { status: res.status, body: JSON.parse(text) as OperationOutcome };
    };
    const selfReferencing = containedServiceRequest({ subject: { reference: '#self' } });
    selfReferencing.contained = [...(selfReferencing.contained ?? []), { resourceType: 'ServiceRequest', id: 'self', status: 'active', intent: 'order', subject: { reference: '#self' } } as never];
    const deep = `${'{"resourceType":"ServiceRequest","x":'.repeat(1)}${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}}`;
    const cases: [string, string][] = [
      ['/ServiceRequest', 'not json'],
      ['/ServiceRequest', '[]'],
      ['/ServiceRequest', 'null'],
      ['/ServiceRequest', JSON.stringify({ resourceType: 'Patient', name: [{ family: 'X' }] })],
      ['/ServiceRequest', JSON.stringify(containedServiceRequest()).replace('{', '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}},')],
      ['/ServiceRequest', JSON.stringify(selfReferencing)],
      ['/ServiceRequest', deep],
      ['/Bundle', JSON.stringify({ resourceType: 'Bundle', type: 'batch', entry: [] })],
      ['/Bundle', JSON.stringify({ ...referralBundle(), entry: [...(referralBundle().entry ?? []), { resource: { resourceType: 'Encounter', status: 'planned', class: { code: 'AMB' } }, request: { method: 'DELETE', url: 'Patient/1' } }] })],
      ['/QuestionnaireResponse', JSON.stringify({ resourceType: 'QuestionnaireResponse', status: 'completed', questionnaire: 'http://evil.example.org/q', subject: { reference: 'Patient/../../etc' } })],
    ];
    for (const [path, raw] of cases) {
      const res = await post(path, raw);
      expect(res.status, `${path} ${raw.slice(0, 60)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, `${path} ${raw.slice(0, 60)}`).toBeLessThan(500);
      expect(res.body.resourceType, raw.slice(0, 60)).toBe('OperationOutcome');
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(await stack.store().getReferral(selfReferencing.identifier?.[0]?.value as string)).toBeUndefined();
    const traversal = await fhir('GET', '/Task/..%2F..%2Fpatients', { role: 'physician' });
    expect(traversal.status).toBe(404);
    expect(traversal.body.resourceType).toBe('OperationOutcome');
  });
});
