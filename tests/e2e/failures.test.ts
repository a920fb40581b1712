// Failures the retries cannot fix: a broken email is recorded and alerted while care goes on; a
// broken transition marks the pathway failed and alerts the administrators.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { acceptTriage, referralBody } from '../support/fixtures.js';

let stack: LocalStackUnderTest;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start({
    LOCAL_FAULTS: JSON.stringify([
      // SES refuses the emails of the first patient's transition into TRIAGE (step 2).
      { function: 'notify-team', error: 'MailRejectedError', match: { step: 2 }, times: 1 },
      // Throttling on the referral announcement (step 1) that clears after two tries.
      { function: 'notify-team', error: 'MailThrottledError', match: { step: 1 }, times: 2 },
      // A transition into IMAGING_SELECTION fails for good.
      { function: 'persist-transition', error: 'CorruptRecordError', match: { to: { stage: 'IMAGING_SELECTION' } } },
    ]),
  });
});
afterAll(async () => {
  await stack?.stop();
});

describe('failures', () => {
  it('records an undeliverable email, alerts the administrators, and still opens triage', async () => {
    const res = await stack.api('POST', '/referrals', { role: 'coordinator', body: referralBody() });
    const { patientId, caseRef } = res.body as { patientId: string; caseRef: string };
    await stack.waitForPending(patientId, 'TRIAGE');
    const actions = (await stack.store().patientTimeline(patientId)).map((e) => e.action);
    expect(actions).toContain('notification_failed');
    const inbox = await stack.inbox();
    // The throttled referral emails arrived once each after the retries.
    expect(inbox.filter((e) => e.subject === `[${caseRef}] Referral`)).toHaveLength(2);
    expect(inbox.some((e) => e.destination.to.includes('administrators@example.org') && e.subject.includes(caseRef))).toBe(true);
  });

  it('marks the pathway failed and alerts the administrators when a transition cannot be persisted', async () => {
    const res = await stack.api('POST', '/referrals', { role: 'coordinator', body: referralBody() });
    const { patientId, caseRef } = res.body as { patientId: string; caseRef: string };
    await stack.waitForPending(patientId, 'TRIAGE');
    expect((await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: acceptTriage() })).status).toBe(202);
    const failed = await stack.waitForStatus(patientId, 'failed');
    expect(failed.stage).toBe('TRIAGE');
    const events = await stack.store().patientTimeline(patientId);
    expect(events.find((e) => e.action === 'pathway_failed')?.details).toMatchObject({ error: 'CorruptRecordError' });
    await stack.waitFor('admin alert', async () =>
      (await stack.inbox()).some((e) => e.destination.to.includes('administrators@example.org') && e.subject.includes(caseRef) && (e.body.text ?? '').includes('stopped')),
    );
    const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'coordinator' });
    expect(detail.body.status).toBe('failed');
  });
});
