// End to end over HTTP against the real local servers: every route of the contract, the emails
// each transition sends, and what the audit trail records.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { acceptTriage, completeCheck, leakFound, noLeak, patchPerformed } from '../support/fixtures.js';

let stack: LocalStackUnderTest;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
});
afterAll(async () => {
  await stack?.stop();
});

const refer = (overrides: Record<string, unknown> = {}) => stack.refer(overrides);

async function decide(patientId: string, body: Record<string, unknown>, role: 'physician' | 'coordinator' = 'physician') {
  await stack.waitForPending(patientId, String(body.stage));
  const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role, body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res;
}

async function recommendedTechnique(patientId: string): Promise<string> {
  await stack.waitForPending(patientId, 'IMAGING_SELECTION');
  const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'physician' });
  return detail.body.recommendation.recommended as string;
}

async function toTreatmentPlanning(patientId: string) {
  await decide(patientId, acceptTriage());
  const technique = await recommendedTechnique(patientId);
  await decide(patientId, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
  await decide(patientId, leakFound(technique));
  return stack.waitForPending(patientId, 'TREATMENT_PLANNING');
}

async function followUp(patientId: string, visit: string, outcome: string) {
  return decide(patientId, { stage: 'FOLLOW_UP', outcome, visit, hit6: 44, pgic: 6 }, 'coordinator');
}

describe('a recurrence after a completed pathway (R9)', () => {
  it('reopens the pathway as a new episode at treatment planning, keeping the history, and refuses to reopen an open one', async () => {
    const { patientId } = await refer();
    await toTreatmentPlanning(patientId);
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
    await decide(patientId, patchPerformed);
    for (const visit of ['day1', 'week1', 'month3']) await followUp(patientId, visit, 'improved');
    await followUp(patientId, 'month12', 'resolved');
    const done = await stack.waitForStatus(patientId, 'completed');

    const invalid = await stack.api('POST', `/patients/${patientId}/reopen`, { role: 'coordinator', body: { recurrence: 'worse' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.issues[0].path).toBe('recurrence');
    const reopened = await stack.api('POST', `/patients/${patientId}/reopen`, { role: 'coordinator', body: { recurrence: 'recurrence_same_site' } });
    expect(reopened.status, reopened.text).toBe(202);

    const planning = await stack.waitForPending(patientId, 'TREATMENT_PLANNING');
    expect(planning.status).toBe('active');
    expect(planning.lastStep).toBe(done.lastStep + 1);
    expect(planning.executionArn).not.toBe(done.executionArn);
    expect(planning.history.procedures).toHaveLength(1);
    expect(planning.history.episodes?.map((e) => e.number)).toEqual([1, 2]);
    const again = await stack.api('POST', `/patients/${patientId}/reopen`, { role: 'coordinator', body: { recurrence: 'recurrence_same_site' } });
    expect(again.status).toBe(409);

    const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'physician' });
    const actions = (detail.body.timeline as { action: string }[]).map((e) => e.action);
    expect(actions.filter((a) => a === 'episode_opened')).toHaveLength(1);
    expect(detail.body.pendingDecision.stage).toBe('TREATMENT_PLANNING');
    // The pathway goes on in the new execution: the next decision is taken as usual.
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch', reason: 'Recurrence at the treated level' });
    await stack.waitForPending(patientId, 'TARGETED_PATCH');
  });
});

describe('the care pathway, end to end', () => {
  it('answers health once every part is ready', async () => {
    const res = await fetch(`${stack.apiUrl}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('carries a patient from referral through patch and four follow-up visits to completed, emailing each team', async () => {
    const { patientId, caseRef, executionArn, body } = await refer();
    expect(caseRef).toMatch(/^CSF-\d{4}-\d{6}$/);
    expect(executionArn).toContain(patientId);
    expect(executionArn).not.toContain(body.patient.familyName);

    const triage = await stack.waitForPending(patientId, 'TRIAGE');
    expect(triage.dueAt).toBeTruthy();
    const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'physician' });
    expect(detail.status).toBe(200);
    expect(detail.body.pendingDecision).toMatchObject({ stage: 'TRIAGE', allowedOutcomes: ['accept', 'decline', 'request_info'] });
    expect(detail.body.recommendation).toMatchObject({ stage: 'TRIAGE' });
    expect(detail.body.recommendation.ruleIds.length).toBeGreaterThan(0);

    await decide(patientId, acceptTriage('present'));
    const technique = await recommendedTechnique(patientId);
    const withBern = await stack.api('GET', `/patients/${patientId}`, { role: 'physician' });
    expect(withBern.body.recommendation.bernScore).toBe(8); // 2+2+2 major, 1+1 minor (no subdural fluid)
    expect(withBern.body.recommendation.bernProbability).toBe('high');
    await decide(patientId, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
    await decide(patientId, leakFound(technique));
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
    await decide(patientId, patchPerformed);
    for (const visit of ['day1', 'week1', 'month3']) await followUp(patientId, visit, 'improved');
    await followUp(patientId, 'month12', 'resolved');
    const done = await stack.waitForStatus(patientId, 'completed');
    expect(done.stage).toBe('FOLLOW_UP');

    const final = await stack.api('GET', `/patients/${patientId}`, { role: 'coordinator' });
    expect(final.body.status).toBe('completed');
    expect(final.body.pendingDecision).toBeNull();
    const actions = (final.body.timeline as { action: string; stage: string }[]).map((e) => `${e.action}:${e.stage}`);
    for (const stage of ['TRIAGE', 'IMAGING_SELECTION', 'MYELOGRAPHY', 'TREATMENT_PLANNING', 'TARGETED_PATCH', 'FOLLOW_UP']) {
      expect(actions).toContain(`stage_entered:${stage}`);
      expect(actions).toContain(`decision_recorded:${stage}`);
    }
    expect(actions).toContain('referral_received:REFERRAL');
    expect(actions.filter((a) => a.startsWith('decision_recorded:FOLLOW_UP'))).toHaveLength(4);
    expect(actions).toContain('status_changed:FOLLOW_UP');
    expect(actions).toContain('record_viewed:FOLLOW_UP');

    const mine = (await stack.inbox()).filter((e) => e.subject.includes(caseRef));
    const subjects = mine.map((e) => e.subject);
    expect(subjects.some((s) => s.includes('Triage'))).toBe(true);
    expect(subjects.some((s) => s.includes('Targeted patch'))).toBe(true);
    expect(mine.some((e) => e.destination.to.includes('neuroradiology.santa-clara@example.org'))).toBe(true);
    expect(mine.some((e) => e.destination.to.includes('neurointerventional.sacramento@example.org'))).toBe(true);
    expect(mine.some((e) => e.destination.to.includes('referrer@example.org'))).toBe(true);
    for (const email of mine) {
      const all = `${email.subject}\n${email.body.text ?? ''}\n${email.body.html ?? ''}`;
      expect(all).not.toContain(body.patient.familyName);
      expect(all).not.toContain(body.patient.givenName);
      expect(all).not.toContain(body.patient.mrn);
      expect(all).not.toContain(body.patient.birthDate);
      expect(all).toContain(`/patients/${patientId}`);
    }
    // One thread per case for the team's mail client (SES keeps References), and each email
    // named by a key of its own that a resend would repeat.
    expect(new Set(mine.map((e) => e.headers?.references))).toEqual(new Set([`<case.${patientId}@example.org>`]));
    const keys = mine.map((e) => e.headers?.notification);
    expect(keys.every((k) => typeof k === 'string' && k.startsWith(`${patientId}.`))).toBe(true);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('discharges a declined referral and tells the referring physician', async () => {
    const { patientId, caseRef } = await refer();
    await decide(patientId, { stage: 'TRIAGE', outcome: 'decline', reason: 'Alternative diagnosis: cervicogenic headache' });
    await stack.waitForStatus(patientId, 'discharged');
    const mail = (await stack.inbox()).filter((e) => e.subject.includes(caseRef) && e.destination.to.includes('referrer@example.org'));
    expect(mail.some((e) => (e.body.text ?? '').includes('discharged'))).toBe(true);
  });

  it('asks the referring physician for information and triages again', async () => {
    const { patientId, caseRef } = await refer();
    await decide(patientId, { stage: 'TRIAGE', outcome: 'request_info', reason: 'Need the outside spine MRI' });
    const again = await stack.waitForPending(patientId, 'TRIAGE');
    expect(again.lastStep).toBeGreaterThan(2);
    await stack.waitFor('request email', async () =>
      (await stack.inbox()).some((e) => e.subject.includes(caseRef) && e.destination.to.includes('referrer@example.org') && (e.body.text ?? '').includes('more information')),
    );
  });

  it('returns a negative myelogram to imaging selection with the next technique, and reviews after three', async () => {
    const { patientId } = await refer();
    await decide(patientId, acceptTriage('absent'));
    const tried: string[] = [];
    for (let i = 0; i < 3; i++) {
      const technique = await recommendedTechnique(patientId);
      expect(tried).not.toContain(technique);
      tried.push(technique);
      await decide(patientId, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
      await decide(patientId, noLeak(technique));
    }
    await stack.waitForPending(patientId, 'TREATMENT_PLANNING');
    const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'physician' });
    expect(detail.body.recommendation.recommended).toBe('empirical_patch');
  });

  it('routes treatment planning to neurosurgery, back to planning when not a candidate, and to follow-up when operated', async () => {
    const { patientId } = await refer();
    await toTreatmentPlanning(patientId);
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'neurosurgery', reason: 'Ventral microspur' });
    await decide(patientId, { stage: 'NEUROSURGICAL_ESCALATION', outcome: 'not_candidate', reason: 'Comorbidities' });
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'neurosurgery', reason: 'Re-referred after optimisation' });
    await decide(patientId, { stage: 'NEUROSURGICAL_ESCALATION', outcome: 'operated', procedure: 'ventral_repair_microspur', performedOn: '2026-11-22', preProcedureCheck: completeCheck });
    const fu = await stack.waitForPending(patientId, 'FOLLOW_UP');
    expect(fu.pendingDecision?.visit).toBe('day1');
  });

  it('sends a failed patch back to planning, a recurrence at a new site to imaging, and a lost patient out', async () => {
    const { patientId } = await refer();
    await toTreatmentPlanning(patientId);
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
    await decide(patientId, { stage: 'TARGETED_PATCH', outcome: 'not_performed', reason: 'Anticoagulated on the day' });
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
    await decide(patientId, patchPerformed);
    await followUp(patientId, 'day1', 'rebound_hypertension');
    await followUp(patientId, 'week1', 'recurrence_new_site');
    await stack.waitForPending(patientId, 'IMAGING_SELECTION');
    const p2 = await refer();
    await toTreatmentPlanning(p2.patientId);
    await decide(p2.patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
    await decide(p2.patientId, patchPerformed);
    await followUp(p2.patientId, 'day1', 'lost_to_follow_up');
    await stack.waitForStatus(p2.patientId, 'lost_to_follow_up');
  });

  it('sends an unchanged patient back to planning, and planning can repeat imaging or discharge', async () => {
    const { patientId } = await refer();
    await toTreatmentPlanning(patientId);
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
    await decide(patientId, patchPerformed);
    await followUp(patientId, 'day1', 'unchanged');
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'repeat_imaging', reason: 'Look for a second leak' });
    const technique = await recommendedTechnique(patientId);
    await decide(patientId, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
    await decide(patientId, leakFound(technique));
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'discharge', reason: 'Patient prefers conservative care' });
    await stack.waitForStatus(patientId, 'discharged');
  });
});
