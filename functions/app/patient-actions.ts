// Hold, resume and withdraw. A hold stops the clock (the pending decision's due date moves by the
// time on hold) and blocks decisions; the execution keeps waiting on the same decision. A
// withdrawal is recorded first, then handed to the engine so it closes the pathway and tells the team.
import { SendTaskSuccessCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { holdSchema, resumeSchema, withdrawSchema } from '../domain/schemas.js';
import { PATIENT_DRIVEN_HOLDS } from '../domain/vocabulary.js';
import { DAY_MS } from '../shared/clock.js';
import { conflict, notFound } from '../shared/errors.js';
import { parse, requirePatientId, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import type { Deps } from '../shared/runtime.js';
import { isTerminal } from '../store/pathway-store.js';
import { actorOf } from './actor.js';
import { mutatePatient } from './mutate.js';
import { exitCounters } from './stage-exit.js';

const shift = (iso: string | null, ms: number): string | null => (iso ? new Date(Date.parse(iso) + ms).toISOString() : null);

export async function holdPatient(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator'], 'put patients on hold');
  const req = parse(holdSchema, body, 'hold request');
  requirePatientId(patientId);
  await mutatePatient(deps, patientId, (p) => {
    if (!p) throw notFound('No such patient.');
    if (p.status === 'on_hold') throw conflict('The patient is already on hold.');
    if (p.status !== 'active') throw conflict(`The pathway is ${p.status}; it cannot be put on hold.`);
    const since = deps.clock.now().toISOString();
    const hold = { reason: req.reason, since, ...(req.note ? { note: req.note } : {}) };
    return {
      change: {
        next: { ...p, status: 'on_hold', hold },
        events: [
          {
            action: 'hold_started',
            patientId,
            stage: p.stage,
            actor: actorOf(caller, role),
            details: { reason: req.reason, patientDriven: PATIENT_DRIVEN_HOLDS.includes(req.reason), ...(req.note ? { note: req.note } : {}) },
          },
        ],
      },
      result: null,
    };
  });
  return { status: 202, body: { patientId, status: 'on_hold' } };
}

export async function resumePatient(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator'], 'resume patients');
  // An absent body is {} (the API handler says so); a JSON null is not an empty object.
  parse(resumeSchema, body === undefined ? {} : body, 'resume request');
  requirePatientId(patientId);
  await mutatePatient(deps, patientId, (p) => {
    if (!p) throw notFound('No such patient.');
    if (p.status !== 'on_hold' || !p.hold) throw conflict('The patient is not on hold.');
    const now = deps.clock.now();
    const heldMs = Math.max(0, now.getTime() - Date.parse(p.hold.since));
    const { hold, ...rest } = p;
    return {
      change: {
        next: {
          ...rest,
          status: 'active',
          holdDaysInStage: p.holdDaysInStage + heldMs / DAY_MS,
          patientHoldDaysInStage: (p.patientHoldDaysInStage ?? 0) + (PATIENT_DRIVEN_HOLDS.includes(hold.reason) ? heldMs / DAY_MS : 0),
          dueAt: shift(p.dueAt, heldMs),
          pendingDecision: p.pendingDecision ? { ...p.pendingDecision, dueAt: shift(p.pendingDecision.dueAt, heldMs) as string } : null,
        },
        events: [
          {
            action: 'hold_ended',
            patientId,
            stage: p.stage,
            actor: actorOf(caller, role),
            details: { reason: hold.reason, patientDriven: PATIENT_DRIVEN_HOLDS.includes(hold.reason), days: Number((heldMs / DAY_MS).toFixed(3)) },
          },
        ],
      },
      result: null,
    };
  });
  return { status: 202, body: { patientId, status: 'active' } };
}

export async function withdrawPatient(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator'], 'withdraw patients');
  const req = parse(withdrawSchema, body, 'withdrawal');
  requirePatientId(patientId);
  const { result } = await mutatePatient(deps, patientId, (p) => {
    if (!p) throw notFound('No such patient.');
    if (isTerminal(p.status)) throw conflict(`The pathway is already ${p.status}.`);
    const actor = actorOf(caller, role);
    const { hold: _hold, ...rest } = p;
    return {
      change: {
        // While the execution waits on a token, the withdrawal is kept as the answer to deliver,
        // so the start-up redelivery and the sweep hand it over if this request cannot.
        next: {
          ...rest,
          status: 'withdrawn',
          awaiting: null,
          dueAt: null,
          pendingDecision: null,
          decidedAt: p.taskToken ? deps.clock.now().toISOString() : null,
          decisionOutput: p.taskToken ? { control: 'withdraw' } : null,
        },
        events: [
          { action: 'withdrawn', patientId, stage: p.stage, actor, details: { reason: req.reason } },
          { action: 'status_changed', patientId, stage: p.stage, actor, details: { from: p.status, to: 'withdrawn' } },
        ],
        counters: exitCounters(p, deps.clock.now()),
      },
      result: { token: p.taskToken, executionArn: p.executionArn },
    };
  });
  await closeExecution(deps, patientId, result.token, result.executionArn);
  return { status: 202, body: { patientId, status: 'withdrawn' } };
}

/** Let the engine close the pathway (and notify); if it is not waiting, stop the execution. */
async function closeExecution(deps: Deps, patientId: string, token: string | null, executionArn: string): Promise<void> {
  try {
    if (token) {
      await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ control: 'withdraw' }) }));
      return;
    }
  } catch (err) {
    logger.warn('withdrawal handed to the engine failed; stopping the execution', { patientId, errorName: (err as Error).name });
  }
  try {
    await deps.sfn.send(new StopExecutionCommand({ executionArn, error: 'Withdrawn', cause: 'Withdrawn by a coordinator' }));
  } catch (err) {
    logger.warn('could not stop the execution after withdrawal', { patientId, errorName: (err as Error).name });
  }
}
