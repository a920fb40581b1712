// Two identical decisions sent at once: the loser of the conditional write retries against the
// record as it is now. If the engine has meanwhile opened the next round of the SAME stage
// (TRIAGE again after request_info, the next FOLLOW_UP visit), the retry must not be taken as a
// decision for that new round: it is the duplicate of one already recorded, so 409.
// Deterministic: the store is scripted to interleave exactly so.
import { describe, expect, it } from 'vitest';
import { submitDecision } from '../../functions/app/decisions.js';
import { DEFAULT_CONFIG } from '../../functions/domain/config.js';
import { emptyHistory } from '../../functions/domain/history.js';
import { CARE_PATHWAY } from '../../functions/domain/pathway.js';
import { systemClock, ulidIds } from '../../functions/shared/clock.js';
import { ApiError, ConcurrentUpdateError } from '../../functions/shared/errors.js';
import type { Deps } from '../../functions/shared/runtime.js';
import type { PatientRecord } from '../../functions/store/pathway-store.js';

const ID = '01JCSFRACE000000000000000A';

function waitingOnTriage(step: number, rev: number): PatientRecord {
  return {
    rev,
    patientId: ID,
    caseRef: 'CSF-2026-000001',
    referralId: 'REF-RACE',
    referralHash: 'h',
    createdAt: '2026-11-01T00:00:00.000Z',
    site: 'santa-clara',
    urgency: 'routine',
    patient: { mrn: 'SYN1', givenName: 'Testina', familyName: 'Synthetica', birthDate: '1984-03-14', sex: 'female' },
    referringPhysician: { name: 'Dr. Example', email: 'referrer@example.org' },
    referral: { symptomOnset: '2026-10-01', orthostaticPattern: 'classic_immediate', duralPunctureWithin30Days: false, priorSpinalProcedure: false, urgency: 'routine' },
    stage: 'TRIAGE',
    status: 'active',
    stageEnteredAt: '2026-11-01T00:00:00.000Z',
    dueAt: '2026-11-08T00:00:00.000Z',
    awaiting: { stage: 'TRIAGE', role: 'physician' },
    pathwayVersion: '1',
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:CarePathway:${ID}`,
    executionStarted: true,
    history: emptyHistory({ orthostaticPattern: 'classic_immediate', duralPunctureWithin30Days: false, priorSpinalProcedure: false, urgency: 'routine' }),
    lastStep: step,
    lastTransition: null,
    notified: { step, templates: [] },
    pendingDecision: { id: `pd-${step}`, stage: 'TRIAGE', allowedOutcomes: ['accept', 'decline', 'request_info'], dueAt: '2026-11-08T00:00:00.000Z', createdAt: '2026-11-01T00:00:00.000Z', step },
    taskToken: `token-${step}`,
    decidedAt: null,
    decisionOutput: null,
    holdDaysInStage: 0,
  };
}

describe('a duplicate decision that loses the write race', () => {
  it('is refused with 409 when the engine has already opened the next round of the same stage, and records nothing', async () => {
    // First read: triage round at step 2. The write loses to the twin request. By the time the
    // retry reads again, the twin's request_info took the pathway to a new triage round (step 4).
    const reads = [waitingOnTriage(2, 5), waitingOnTriage(4, 9)];
    const saved: PatientRecord[] = [];
    let writes = 0;
    const sent: unknown[] = [];
    const deps = {
      store: {
        getPatient: async () => reads.shift() ?? waitingOnTriage(4, 9),
        savePatient: async (next: PatientRecord) => {
          writes += 1;
          if (writes === 1) throw new ConcurrentUpdateError('patient record changed concurrently');
          saved.push(next);
          return [];
        },
      },
      engine: { resume: async (token: string) => void sent.push(token) },
      pathway: CARE_PATHWAY,
      clock: systemClock,
      ids: ulidIds,
      config: DEFAULT_CONFIG,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:CarePathway',
      pathwayVersion: '1',
    } as unknown as Deps;
    const caller = { sub: 'dr-1', email: 'dr@example.org', roles: ['physician' as const] };

    const outcome = await submitDecision(deps, caller, ID, { stage: 'TRIAGE', outcome: 'request_info', reason: 'Need the outside MRI' }).then(
      (r) => r.status,
      (e: unknown) => (e instanceof ApiError ? e.status : e),
    );
    expect(outcome).toBe(409);
    expect(saved).toEqual([]);
    expect(sent).toEqual([]);
  });
});
