// The database away and the database killed: DynamoDB Local crashes alone (the stack says so, the
// API answers 503 with Retry-After, the stack restarts it and every record is still there), and
// DynamoDB Local is killed with -9 together with the stack right after acknowledged writes
// (DynamoDB Local alone loses such writes: PLATFORM.md; the stack's write journal brings them
// back). CRASH_TRIALS sets the number of kills per kind (default 4).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptTriage } from '../support/fixtures.js';
import { LocalStackUnderTest } from '../support/local-stack.js';

const TRIALS = Number(process.env.CRASH_TRIALS ?? 4);

async function health(stack: LocalStackUnderTest): Promise<{ status: number; body: { status?: string; down?: string[] } }> {
  const res = await fetch(`${stack.apiUrl}/health`);
  return { status: res.status, body: (await res.json()) as { status?: string; down?: string[] } };
}

describe('DynamoDB Local crashes while the stack runs', () => {
  let stack: LocalStackUnderTest;
  beforeAll(async () => {
    // A longer first restart delay keeps the outage open long enough to look at it.
    stack = await LocalStackUnderTest.start({ LOCAL_DYNAMODB_RESTART_DELAY_MS: '4000' });
  });
  afterAll(async () => stack?.stop());

  it('answers 503 naming dynamodb while it is down, restarts it, and keeps every record', async () => {
    const { patientId } = await stack.refer();
    const before = await stack.api('GET', `/patients/${patientId}`, { role: 'coordinator' });
    expect(before.status).toBe(200);

    const killed = stack.killDynamoDb();
    await stack.waitFor('the crash to be noticed', async () => (await health(stack)).status === 503);

    const down = await health(stack);
    expect(down.body.down).toEqual(['dynamodb']);
    const during = await stack.api('GET', `/patients/${patientId}`, { role: 'coordinator' });
    expect(during.status).toBe(503);
    expect(during.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(during.body.error.code).toBe('ServiceUnavailable');

    await stack.waitFor('DynamoDB Local to be restarted', async () => (await health(stack)).status === 200, 90_000);
    expect(stack.dynamodbPid()).not.toBe(killed);
    expect(stack.logs()).toMatch(/DynamoDB Local exited \(SIGKILL\); restarting/);
    expect(stack.logs()).toMatch(/DynamoDB Local restarted/);
    const after = await stack.api('GET', `/patients/${patientId}`, { role: 'coordinator' });
    expect(after.status).toBe(200);
    expect(after.body.caseRef).toBe(before.body.caseRef);
  }, 180_000);
});

describe('DynamoDB Local killed with -9 together with the stack, right after acknowledged writes', () => {
  let stack: LocalStackUnderTest;
  beforeAll(async () => {
    stack = await LocalStackUnderTest.start();
  });
  afterAll(async () => {
    console.log(`CRASH-DURABILITY kills=${2 * TRIALS} referrals-lost=${lost.referrals} decisions-lost=${lost.decisions} writes-restored-by-the-journal=${restored}`);
    await stack?.stop();
  });
  const lost = { referrals: 0, decisions: 0 };
  /** Writes DynamoDB Local had lost and the journal put back, as the stack reports on start-up. */
  let restored = 0;
  const rebootAfterKill = async () => {
    await stack.kill9WithDatabase();
    await stack.boot();
    restored += Number(/(\d+) of them had been lost/.exec(stack.logs())?.[1] ?? 0);
    // The engine's checkpoints never run ahead of the record (the record lost nothing).
    expect(stack.logs()).not.toMatch(/AHEAD of their record/);
  };

  it('loses no referral answered 201', async () => {
    const acknowledged: string[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const { patientId } = await stack.refer();
      acknowledged.push(patientId);
      await rebootAfterKill();
    }
    for (const patientId of acknowledged) if (!(await stack.store().getPatient(patientId))) lost.referrals++;
    expect(lost.referrals).toBe(0);
  }, 600_000);

  it('loses no decision answered 202', async () => {
    const acknowledged: string[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const { patientId } = await stack.refer();
      await stack.waitForPending(patientId, 'TRIAGE');
      const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: acceptTriage() });
      expect(res.status).toBe(202);
      acknowledged.push(patientId);
      await rebootAfterKill();
    }
    for (const patientId of acknowledged) {
      const timeline = await stack.store().patientTimeline(patientId);
      if (!timeline.some((e) => e.action === 'decision_recorded' && e.stage === 'TRIAGE')) lost.decisions++;
    }
    expect(lost.decisions).toBe(0);
  }, 600_000);
});
