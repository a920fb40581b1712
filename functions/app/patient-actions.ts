// Hold, resume and withdraw: each is one domain change saved with its audit events in one
// conditional write, so every pair of patient actions (and decisions) serialises on the record.
// A hold stops the clock and blocks decisions; the execution keeps waiting on the same token,
// and a stage entered just before the hold is announced only on resume. A withdrawal is
// announced from the outbox of its own transaction (exactly once), then handed to the engine.
import { holdSchema, reopenSchema, resumeSchema, withdrawSchema } from '../domain/schemas.js';
import { continueIn, hold, reopen, resume, withdraw } from '../domain/record.js';
import { notFound } from '../shared/errors.js';
import { parse, requirePatientId, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import type { Deps } from '../shared/runtime.js';
import { actorOf } from './actor.js';
import { asConflict, handOff } from './decisions.js';
import { executionInput } from './continuation.js';
import { executionArnFor } from './intake.js';
import { ctxOf, mutatePatient } from './mutate.js';
import { deliverOutbox } from './outbox.js';

export async function holdPatient(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator'], 'put patients on hold');
  const req = parse(holdSchema, body, 'hold request');
  requirePatientId(patientId);
  await mutatePatient(deps, patientId, (p) => {
    if (!p) throw notFound('No such patient.');
    try {
      return { change: hold(ctxOf(deps), p, req.reason, req.note, actorOf(caller, role)), result: null };
    } catch (err) {
      return asConflict(err);
    }
  });
  return { status: 202, body: { patientId, status: 'on_hold' } };
}

export async function resumePatient(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator'], 'resume patients');
  // An absent body is {} (the API handler says so); a JSON null is not an empty object.
  parse(resumeSchema, body === undefined ? {} : body, 'resume request');
  requirePatientId(patientId);
  const { saved } = await mutatePatient(deps, patientId, (p) => {
    if (!p) throw notFound('No such patient.');
    try {
      return { change: resume(ctxOf(deps), p, actorOf(caller, role)), result: null };
    } catch (err) {
      return asConflict(err);
    }
  });
  // The stage's announcement held back during the hold goes out now, unless the engine has not
  // attached yet (it delivers when it does).
  if (saved?.outbox?.length && !saved.decidedAt) await deliverOutbox(deps, saved);
  return { status: 202, body: { patientId, status: 'active' } };
}

export async function withdrawPatient(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator'], 'withdraw patients');
  const req = parse(withdrawSchema, body, 'withdrawal');
  requirePatientId(patientId);
  const { result } = await mutatePatient(deps, patientId, (p) => {
    if (!p) throw notFound('No such patient.');
    try {
      return { change: withdraw(ctxOf(deps), p, req.reason, actorOf(caller, role)), result: { token: p.taskToken } };
    } catch (err) {
      return asConflict(err);
    }
  });
  // The engine closes the pathway and delivers the announcement. A token already used by a
  // decision in flight means the engine is on its way and closes when it sees the record; an
  // execution that is gone is found by the sweep, which delivers it (never two deliverers).
  await handOff(deps, patientId, result.token, { control: 'withdraw' });
  return { status: 202, body: { patientId, status: 'withdrawn' } };
}

/**
 * Reopen a completed pathway for a recurrence: the new episode's first stage is entered and the
 * pathway goes on in a new execution (named by patient and step: no PHI). If the start is lost,
 * the reconciler finds an active record without a running execution and continues it.
 */
export async function reopenPatient(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator', 'physician'], 'reopen pathways');
  const req = parse(reopenSchema, body, 'reopen request');
  requirePatientId(patientId);
  const { saved, result } = await mutatePatient(deps, patientId, (p) => {
    if (!p) throw notFound('No such patient.');
    try {
      const ctx = ctxOf(deps);
      const opened = reopen(ctx, p, req.recurrence, actorOf(caller, role));
      const name = `${patientId}-s${opened.next.lastStep}`;
      const moved = continueIn(ctx, opened.next, executionArnFor(deps.stateMachineArn, name));
      const change = moved ? { next: moved.next, events: [...opened.events, ...moved.events], counters: opened.counters } : opened;
      return { change, result: name };
    } catch (err) {
      return asConflict(err);
    }
  });
  if (saved) await deps.engine.start(deps.stateMachineArn, result, executionInput(saved));
  return { status: 202, body: { patientId, status: 'active', stage: saved?.stage } };
}
