// Carry a pathway over into a new execution: near Step Functions' limits (one year, 25,000
// history events), or when the reconciler finds the execution gone while the record goes on.
// The record moves first (so the new execution is the one it names), then the execution starts
// on the same state machine version; both are idempotent, so a retry finishes the job.
import { continueIn, isTerminal, type PatientRecord } from '../domain/record.js';
import { PathwayClosedError, PatientNotFoundError } from '../shared/errors.js';
import type { Deps } from '../shared/runtime.js';
import { executionArnFor } from './intake.js';
import { ctxOf, mutatePatient } from './mutate.js';

/** The input a (new) execution starts with: the step to attach to, and the stage it waits in. */
export function executionInput(p: PatientRecord, continuationFrom?: string) {
  const atIntake = p.pendingDecision === null;
  return {
    patientId: p.patientId,
    pathwayVersion: p.pathwayVersion,
    // The step the first Enter task attaches to: the stage the record waits in, or (at intake) the next.
    decision: { step: atIntake ? p.lastStep + 1 : p.lastStep },
    ...(atIntake ? {} : { resumeAt: p.stage }),
    ...(continuationFrom ? { continuation: { from: continuationFrom } } : {}),
  };
}

export async function continuePathway(deps: Deps, input: { patientId: string; executionArn: string; reason?: string }): Promise<{ executionArn: string }> {
  const current = await deps.engine.describe(input.executionArn);
  const stateMachineArn = current?.stateMachineArn || deps.stateMachineArn;
  const before = await deps.store.getPatient(input.patientId);
  if (!before) throw new PatientNotFoundError(input.patientId);
  const name = `${input.patientId}-s${before.lastStep}`;
  const executionArn = executionArnFor(stateMachineArn, name);
  const { saved } = await mutatePatient(deps, input.patientId, (p) => {
    if (!p) throw new PatientNotFoundError(input.patientId);
    if (isTerminal(p.status)) throw new PathwayClosedError(`pathway is ${p.status}`);
    return { change: continueIn(ctxOf(deps), p, executionArn), result: null };
  });
  if (!saved) throw new PatientNotFoundError(input.patientId);
  await deps.engine.start(stateMachineArn, name, executionInput(saved, input.executionArn));
  return { executionArn };
}
