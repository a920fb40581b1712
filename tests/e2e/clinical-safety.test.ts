// Clinical safety through the API on the real local stack: the pre-procedure check is enforced
// (R12), a same-day re-patch gets its own day-1 visit from the engine (R9, recording order), the
// failure before it still counts (R6), and several leaks of one study are kept (R6).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { acceptTriage, leakFound, patchPerformed } from '../support/fixtures.js';

let stack: LocalStackUnderTest;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
});
afterAll(async () => {
  await stack?.stop();
});

async function decide(patientId: string, body: Record<string, unknown>, role: 'physician' | 'coordinator' = 'physician') {
  await stack.waitForPending(patientId, String(body.stage));
  const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role, body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
}

async function toTargetedPatch(myelogram: (technique: string) => Record<string, unknown> = leakFound): Promise<string> {
  const { patientId } = await stack.refer();
  await decide(patientId, acceptTriage());
  await stack.waitForPending(patientId, 'IMAGING_SELECTION');
  const technique = (await stack.api('GET', `/patients/${patientId}`, { role: 'physician' })).body.recommendation.recommended as string;
  await decide(patientId, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
  await decide(patientId, myelogram(technique));
  await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
  await stack.waitForPending(patientId, 'TARGETED_PATCH');
  return patientId;
}

describe('clinical safety through the API', () => {
  it('refuses a performed patch without the pre-procedure check with 400 naming each missing item, and records nothing', async () => {
    const patientId = await toTargetedPatch();
    const before = await stack.store().getPatient(patientId);
    const { preProcedureCheck: _check, ...withoutCheck } = patchPerformed;

    const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: withoutCheck });

    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path)).toEqual([
      'preProcedureCheck.anticoagulationHeldPerPlan',
      'preProcedureCheck.coagulationChecked',
      'preProcedureCheck.pregnancyExcluded',
      'preProcedureCheck.contrastAllergyReviewed',
      'preProcedureCheck.renalFunctionReviewed',
    ]);
    const after = await stack.store().getPatient(patientId);
    expect(after?.rev).toBe(before?.rev);
    expect(after?.decidedAt).toBeNull();
  });

  it('records a patch with an incomplete check when the clinician gives a reason, keeping the volume', async () => {
    const patientId = await toTargetedPatch();

    await decide(patientId, { ...patchPerformed, volumeMl: 15, preProcedureCheck: { coagulationChecked: true, overrideReason: 'Urgent: brain sagging, benefit outweighs bleeding risk' } });

    const saved = await stack.waitForPending(patientId, 'FOLLOW_UP');
    expect(saved.history.procedures[0]).toMatchObject({ volumeMl: 15, preProcedureCheck: { overrideReason: expect.stringContaining('Urgent') } });
  });

  it('waits for the day-1 visit of a same-day re-patch, and counts the failed week-1 check before it', async () => {
    const patientId = await toTargetedPatch();
    await decide(patientId, patchPerformed);
    await decide(patientId, { stage: 'FOLLOW_UP', outcome: 'improved', visit: 'day1' }, 'coordinator');
    await decide(patientId, { stage: 'FOLLOW_UP', outcome: 'worse', visit: 'week1' }, 'coordinator');
    await stack.waitForPending(patientId, 'TREATMENT_PLANNING');
    const planning = await stack.api('GET', `/patients/${patientId}`, { role: 'physician' });
    expect(planning.body.recommendation.details.failedProcedures).toBe(1);
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });

    await decide(patientId, patchPerformed); // the same performedOn as the first patch

    const pending = await stack.waitForPending(patientId, 'FOLLOW_UP');
    expect(pending.pendingDecision?.visit).toBe('day1');
    const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'coordinator' });
    expect(detail.body.recommendation).toMatchObject({ recommended: 'day1' });
    expect(detail.body.clinical.followUps.map((f: { procedureIndex: number }) => f.procedureIndex)).toEqual([0, 0]);
  });

  it('keeps every leak of a study that found several, with the contract single leak as the first', async () => {
    const patientId = await toTargetedPatch((technique) => ({
      ...leakFound(technique),
      leaks: [{ type: 'diverticulum', level: 'T4', side: 'left' }],
    }));

    const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'physician' });

    expect(detail.body.clinical.myelograms[0].leaks).toHaveLength(2);
    expect(detail.body.clinical.myelograms[0].leak).toMatchObject({ type: 'ventral_dural_tear', level: 'T7-T8' });
    expect(detail.body.recommendation.headline).toContain('T7-T8');
  });
});

