// Referral intake: records the patient at the intake stage (its announcement queued in the same
// transaction) and starts the pathway's execution, which opens the first stage.
// Idempotent on referralId: the same body again answers with the same ids; a different body is a
// conflict. The execution is named by the patient id (a ULID), never by anything about the patient.
import { createHash } from 'node:crypto';
import { emptyHistory } from '../domain/history.js';
import { referralSchema, type Referral } from '../domain/schemas.js';
import { monthOf } from '../shared/clock.js';
import { conflict } from '../shared/errors.js';
import { parse, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import type { Deps } from '../shared/runtime.js';
import { ConcurrentUpdateError } from '../shared/errors.js';
import type { PatientRecord } from '../domain/record.js';
import { actorOf } from './actor.js';
import { executionInput } from './continuation.js';
import { mutatePatient } from './mutate.js';
import { assertReferrerRefersAsSelf, recordReferrerLink } from './team-referrer.js';

export function referralHash(referral: Referral): string {
  return createHash('sha256').update(canonicalJson(referral)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The ARN an execution of this state machine (or of one of its versions or aliases) gets. */
export function executionArnFor(stateMachineArn: string, name: string): string {
  const [, partition, , region, account, , machine] = stateMachineArn.split(':');
  return `arn:${partition}:states:${region}:${account}:execution:${machine}:${name}`;
}

export async function submitReferral(deps: Deps, caller: Caller, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator', 'physician', 'referrer'], 'create referrals'); // referrers refer
  const referral = parse(referralSchema, body, 'referral');
  assertReferrerRefersAsSelf(caller, role, referral);
  const hash = referralHash(referral);

  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await deps.store.getReferral(referral.referralId);
    if (existing) return answerExisting(deps, existing, hash);
    const caseNumber = await deps.store.nextCaseNumber();
    const now = deps.clock.now();
    const at = now.toISOString();
    const patientId = deps.ids.next();
    const caseRef = `CSF-${at.slice(0, 4)}-${String(caseNumber).padStart(6, '0')}`;
    const intake = deps.pathway.intakeStage.id;
    const record: PatientRecord = {
      rev: 1,
      patientId,
      caseRef,
      referralId: referral.referralId,
      referralHash: hash,
      createdAt: at,
      site: referral.site,
      urgency: referral.urgency,
      patient: referral.patient,
      referringPhysician: referral.referringPhysician,
      referral: {
        symptomOnset: referral.symptomOnset,
        orthostaticPattern: referral.orthostaticPattern,
        duralPunctureWithin30Days: referral.duralPunctureWithin30Days,
        priorSpinalProcedure: referral.priorSpinalProcedure,
        urgency: referral.urgency,
        ...(referral.hit6Baseline === undefined ? {} : { hit6Baseline: referral.hit6Baseline }),
        ...(referral.notes === undefined ? {} : { notes: referral.notes }),
      },
      stage: intake,
      status: 'active',
      stageEnteredAt: at,
      dueAt: null,
      awaiting: null,
      pathwayVersion: deps.pathwayVersion,
      executionArn: executionArnFor(deps.stateMachineArn, patientId),
      executionStarted: false,
      executionFirstStep: 1,
      executionStartedAt: at,
      history: emptyHistory(referral),
      lastStep: 1,
      lastTransition: null,
      notified: { step: 0, templates: [] },
      outbox: [{ step: 1, event: { kind: 'referral_received' }, queuedAt: at }],
      pendingDecision: null,
      taskToken: null,
      decidedAt: null,
      decisionOutput: null,
      holdDaysInStage: 0,
    };
    const actor = actorOf(caller, role);
    try {
      await deps.store.savePatient(
        record,
        'new',
        [
          { action: 'referral_received', patientId, stage: intake, actor, details: { referralId: referral.referralId, site: referral.site, urgency: referral.urgency } },
          { action: 'stage_entered', patientId, stage: intake, actor, details: { from: null } },
        ],
        [
          { month: monthOf(at), item: { kind: 'funnel' }, add: { referrals: 1 } },
          { month: monthOf(at), item: { kind: 'stage', stage: intake }, add: { entered: 1 } },
        ],
      );
    } catch (err) {
      if (err instanceof ConcurrentUpdateError) continue; // a concurrent duplicate won: answer as it did
      throw err;
    }
    await startExecution(deps, record);
    await recordReferrerLink(deps, record, caller);
    return { status: 201, body: { patientId, caseRef, executionArn: record.executionArn } };
  }
  throw conflict('The referral is being recorded by another request; try again.');
}

async function answerExisting(deps: Deps, existing: { patientId: string; hash: string }, hash: string): Promise<HttpResult> {
  if (existing.hash !== hash) throw conflict('A different referral with this referralId already exists.');
  const patient = await deps.store.getPatient(existing.patientId);
  if (!patient) throw conflict('The referral is being recorded by another request; try again.');
  // A first attempt that crashed before starting the pathway is completed here.
  if (!patient.executionStarted) await startExecution(deps, patient);
  return { status: 200, body: { patientId: patient.patientId, caseRef: patient.caseRef, executionArn: patient.executionArn } };
}

export async function startExecution(deps: Deps, record: PatientRecord): Promise<void> {
  await deps.engine.start(deps.stateMachineArn, record.patientId, executionInput(record));
  await mutatePatient(deps, record.patientId, (p) => ({
    change: p && !p.executionStarted ? { next: { ...p, executionStarted: true } } : null,
    result: null,
  }));
}
