// Failures the retries cannot fix: a transition the engine cannot take marks the pathway failed
// and alerts the administrators; transient ones are retried until they clear. (An email SES
// refuses for good is recorded and alerted while care goes on: tests/unit/engine.test.ts.)
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { acceptTriage, referralBody } from '../support/fixtures.js';

let stack: LocalStackUnderTest;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start({
    LOCAL_FAULTS: JSON.stringify([
      // The first patient's entry into TRIAGE fails twice on a transient error, then goes through.
      { function: 'enter-stage', error: 'TransientError', match: { stage: 'TRIAGE' }, times: 2 },
      // Entering IMAGING_SELECTION fails for good.
      { function: 'enter-stage', error: 'CorruptRecordError', match: { stage: 'IMAGING_SELECTION' } },
    ]),
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('failures', () => {
  it('retries a transient failure of the stage task and opens triage once, announced once', async () => {
    const res = await stack.api('POST', '/referrals', { role: 'coordinator', body: referralBody() });
    const { patientId, caseRef } = res.body as { patientId: string; caseRef: string };
    await stack.waitForPending(patientId, 'TRIAGE');
    const events = await stack.store().patientTimeline(patientId);
    expect(events.filter((e) => e.action === 'stage_entered' && e.stage === 'TRIAGE')).toHaveLength(1);
    const inbox = await stack.inbox();
    expect(inbox.filter((e) => e.subject === `[${caseRef}] Referral`)).toHaveLength(2);
    expect(inbox.filter((e) => e.subject.startsWith(`[${caseRef}] Triage`))).toHaveLength(1);
  });

  it('marks the pathway failed and alerts the administrators when a transition cannot be persisted', async () => {
    const res = await stack.api('POST', '/referrals', { role: 'coordinator', body: referralBody() });
    const { patientId, caseRef } = res.body as { patientId: string; caseRef: string };
    await stack.waitForPending(patientId, 'TRIAGE');
    expect((await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: acceptTriage() })).status).toBe(202);
    const failed = await stack.waitForStatus(patientId, 'failed');
    // The decision was recorded and the record entered imaging selection; the engine could not follow.
    expect(failed.stage).toBe('IMAGING_SELECTION');
    const events = await stack.store().patientTimeline(patientId);
    expect(events.find((e) => e.action === 'pathway_failed')?.details).toMatchObject({ error: 'CorruptRecordError' });
    await stack.waitFor('admin alert', async () =>
      (await stack.inbox()).some((e) => e.destination.to.includes('administrators@example.org') && e.subject.includes(caseRef) && (e.body.text ?? '').includes('stopped')),
    );
    const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'coordinator' });
    expect(detail.body.status).toBe('failed');
  });
});
