// The one task of each stage (waitForTaskToken): the execution has routed the pathway into
// `stage` at `step` and waits on `taskToken`. The record usually got there already, in the
// transaction that recorded the decision; this task delivers the stage's announcements and
// attaches the token in one more transaction (so a pending decision that can be answered has
// always been announced). The first stage (after the intake) is entered here first.
// Safe to run twice: a retry or a restart finds the step applied and only refreshes the token.
import { attachTask, isTerminal, openFirstStage } from '../domain/record.js';
import { CorruptRecordError, PathwayClosedError, PatientNotFoundError, SupersededExecutionError } from '../shared/errors.js';
import type { Deps } from '../shared/runtime.js';
import { ctxOf, mutatePatient } from './mutate.js';
import { deliverOutbox } from './outbox.js';

export interface EnterInput {
  readonly patientId: string;
  readonly stage: string;
  readonly step: number;
  readonly taskToken: string;
}

export async function enterStage(deps: Deps, input: EnterInput): Promise<{ waiting: true }> {
  const p = await deps.store.getPatient(input.patientId);
  if (!p) throw new PatientNotFoundError(input.patientId);
  if (isTerminal(p.status)) {
    // Withdrawn (or closed) while the execution was on its way here: announce, then end quietly.
    await deliverOutbox(deps, p, (cur) => ({ ...cur, taskToken: null, decidedAt: null, decisionOutput: null }));
    throw new PathwayClosedError(`pathway is ${p.status}`);
  }
  let p2 = p;
  if (p.stage === deps.pathway.intakeStage.id && p.lastStep + 1 === input.step && input.stage === deps.pathway.firstStage) {
    const { saved } = await mutatePatient(
      deps,
      p.patientId,
      (cur) => {
        if (!cur) throw new PatientNotFoundError(input.patientId);
        if (cur.lastStep + 1 !== input.step || cur.stage !== deps.pathway.intakeStage.id) return { change: null, result: null };
        return { change: openFirstStage(ctxOf(deps), cur), result: null };
      },
      { known: p },
    );
    p2 = saved ?? p;
  }
  // This stage was decided on the token of an earlier attempt of this same task: that attempt's
  // write landed but its answer was lost (a dropped connection, a timeout), so Step Functions
  // retried it with a new token and the decision's hand-off found the old one gone. The decision
  // is on record: hand it over on this attempt's token, and the next stage's task attaches as usual.
  const handOff = p2.decisionOutput;
  if (p2.decidedAt && handOff && typeof handOff.step === 'number' && handOff.step === input.step + 1) {
    await deps.engine.resume(input.taskToken, handOff);
    return { waiting: true };
  }
  const pending = p2.pendingDecision;
  if (p2.lastStep > input.step && (!pending || pending.step > input.step)) throw new SupersededExecutionError(`step ${input.step} is behind the record (${p2.lastStep})`);
  if (p2.stage !== input.stage || !pending || pending.step !== input.step) {
    throw new CorruptRecordError(`the execution entered ${input.stage} at step ${input.step}; the record is at ${p2.stage} step ${p2.lastStep}`);
  }
  // One read of the record for the whole task: the delivery starts from the copy read above.
  const { saved } = await deliverOutbox(deps, p2, (cur) => (cur.pendingDecision?.step === input.step && !isTerminal(cur.status) ? attachTask(cur, input.taskToken) : null));
  if (saved && isTerminal(saved.status)) {
    // Withdrawn while this task ran: the withdrawal's hand-off found no token; close here.
    await deliverOutbox(deps, saved, (cur) => ({ ...cur, taskToken: null, decidedAt: null, decisionOutput: null }));
    throw new PathwayClosedError(`pathway is ${saved.status}`);
  }
  return { waiting: true };
}
