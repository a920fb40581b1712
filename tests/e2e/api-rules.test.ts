// End to end over HTTP: bad, duplicate, concurrent and unauthorised input changes nothing;
// holds stop the clock; withdrawals close the pathway; reads are audited; metrics add up; and a
// pathway waiting on a decision survives kill -9 of the whole stack.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { acceptTriage, referralBody } from '../support/fixtures.js';

let stack: LocalStackUnderTest;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
});
afterAll(async () => {
  await stack?.stop();
});

const refer = (overrides: Record<string, unknown> = {}) => stack.refer(overrides);

const auditCount = async (patientId: string) => (await stack.store().patientTimeline(patientId)).length;

describe('referrals', () => {
  it('answers the same referral again with the same ids and starts no second pathway', async () => {
    const body = referralBody();
    const first = await stack.api('POST', '/referrals', { role: 'coordinator', body });
    const second = await stack.api('POST', '/referrals', { role: 'physician', body });
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    const list = await stack.store().getReferral(body.referralId);
    expect(list?.patientId).toBe(first.body.patientId);
  });

  it('refuses a different referral under an existing referralId with 409', async () => {
    const body = referralBody();
    await stack.api('POST', '/referrals', { role: 'coordinator', body });
    const res = await stack.api('POST', '/referrals', { role: 'coordinator', body: { ...body, urgency: 'urgent' } });
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('Conflict');
  });

  it('records exactly one patient when the same referral arrives five times at once', async () => {
    const body = referralBody();
    const results = await Promise.all(Array.from({ length: 5 }, () => stack.api('POST', '/referrals', { role: 'coordinator', body })));
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.every((r) => r.status === 201 || r.status === 200)).toBe(true);
    expect(new Set(results.map((r) => r.body.patientId)).size).toBe(1);
  });

  it('rejects an invalid referral with field-level issues and writes nothing', async () => {
    const body = referralBody({ site: 'atlantis', patient: { mrn: '', givenName: 'A', familyName: 'B', birthDate: '2999-01-01', sex: 'x' }, extra: 1 });
    const res = await stack.api('POST', '/referrals', { role: 'coordinator', body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('ValidationError');
    const paths = (res.body.error.issues as { path: string }[]).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['site', 'patient.mrn', 'patient.birthDate', 'patient.sex']));
    expect(await stack.store().getReferral(body.referralId)).toBeUndefined();
  });

  it('refuses malformed JSON, a wrong content type and an oversized body', async () => {
    expect((await stack.api('POST', '/referrals', { role: 'coordinator', raw: '{"referralId":' })).status).toBe(400);
    expect((await stack.api('POST', '/referrals', { role: 'coordinator', raw: JSON.stringify(referralBody()), contentType: 'text/plain' })).status).toBe(415);
    expect((await stack.api('POST', '/referrals', { role: 'coordinator', body: referralBody({ notes: 'x'.repeat(70_000) }) })).status).toBe(413);
  });

  it('answers 401 without a valid token and 403 to a role that may not refer', async () => {
    expect((await stack.api('POST', '/referrals', { body: referralBody() })).status).toBe(401);
    expect((await stack.api('POST', '/referrals', { token: 'not.a.jwt', body: referralBody() })).status).toBe(401);
    const res = await stack.api('POST', '/referrals', { role: 'administrator', body: referralBody() });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('Forbidden');
  });
});

describe('decisions', () => {
  it('refuses a decision for another stage with 409 and a coordinator triage with 403, changing nothing', async () => {
    const { patientId } = await refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    const before = await auditCount(patientId);
    const wrongStage = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: { stage: 'TREATMENT_PLANNING', outcome: 'discharge', reason: 'x' } });
    expect(wrongStage.status).toBe(409);
    const wrongRole = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'coordinator', body: acceptTriage() });
    expect(wrongRole.status).toBe(403);
    const invalid = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: { stage: 'TRIAGE', outcome: 'accept' } });
    expect(invalid.status).toBe(400);
    expect((invalid.body.error.issues as { path: string }[]).map((i) => i.path)).toEqual(expect.arrayContaining(['brainMri', 'spineMri', 'ichd3']));
    expect(await auditCount(patientId)).toBe(before);
    expect((await stack.store().getPatient(patientId))?.decidedAt).toBeNull();
    // The patient view tells each caller beforehand, by the decision service's own rule.
    expect((await stack.api('GET', `/patients/${patientId}`, { role: 'coordinator' })).body.pendingDecision.mayDecide).toBe(false);
    expect((await stack.api('GET', `/patients/${patientId}`, { role: 'physician' })).body.pendingDecision.mayDecide).toBe(true);
  });

  it('lets exactly one of two simultaneous decisions win, and refuses the repeat with 409', async () => {
    const { patientId } = await refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    const [a, b] = await Promise.all([
      stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: acceptTriage() }),
      stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: { stage: 'TRIAGE', outcome: 'decline', reason: 'Other diagnosis' } }),
    ]);
    expect([a?.status, b?.status].sort()).toEqual([202, 409]);
    const again = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: acceptTriage() });
    expect(again.status).toBe(409);
    const decisions = (await stack.store().patientTimeline(patientId)).filter((e) => e.action === 'decision_recorded');
    expect(decisions).toHaveLength(1);
  });

  it('answers 404 for an unknown patient', async () => {
    const res = await stack.api('POST', '/patients/01ARZ3NDEKTSV4RRFFQ69G5FAV/decisions', { role: 'physician', body: acceptTriage() });
    expect(res.status).toBe(404);
  });
});

describe('hold, resume and withdraw', () => {
  it('stops the clock on hold, refuses decisions while held, and moves the due date on resume', async () => {
    const { patientId } = await refer();
    const pending = await stack.waitForPending(patientId, 'TRIAGE');
    const hold = await stack.api('POST', `/patients/${patientId}/hold`, { role: 'coordinator', body: { reason: 'travel', note: 'Abroad for two weeks' } });
    expect(hold.status).toBe(202);
    expect((await stack.api('POST', `/patients/${patientId}/hold`, { role: 'coordinator', body: { reason: 'travel' } })).status).toBe(409);
    expect((await stack.api('POST', `/patients/${patientId}/hold`, { role: 'coordinator', body: { reason: 'holiday' } })).status).toBe(400);
    expect((await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: acceptTriage() })).status).toBe(409);
    const held = await stack.api('GET', `/patients?status=on_hold`, { role: 'coordinator' });
    expect(held.body.items.map((i: { patientId: string }) => i.patientId)).toContain(patientId);
    await new Promise((r) => setTimeout(r, 300));
    expect((await stack.api('POST', `/patients/${patientId}/resume`, { role: 'coordinator', body: {} })).status).toBe(202);
    const resumed = await stack.waitForPending(patientId, 'TRIAGE');
    expect(Date.parse(resumed.dueAt ?? '')).toBeGreaterThanOrEqual(Date.parse(pending.dueAt ?? '') + 250);
    const actions = (await stack.store().patientTimeline(patientId)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['hold_started', 'hold_ended']));
    expect((await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: acceptTriage() })).status).toBe(202);
  });

  it('withdraws a waiting patient, closes the pathway, tells the team, and refuses a second withdrawal', async () => {
    const { patientId, caseRef } = await refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    expect((await stack.api('POST', `/patients/${patientId}/withdraw`, { role: 'physician', body: { reason: 'x' } })).status).toBe(403);
    expect((await stack.api('POST', `/patients/${patientId}/withdraw`, { role: 'coordinator', body: {} })).status).toBe(400);
    const res = await stack.api('POST', `/patients/${patientId}/withdraw`, { role: 'coordinator', body: { reason: 'Patient moved out of area' } });
    expect(res.status).toBe(202);
    await stack.waitFor('withdrawal email', async () => (await stack.inbox()).some((e) => e.subject.includes(caseRef) && (e.body.text ?? '').includes('withdrawn')));
    expect((await stack.api('POST', `/patients/${patientId}/withdraw`, { role: 'coordinator', body: { reason: 'again' } })).status).toBe(409);
    const actions = (await stack.store().patientTimeline(patientId)).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['withdrawn', 'status_changed']));
  });
});

describe('queries, metrics and audit', () => {
  it('lists the worklist by stage and site with pages, and answers 400 to a bad filter', async () => {
    const a = await refer({ site: 'roseville-sacramento' });
    const b = await refer({ site: 'roseville-sacramento' });
    await stack.waitForPending(a.patientId, 'TRIAGE');
    await stack.waitForPending(b.patientId, 'TRIAGE');
    const page1 = await stack.api('GET', '/patients?stage=TRIAGE&site=roseville-sacramento&limit=1', { role: 'physician' });
    expect(page1.status).toBe(200);
    expect(page1.body.items).toHaveLength(1);
    expect(page1.body.items[0]).toMatchObject({ stage: 'TRIAGE', site: 'roseville-sacramento', overdue: false, awaiting: { stage: 'TRIAGE', role: 'physician' } });
    expect(page1.body.nextToken).toBeTruthy();
    const page2 = await stack.api('GET', `/patients?stage=TRIAGE&site=roseville-sacramento&limit=1&nextToken=${page1.body.nextToken}`, { role: 'physician' });
    expect(page2.body.items[0].patientId).not.toBe(page1.body.items[0].patientId);
    expect((await stack.api('GET', '/patients?stage=NOPE', { role: 'physician' })).status).toBe(400);
    expect((await stack.api('GET', '/patients', { role: 'administrator' })).status).toBe(403);
  });

  it('audits every read of a patient record with who and when', async () => {
    const { patientId } = await refer();
    await stack.api('GET', `/patients/${patientId}`, { role: 'physician', email: 'dr.reader@example.org' });
    const audit = await stack.api('GET', `/audit?patientId=${patientId}`, { role: 'administrator' });
    expect(audit.status).toBe(200);
    const views = (audit.body.items as { action: string; actor: { email: string; role: string } }[]).filter((e) => e.action === 'record_viewed');
    expect(views[0]?.actor).toMatchObject({ email: 'dr.reader@example.org', role: 'physician' });
    expect((await stack.api('GET', `/audit?patientId=${patientId}`, { role: 'coordinator' })).status).toBe(403);
  });

  it('reports throughput from counters as JSON and CSV, to administrators only', async () => {
    const month = new Date().toISOString().slice(0, 7);
    const res = await stack.api('GET', `/metrics/throughput?from=${month}&to=${month}`, { role: 'administrator' });
    expect(res.status).toBe(200);
    expect(res.body.months[0].funnel.referrals).toBeGreaterThan(0);
    const referralsInAudit = (await stack.api('GET', `/audit?limit=200`, { role: 'administrator' })).body.items.filter((e: { action: string }) => e.action === 'referral_received').length;
    expect(res.body.months[0].funnel.referrals).toBeGreaterThanOrEqual(Math.min(referralsInAudit, 1));
    const csv = await stack.api('GET', `/metrics/throughput?from=${month}&to=${month}&format=csv`, { role: 'administrator' });
    expect(csv.headers.get('content-type')).toContain('text/csv');
    expect(csv.text.split('\n')[0]).toBe('month,measure,unit,stage,breakdown,value');
    expect((await stack.api('GET', `/metrics/throughput?from=${month}&to=2020-01`, { role: 'administrator' })).status).toBe(400);
    expect((await stack.api('GET', `/metrics/throughput?from=${month}&to=${month}`, { role: 'physician' })).status).toBe(403);
  });
});

describe('restart', () => {
  it('resumes a pathway waiting on a decision after kill -9 of the whole stack', async () => {
    const { patientId } = await refer();
    const before = await stack.waitForPending(patientId, 'TRIAGE');
    await stack.restart();
    const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: acceptTriage() });
    expect(res.status).toBe(202);
    const after = await stack.waitForPending(patientId, 'IMAGING_SELECTION');
    expect(after.lastStep).toBeGreaterThan(before.lastStep);
    const entered = (await stack.store().patientTimeline(patientId)).filter((e) => e.action === 'stage_entered' && e.stage === 'TRIAGE');
    expect(entered).toHaveLength(1);
  });
});
