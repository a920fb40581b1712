// Decision submission: validated per stage (the stage's schema from the pathway definition),
// checked against the caller's role and team and against the pending decision it answers
// (`pendingDecisionId` in the body or an If-Match header), then recorded together with the move
// to the destination in one conditional write: of two decisions sent at once exactly one wins,
// the other gets 409. The execution is then handed the outcome on the waiting task's token.
import * as z from 'zod';
import { checkDecision, recommendationFor } from '../domain/decision-checks.js';
import { deciderTeams, decisionStageIds, mayRecordDecision, stageOf, type DecisionBody } from '../domain/pathway.js';
import { PathwayRuleError, recordDecision, type HandOff } from '../domain/record.js';
import { conflict, forbidden, notFound, StaleDecisionError, validationError } from '../shared/errors.js';
import { parse, requirePatientId, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import type { Deps } from '../shared/runtime.js';
import { actorOf } from './actor.js';
import { ctxOf, mutatePatient } from './mutate.js';

export interface DecisionRequest {
  /** The caller's physician team (`custom:team`), when the token carries one. */
  readonly team?: string;
  /** The pending decision id from an If-Match header (quotes and W/ allowed). */
  readonly ifMatch?: string;
}

/** A domain refusal as the contract's 409. */
export function asConflict(err: unknown): never {
  if (err instanceof PathwayRuleError) throw err.reason === 'stale' ? new StaleDecisionError(err.message) : conflict(err.message);
  throw err;
}

export async function submitDecision(deps: Deps, caller: Caller, patientId: string, body: unknown, request: DecisionRequest = {}): Promise<HttpResult> {
  const stages = decisionStageIds(deps.pathway) as [string, ...string[]];
  const envelope = parse(z.looseObject({ stage: z.enum(stages), outcome: z.string() }), body, 'decision');
  const stageDef = stageOf(deps.pathway, envelope.stage);
  const role = requireRole(caller, stageDef.deciders, `record ${stageDef.label.toLowerCase()} decisions`);
  if (!mayRecordDecision(deps.pathway, deps.config, stageDef.id, [role], request.team)) {
    throw forbidden(`Only physicians of ${(deciderTeams(deps.config, stageDef.id) ?? []).join(', ')} may record ${stageDef.label.toLowerCase()} decisions.`);
  }
  const decision = parse(stageDef.schema, body, 'decision') as DecisionBody;
  requirePatientId(patientId);
  const ifMatch = request.ifMatch?.replace(/^W\//, '').replace(/^"|"$/g, '');
  const answering = (typeof decision.pendingDecisionId === 'string' ? decision.pendingDecisionId : undefined) ?? ifMatch;
  if (ifMatch && typeof decision.pendingDecisionId === 'string' && ifMatch !== decision.pendingDecisionId) {
    throw validationError('The decision is invalid.', [{ path: 'pendingDecisionId', message: 'must equal the If-Match header' }]);
  }

  // The pending decision this request first saw: a retry after losing the write race must not
  // answer a newer round of the same stage (a loop back to it, the next follow-up visit).
  let seen: string | undefined;
  const { result } = await mutatePatient(deps, patientId, (p) => {
    if (!p) throw notFound('No such patient.');
    seen ??= p.pendingDecision?.id;
    const expected = answering ?? seen;
    try {
      const ctx = ctxOf(deps);
      const issues = p.pendingDecision?.stage === stageDef.id ? checkDecision(p.history, p.pendingDecision as never, decision as never, deps.config) : [];
      const rec = stageDef.recommends ? recommendationFor(deps.config, stageDef.id as never, p.history) : null;
      const changed = recordDecision(ctx, p, { ...decision, pendingDecisionId: expected }, actorOf(caller, role), {
        ...(rec ? { recommended: rec.recommended, overridesRecommendation: stageDef.overridesRecommendation?.(decision, rec.recommended) ?? false } : {}),
        ...auditedFields(decision),
      });
      if (issues.length > 0) throw validationError('The decision is invalid.', issues);
      return { change: changed, result: { token: p.taskToken, handOff: changed.handOff } };
    } catch (err) {
      if (err instanceof PathwayRuleError && err.reason === 'stale' && answering === undefined) {
        throw conflict(`The ${stageDef.label.toLowerCase()} decision has already been recorded.`);
      }
      return asConflict(err);
    }
  });

  await handOff(deps, patientId, result.token, result.handOff);
  return { status: 202, body: { patientId, stage: stageDef.id, outcome: decision.outcome } };
}

/** Fields of a decision the audit trail keeps beside the outcome (no clinical findings). */
function auditedFields(d: DecisionBody): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['reason', 'technique', 'visit', 'procedure'] as const) if (d[key] !== undefined && d[key] !== '') out[key] = d[key];
  return out;
}

/** Resume the execution. If that fails the hand-off stays recorded and the sweep delivers it. */
export async function handOff(deps: Deps, patientId: string, token: string | null, output: HandOff | Record<string, unknown>): Promise<boolean> {
  if (!token) return false;
  try {
    await deps.engine.resume(token, output);
    return true;
  } catch (err) {
    logger.warn('recorded but not yet handed to the engine', { patientId, errorName: (err as Error).name });
    return false;
  }
}
