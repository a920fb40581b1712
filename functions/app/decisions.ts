// Decision submission: validated per stage, checked against the caller's role and the pending
// decision, recorded with its audit event in one conditional write (so of two decisions sent at
// once exactly one wins), then handed to the waiting execution.
import { SendTaskSuccessCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { checkDecision } from '../domain/decision-checks.js';
import { applyDecision } from '../domain/history.js';
import { decisionEnvelopeSchema, decisionSchemas, type Decision } from '../domain/schemas.js';
import { DECIDERS, DECISION_STAGES, type DecisionStage } from '../domain/vocabulary.js';
import { monthOf } from '../shared/clock.js';
import { conflict, notFound, validationError } from '../shared/errors.js';
import { parse, requirePatientId, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import type { Deps } from '../shared/runtime.js';
import type { CounterIncrement, PatientRecord } from '../store/pathway-store.js';
import { isTerminal } from '../store/pathway-store.js';
import { actorOf, recommendationFor } from './actor.js';
import { mutatePatient } from './mutate.js';

export async function submitDecision(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const envelope = parse(decisionEnvelopeSchema, body, 'decision');
  const stage = envelope.stage as DecisionStage;
  const role = requireRole(caller, DECIDERS[stage], `record ${stage} decisions`);
  const decision = parse(decisionSchemas[stage], body, 'decision') as Decision;
  requirePatientId(patientId);

  // The decision answers the pending decision this request first saw. If the write loses a race
  // and is retried, a different pending decision (the engine may already have moved on to the
  // next round of the same stage, e.g. TRIAGE after request_info or the next FOLLOW_UP visit)
  // must not take it: a concurrent duplicate is a conflict, not a second decision.
  let answering: number | undefined;
  const { result } = await mutatePatient(deps, patientId, (p) => {
    if (!p) throw notFound('No such patient.');
    if (answering !== undefined && p.pendingDecision?.step !== answering) throw conflict(`The ${stage} decision has already been recorded.`);
    refuseUnlessPending(p, stage);
    answering ??= p.pendingDecision?.step;
    const issues = checkDecision(p.history, p.pendingDecision, decision, deps.config);
    if (issues.length > 0) throw validationError('The decision is invalid.', issues);
    const now = deps.clock.now();
    const { history, facts } = applyDecision(p.history, decision, deps.config, now);
    const rec = recommendationFor(deps.config, stage, p.history);
    const output = { stage, outcome: decision.outcome, facts };
    const overrides = stage === 'IMAGING_SELECTION' ? decision.outcome === 'override' : OUTCOME_RECOMMENDING_STAGES.has(stage) && rec.recommended !== decision.outcome;
    return {
      change: {
        next: { ...p, history, decidedAt: now.toISOString(), decisionOutput: output },
        events: [
          {
            action: 'decision_recorded',
            patientId,
            stage,
            actor: actorOf(caller, role),
            details: {
              outcome: decision.outcome,
              recommended: rec.recommended,
              overridesRecommendation: overrides,
              ...('reason' in decision && decision.reason ? { reason: decision.reason } : {}),
              ...('technique' in decision ? { technique: decision.technique } : {}),
              ...('visit' in decision ? { visit: decision.visit } : {}),
              ...('procedure' in decision && decision.procedure ? { procedure: decision.procedure } : {}),
            },
          },
        ],
        counters: decisionCounters(p, decision, now.toISOString()),
      },
      result: { token: p.taskToken, output },
    };
  });

  await deliver(deps, patientId, result.token, result.output);
  return { status: 202, body: { patientId, stage, outcome: decision.outcome } };
}

/** Stages whose recommendation names an outcome (others recommend a technique or a visit). */
const OUTCOME_RECOMMENDING_STAGES = new Set<DecisionStage>(['TRIAGE', 'TREATMENT_PLANNING']);

function refuseUnlessPending(p: PatientRecord, stage: DecisionStage): void {
  if (isTerminal(p.status)) throw conflict(`The pathway is ${p.status}; no decision is pending.`);
  if (p.status === 'on_hold') throw conflict('The patient is on hold; resume the pathway before recording a decision.');
  const pending = p.pendingDecision;
  if (!pending || !p.taskToken) throw conflict('No decision is pending for this patient right now.');
  if (pending.stage !== stage) throw conflict(`The pending decision is for ${pending.stage}, not ${stage}.`);
  if (p.decidedAt) throw conflict(`The ${stage} decision has already been recorded.`);
}

/** Funnel, localisation yield and outcomes, counted once with the decision that creates them. */
function decisionCounters(p: PatientRecord, d: Decision, at: string): CounterIncrement[] {
  const month = monthOf(at);
  const out: CounterIncrement[] = [];
  if (d.stage === 'TRIAGE' && d.outcome === 'accept') out.push({ month, item: { kind: 'funnel' }, add: { accepted: 1 } });
  if (d.stage === 'MYELOGRAPHY') {
    const found = d.outcome === 'leak_found' ? 1 : 0;
    out.push({ month, item: { kind: 'funnel' }, add: { myelographies: 1, localised: found } });
    const slec = p.history.triage?.spineMri.slec ?? 'unknown';
    out.push({ month, item: { kind: 'yield' }, add: { [`${d.technique}|${slec}|studies`]: 1, [`${d.technique}|${slec}|localised`]: found } });
  }
  if ((d.stage === 'TARGETED_PATCH' && d.outcome === 'performed') || (d.stage === 'NEUROSURGICAL_ESCALATION' && d.outcome === 'operated')) {
    out.push({ month, item: { kind: 'funnel' }, add: { treated: 1 } });
  }
  if (d.stage === 'FOLLOW_UP') {
    const procedure = p.history.procedures.at(-1)?.procedure ?? 'none';
    out.push({ month, item: { kind: 'outcomes' }, add: { [`${procedure}|${d.visit}|${d.outcome}`]: 1 } });
  }
  return out;
}

/** Resume the execution. If that fails the decision stays recorded and a sweep redelivers it. */
export async function deliver(deps: Deps, patientId: string, token: string | null, output: unknown): Promise<true | string> {
  if (!token) return 'NoToken';
  try {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
    return true;
  } catch (err) {
    logger.warn('decision recorded but not yet delivered to the engine', { patientId, errorName: (err as Error).name });
    return (err as Error).name;
  }
}

/** The token is gone for good: its task finished, timed out, or its execution ended. */
const DEAD_TOKEN = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

/**
 * Hand recorded-but-undelivered decisions and withdrawals to the engine again (after a crash or
 * an outage). A withdrawal whose task is gone stops the execution instead and is cleared.
 */
export async function redeliverDecisions(deps: Deps, olderThanMs = 30_000): Promise<number> {
  const olderThan = new Date(deps.clock.now().getTime() - olderThanMs).toISOString();
  const ids = await deps.store.listUndeliveredDecisions(DECISION_STAGES, olderThan);
  let delivered = 0;
  for (const id of ids) {
    const p = await deps.store.getPatient(id);
    if (!p?.decidedAt || !p.decisionOutput || !p.taskToken) continue;
    const outcome = await deliver(deps, id, p.taskToken, p.decisionOutput);
    if (outcome === true) delivered += 1;
    else if (p.status === 'withdrawn' && DEAD_TOKEN.has(outcome)) await stopWithdrawn(deps, p.patientId, p.executionArn);
  }
  return delivered;
}

async function stopWithdrawn(deps: Deps, patientId: string, executionArn: string): Promise<void> {
  try {
    await deps.sfn.send(new StopExecutionCommand({ executionArn, error: 'Withdrawn', cause: 'Withdrawn by a coordinator' }));
  } catch (err) {
    if ((err as Error).name !== 'ExecutionDoesNotExist') throw err;
  }
  await mutatePatient(deps, patientId, (cur) => ({
    change: cur && cur.status === 'withdrawn' && cur.taskToken ? { next: { ...cur, taskToken: null, decidedAt: null, decisionOutput: null } } : null,
    result: null,
  }));
}
