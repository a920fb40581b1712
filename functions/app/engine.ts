// What the state machine's tasks do: persist a transition, wait for a decision, notify the team,
// record a failure. Each is safe to run twice with the same input (Step Functions retries).
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';

import { emailsFor, type NotificationEvent } from '../domain/notifications.js';
import { dueAtFor } from '../domain/service-levels.js';
import { nextFollowUpVisit } from '../domain/pathway.js';
import type { DecisionStage, Stage, Status } from '../domain/vocabulary.js';
import { DECIDERS, OUTCOMES } from '../domain/vocabulary.js';
import { DAY_MS, monthOf } from '../shared/clock.js';
import { PathwayClosedError } from '../shared/errors.js';
import type { Deps } from '../shared/runtime.js';
import type { AuditEventInput, CounterIncrement, PatientRecord } from '../store/pathway-store.js';
import { SYSTEM_ACTOR, isTerminal } from '../store/pathway-store.js';
import { recommendationFor } from './actor.js';
import { mutatePatient } from './mutate.js';

export interface TransitionInput {
  readonly patientId: string;
  readonly step: number;
  readonly to: { readonly stage?: DecisionStage; readonly status?: Exclude<Status, 'active' | 'on_hold'> };
  readonly cause: { readonly stage?: string; readonly outcome?: string } | null;
}
export interface TransitionResult {
  readonly step: number;
  readonly stage: Stage;
  readonly status: Status;
}

/** Whole days (with fractions) spent in the current stage, minus stop-the-clock holds. */
export function daysInStage(p: PatientRecord, now: Date): number {
  return Math.max(0, (now.getTime() - Date.parse(p.stageEnteredAt)) / DAY_MS - p.holdDaysInStage);
}

function exitCounters(p: PatientRecord, now: Date): CounterIncrement[] {
  const month = monthOf(now.toISOString());
  const days = Math.min(400, Math.floor(daysInStage(p, now)));
  return [{ month, item: { kind: 'stage', stage: p.stage }, add: { exited: 1, [`d${days}`]: 1 } }];
}

export async function persistTransition(deps: Deps, input: TransitionInput): Promise<TransitionResult> {
  const newStep = input.step + 1;
  const { result } = await mutatePatient(deps, input.patientId, (p) => {
    if (!p) throw new Error('PatientNotFound');
    const unchanged = { change: null, result: { step: p.lastStep, stage: p.stage, status: p.status } };
    if (p.lastStep >= newStep) return unchanged; // a retry of a transition already applied
    const now = deps.clock.now();
    const at = now.toISOString();
    const lastTransition = {
      step: newStep,
      fromStage: p.stage,
      fromStatus: p.status,
      ...(input.cause?.stage ? { causeStage: input.cause.stage } : {}),
      ...(input.cause?.outcome ? { causeOutcome: input.cause.outcome } : {}),
    };
    const base = { ...p, lastStep: newStep, lastTransition, pendingDecision: null, taskToken: null, decidedAt: null, decisionOutput: null };
    if (input.to.status === 'withdrawn' && p.status === 'withdrawn') {
      // The API recorded the withdrawal and its audit; the engine only takes its step.
      return { change: { next: base }, result: { step: newStep, stage: p.stage, status: p.status } };
    }
    if (isTerminal(p.status)) throw new PathwayClosedError(`pathway is ${p.status}`);
    if (input.to.status) {
      const status = input.to.status;
      const events: AuditEventInput[] = [
        { action: 'status_changed', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { from: p.status, to: status, causeOutcome: input.cause?.outcome ?? null } },
      ];
      const counters = exitCounters(p, now);
      if (status === 'completed') counters.push({ month: monthOf(at), item: { kind: 'funnel' }, add: { completed: 1 } });
      return {
        change: { next: { ...base, status, awaiting: null, dueAt: null }, events, counters },
        result: { step: newStep, stage: p.stage, status },
      };
    }
    const stage = input.to.stage;
    if (!stage) throw new Error('transition names neither a stage nor a status');
    const dueAt = dueAtFor(stage, p.history, deps.config, now);
    const events: AuditEventInput[] = [
      { action: 'stage_entered', patientId: p.patientId, stage, actor: SYSTEM_ACTOR, details: { from: p.stage, causeOutcome: input.cause?.outcome ?? null, dueAt } },
    ];
    const counters = [...exitCounters(p, now), { month: monthOf(at), item: { kind: 'stage' as const, stage }, add: { entered: 1 } }];
    const role = DECIDERS[stage].includes('physician') ? 'physician' : 'coordinator';
    return {
      change: {
        next: { ...base, stage, stageEnteredAt: at, dueAt, holdDaysInStage: 0, awaiting: { stage, role } },
        events,
        counters,
      },
      result: { step: newStep, stage, status: p.status },
    };
  });
  return result;
}

export interface AwaitInput {
  readonly patientId: string;
  readonly stage: DecisionStage;
  readonly step: number;
  readonly taskToken: string;
}

/** Store the task token of the pending decision with its recommendation and due date. */
export async function awaitDecision(deps: Deps, input: AwaitInput): Promise<{ pending: boolean }> {
  const { saved } = await mutatePatient(deps, input.patientId, (p) => {
    if (!p) throw new Error('PatientNotFound');
    if (isTerminal(p.status)) throw new PathwayClosedError(`pathway is ${p.status}`);
    const now = deps.clock.now();
    const existing = p.pendingDecision;
    if (existing && existing.stage === input.stage && existing.step === input.step) {
      // Re-invoked for the same step (a retry, or a restart): refresh the token only.
      return { change: { next: { ...p, taskToken: input.taskToken } }, result: null };
    }
    const rec = recommendationFor(deps.config, input.stage, p.history);
    const dueAt = p.dueAt ?? dueAtFor(input.stage, p.history, deps.config, now);
    const visit = input.stage === 'FOLLOW_UP' ? nextFollowUpVisit(p.history, deps.config) : undefined;
    const role = DECIDERS[input.stage].includes('physician') ? 'physician' : 'coordinator';
    return {
      change: {
        next: {
          ...p,
          dueAt,
          awaiting: { stage: input.stage, role },
          taskToken: input.taskToken,
          decidedAt: null,
          decisionOutput: null,
          pendingDecision: {
            stage: input.stage,
            allowedOutcomes: [...OUTCOMES[input.stage]],
            dueAt,
            createdAt: now.toISOString(),
            step: input.step,
            ...(visit ? { visit } : {}),
          },
        },
        events: [
          {
            action: 'recommendation_made',
            patientId: p.patientId,
            stage: input.stage,
            actor: SYSTEM_ACTOR,
            details: {
              recommended: rec.recommended,
              ruleIds: rec.ruleIds,
              ...(rec.bernScore === undefined ? {} : { bernScore: rec.bernScore, bernProbability: rec.bernProbability }),
              ...(rec.flags?.length ? { flags: rec.flags } : {}),
            },
          },
        ],
      },
      result: null,
    };
  });
  // A decision recorded before a crash or retry still reaches the engine, on the new token.
  if (saved?.decidedAt && saved.decisionOutput) {
    await deps.sfn.send(new SendTaskSuccessCommand({ taskToken: input.taskToken, output: JSON.stringify(saved.decisionOutput) }));
  }
  return { pending: true };
}

export interface NotifyInput {
  readonly patientId: string;
  readonly step: number;
  readonly event: 'referral_received' | 'transition';
}

function notificationEvent(p: PatientRecord, input: NotifyInput): NotificationEvent {
  if (input.event === 'referral_received') return { kind: 'referral_received' };
  if (p.status !== 'active' && p.status !== 'on_hold') return { kind: 'closed', status: p.status, stage: p.stage };
  if (p.stage === 'REFERRAL') return { kind: 'referral_received' };
  return {
    kind: 'stage_entered',
    stage: p.stage,
    dueAt: p.dueAt ?? p.stageEnteredAt,
    ...(p.lastTransition?.causeOutcome ? { causeOutcome: p.lastTransition.causeOutcome } : {}),
    ...(p.lastTransition?.causeStage ? { causeStage: p.lastTransition.causeStage } : {}),
  };
}

/** Send every email of one transition, each at most once per step (bar a crash mid-send). */
export async function notifyTeam(deps: Deps, input: NotifyInput): Promise<{ sent: number }> {
  const p = await deps.store.getPatient(input.patientId);
  if (!p) throw new Error('PatientNotFound');
  const already = p.notified.step === input.step ? new Set(p.notified.templates) : new Set<string>();
  if (p.notified.step > input.step) return { sent: 0 };
  const emails = emailsFor(
    notificationEvent(p, input),
    { patientId: p.patientId, caseRef: p.caseRef, site: p.site, referringPhysicianEmail: p.referringPhysician.email },
    deps.config,
  );
  let sent = 0;
  for (const email of emails) {
    if (already.has(email.template) || email.to.length === 0) continue;
    const messageId = await deps.mailer.send(email);
    sent += 1;
    await mutatePatient(deps, p.patientId, (cur) => {
      if (!cur) throw new Error('PatientNotFound');
      const templates = cur.notified.step === input.step ? [...cur.notified.templates, email.template] : [email.template];
      return {
        change: {
          next: { ...cur, notified: { step: input.step, templates } },
          events: [
            {
              action: 'notification_sent',
              patientId: p.patientId,
              stage: p.stage,
              actor: SYSTEM_ACTOR,
              details: { template: email.template, audience: email.audience, recipients: email.to, messageId, step: input.step },
            },
          ],
        },
        result: null,
      };
    });
  }
  return { sent };
}

export interface FailureInput {
  readonly kind: 'notification' | 'pathway';
  readonly patientId: string;
  readonly step: number;
  readonly error: { readonly Error?: string; readonly Cause?: string } | null;
}

/** Record a failure retries could not fix, alert the administrators, and (for the pathway) mark it failed. */
export async function recordFailure(deps: Deps, input: FailureInput): Promise<{ recorded: true }> {
  const errorName = String(input.error?.Error ?? 'Unknown').slice(0, 100);
  const cause = String(input.error?.Cause ?? '').slice(0, 300);
  const { saved } = await mutatePatient(deps, input.patientId, (p) => {
    if (!p) throw new Error('PatientNotFound');
    if (input.kind === 'notification') {
      return {
        change: {
          next: p,
          events: [{ action: 'notification_failed', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { error: errorName, step: input.step } }],
        },
        result: null,
      };
    }
    if (isTerminal(p.status)) return { change: null, result: null };
    const now = deps.clock.now();
    return {
      change: {
        next: { ...p, status: 'failed', awaiting: null, dueAt: null, pendingDecision: null, taskToken: null },
        events: [
          { action: 'pathway_failed', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { error: errorName, cause, step: input.step } },
          { action: 'status_changed', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { from: p.status, to: 'failed' } },
        ],
        counters: exitCounters(p, now),
      },
      result: null,
    };
  });
  if (saved) await alertAdministrators(deps, saved, input.kind);
  return { recorded: true };
}

/** Best effort: the alarm on failed executions and undeliverable mail backs this up in the cloud. */
async function alertAdministrators(deps: Deps, p: PatientRecord, failure: 'pathway' | 'notification'): Promise<void> {
  const [email] = emailsFor(
    { kind: 'failure', failure, stage: p.stage },
    { patientId: p.patientId, caseRef: p.caseRef, site: p.site, referringPhysicianEmail: p.referringPhysician.email },
    deps.config,
  );
  if (!email) return;
  try {
    const messageId = await deps.mailer.send(email);
    await deps.store.appendAudit([
      { action: 'notification_sent', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { template: email.template, audience: email.audience, recipients: email.to, messageId } },
    ]);
  } catch {
    await deps.store.appendAudit([
      { action: 'notification_failed', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { template: email.template } },
    ]);
  }
}

