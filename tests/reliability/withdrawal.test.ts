// A withdrawal is recorded first and then handed to the waiting execution. When that hand-off
// never happens (the API dies between the two, as the reliability run's kill -9 can make it, or
// Step Functions refuses the call), something must hand it over later, or the execution waits
// forever on a withdrawn patient and the team is never told.
//
// The withdrawal is kept on the record as the hand-off to deliver (its announcement queued in the
// same write), and the start-up reconciliation and the sweep hand it over.
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withdrawPatient } from '../../functions/app/patient-actions.js';
import { DEFAULT_CONFIG } from '../../functions/domain/config.js';
import { CARE_PATHWAY } from '../../functions/domain/pathway.js';
import { systemClock, ulidIds } from '../../functions/shared/clock.js';
import type { Deps } from '../../functions/shared/runtime.js';
import { stepFunctionsEngine } from '../../functions/shared/sfn-engine.js';
import { LocalStackUnderTest } from '../support/local-stack.js';

let stack: LocalStackUnderTest;

beforeAll(async () => {
  // The overdue sweep (which also redelivers) every half second.
  stack = await LocalStackUnderTest.start({ LOCAL_SWEEP_INTERVAL_MS: '500' });
});
afterAll(async () => {
  await stack?.stop();
});

const local = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

describe('a withdrawal the engine never heard of', () => {
  it('is still handed to the engine later: the execution ends and the team is told', async () => {
    const { patientId, caseRef } = await stack.refer();
    const waiting = await stack.waitForPending(patientId, 'TRIAGE');
    // POST /withdraw's own code, with Step Functions out of reach after the write (as when the
    // process dies right after committing it).
    const unreachable = new SFNClient({ ...local, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const deps = { store: stack.store(), engine: await stepFunctionsEngine(unreachable), clock: systemClock, ids: ulidIds, pathway: CARE_PATHWAY, config: DEFAULT_CONFIG } as unknown as Deps;
    const res = await withdrawPatient(deps, { sub: 'c-1', email: 'coordinator@example.org', roles: ['coordinator'] }, patientId, { reason: 'Moved away' });
    expect(res.status).toBe(202);
    unreachable.destroy();
    expect((await stack.store().getPatient(patientId))?.status).toBe('withdrawn');

    // Later sweeps, and a restart of the stack, have every chance to hand it over.
    const sfn = new SFNClient({ ...local, endpoint: `http://127.0.0.1:${stack.ports.sfn}` });
    const ended = async () => (await sfn.send(new DescribeExecutionCommand({ executionArn: waiting.executionArn }))).status !== 'RUNNING';
    await new Promise((r) => setTimeout(r, 2000)); // a few sweeps
    if (!(await ended())) {
      await stack.restart(); // the start-up redelivery
      await stack.waitFor('the execution to end', ended, 8000).catch(() => undefined);
    }
    const status = (await sfn.send(new DescribeExecutionCommand({ executionArn: waiting.executionArn }))).status;
    sfn.destroy();
    expect(status, 'the execution still waits on a withdrawn patient').not.toBe('RUNNING');
    const told = (await stack.inbox()).some((m) => m.subject.includes(caseRef) && (m.body.text ?? '').includes('withdrawn'));
    expect(told, 'nobody was told of the withdrawal').toBe(true);
  });
});

describe('a referral whose pathway never started', () => {
  it('is started by the next start-up when intake died between recording it and starting it', async () => {
    const unreachable = new SFNClient({ ...local, endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
    const deps = {
      store: stack.store(),
      engine: await stepFunctionsEngine(unreachable),
      pathway: CARE_PATHWAY,
      config: DEFAULT_CONFIG,
      clock: systemClock,
      ids: ulidIds,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:CarePathway-v1',
      pathwayVersion: '1',
    } as unknown as Deps;
    const { submitReferral } = await import('../../functions/app/intake.js');
    const { referralBody } = await import('../support/fixtures.js');
    await expect(submitReferral(deps, { sub: 'c-1', email: 'coordinator@example.org', roles: ['coordinator'] }, referralBody())).rejects.toThrow();
    unreachable.destroy();
    const stalled = (await stack.store().listWorklist({ stages: ['REFERRAL'], statuses: ['active'], limit: 50 })).items;
    expect(stalled).toHaveLength(1);
    const patientId = stalled[0]?.patientId as string;
    expect((await stack.store().getPatient(patientId))?.executionStarted).toBe(false);
    await stack.restart();
    await stack.waitForPending(patientId, 'TRIAGE');
  });
});
