// R11 red flags end to end on the real local stack: an urgent complication recorded at any stage
// makes the case urgent, pulls the pending decision's due date in to the urgent service level,
// writes one audit event and emails the team and the site lead at once, without PHI. A retry
// changes nothing and sends nothing twice; bad input is refused and writes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStackUnderTest } from '../support/local-stack.js';

let stack: LocalStackUnderTest;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
});
afterAll(async () => {
  await stack?.stop();
});

const report = (patientId: string, body: unknown, role: 'coordinator' | 'physician' | 'administrator' = 'physician') =>
  stack.api('POST', `/patients/${patientId}/red-flags`, { role, body });
const actionsOf = async (patientId: string) => (await stack.store().patientTimeline(patientId)).map((e) => e.action);
const urgentMail = async (caseRef: string) => (await stack.inbox()).filter((e) => e.subject === `[${caseRef}] Urgent review needed`);

describe('red flags (R11)', () => {
  it('makes the case urgent, shortens the pending due date, audits once and emails the team and the site lead without PHI', async () => {
    const { patientId, caseRef, body } = await stack.refer();
    const pending = await stack.waitForPending(patientId, 'TRIAGE');

    const res = await report(patientId, { complications: ['subdural_haematoma_mass_effect'], note: 'Synthetic note: CT head shows SDH' });

    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ patientId, urgency: 'urgent', redFlags: ['subdural_haematoma_mass_effect'], notified: true });
    const saved = await stack.store().getPatient(patientId);
    expect(saved?.urgency).toBe('urgent');
    expect(Date.parse(saved?.pendingDecision?.dueAt ?? '')).toBeLessThan(Date.parse(pending.pendingDecision?.dueAt ?? ''));
    expect(Date.parse(saved?.pendingDecision?.dueAt ?? '') - Date.now()).toBeLessThanOrEqual(86_400_000);
    expect(saved?.dueAt).toBe(saved?.pendingDecision?.dueAt);
    expect((await actionsOf(patientId)).filter((a) => a === 'red_flag_recorded')).toHaveLength(1);
    const mail = await urgentMail(caseRef);
    expect(mail).toHaveLength(1);
    expect(mail[0]?.destination.to).toContain('lead.santa-clara@example.org');
    const sent = (await stack.store().patientTimeline(patientId)).find((e) => e.action === 'notification_sent' && e.details?.template === 'red_flag.urgent_review');
    expect(sent?.details?.recipients).toEqual(expect.arrayContaining(['neuroradiology.santa-clara@example.org', 'lead.santa-clara@example.org']));
    const text = `${mail[0]?.subject} ${mail[0]?.body.text} ${mail[0]?.body.html}`;
    for (const phi of [body.patient.givenName, body.patient.familyName, body.patient.mrn, body.patient.birthDate, 'SDH', 'subdural', 'haematoma']) {
      expect(text).not.toContain(phi);
    }
  });

  it('answers a retried report with the same state, records nothing new and sends no second email', async () => {
    const { patientId, caseRef } = await stack.refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    const first = await report(patientId, { complications: ['reduced_consciousness'] }, 'coordinator');
    const before = (await stack.store().patientTimeline(patientId)).length;

    const again = await report(patientId, { complications: ['reduced_consciousness'] }, 'coordinator');

    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect((await stack.store().patientTimeline(patientId)).length).toBe(before);
    expect(await urgentMail(caseRef)).toHaveLength(1);
  });

  it('refuses an unknown complication, an empty list and unknown fields with 400 and writes nothing', async () => {
    const { patientId } = await stack.refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    const before = (await stack.store().patientTimeline(patientId)).length;

    const unknown = await report(patientId, { complications: ['headache'] });
    const empty = await report(patientId, { complications: [] });
    const extra = await report(patientId, { complications: ['cerebral_venous_thrombosis'], patientName: 'x' });

    for (const res of [unknown, empty, extra]) {
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('ValidationError');
    }
    expect(unknown.body.error.issues[0].path).toBe('complications.0');
    expect(empty.body.error.issues[0].path).toBe('complications');
    expect((await stack.store().patientTimeline(patientId)).length).toBe(before);
    expect((await stack.store().getPatient(patientId))?.urgency).toBe('routine');
  });

  it('refuses administrators with 403 and an unknown patient with 404', async () => {
    const { patientId } = await stack.refer();
    expect((await report(patientId, { complications: ['brain_sagging_syndrome'] }, 'administrator')).status).toBe(403);
    expect((await report('01JABCDEFGHJKMNPQRSTVWXYZ0', { complications: ['brain_sagging_syndrome'] })).status).toBe(404);
  });
});
