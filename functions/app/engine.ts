// What the state machine's tasks do: persist a transition, wait for a decision, notify the team,
// record a failure. Each is safe to run twice with the same input (Step Functions retries).
import { DescribeExecutionCommand, ExecutionAlreadyExists, SendTaskSuccessCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';

import { emailsFor, type NotificationEvent } from '../domain/notifications.js';
import { dueAtFor } from '../domain/service-levels.js';
import { nextFollowUpVisit } from '../domain/history.js';
import type { DecisionStage, Stage, Status } from '../domain/vocabulary.js';
import { DECIDERS, OUTCOMES } from '../domain/vocabulary.js';
import { DAY_MS, monthOf } from '../shared/clock.js';
import { PathwayClosedError } from '../shared/errors.js';
import type { Deps } from '../shared/runtime.js';
import type { AuditEventInput, PatientRecord } from '../store/pathway-store.js';
import { SYSTEM_ACTOR, isTerminal } from '../store/pathway-store.js';
import { recommendationFor } from './actor.js';
import { redeliverDecisions } from './decisions.js';
import { executionArnFor, startExecution } from './intake.js';
import { mutatePatient } from './mutate.js';
import { exitCounters } from './stage-exit.js';

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
  /** The execution nears Step Functions' limits: carry the pathway over into a new one. */
  readonly continueAsNew: boolean;
}

/** Whether the current execution has run long enough (in steps or days) to hand over. */
export function nearsExecutionLimits(p: PatientRecord, step: number, now: Date, limits: Deps['config']['executionLimits']): boolean {
  const steps = step - (p.executionFirstStep ?? 1);
  const days = (now.getTime() - Date.parse(p.executionStartedAt ?? p.createdAt)) / DAY_MS;
  return steps >= limits.maxStepsPerExecution || days >= limits.maxExecutionDays;
}

export async function persistTransition(deps: Deps, input: TransitionInput): Promise<TransitionResult> {
  const newStep = input.step + 1;
  const { result } = await mutatePatient(deps, input.patientId, (p) => {
    if (!p) throw new Error('PatientNotFound');
    const now = deps.clock.now();
    const continueAsNew = nearsExecutionLimits(p, newStep, now, deps.config.executionLimits);
    // A retry of a transition already applied answers as the first attempt did.
    if (p.lastStep >= newStep) return { change: null, result: { step: p.lastStep, stage: p.stage, status: p.status, continueAsNew } };
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
      return { change: { next: base }, result: { step: newStep, stage: p.stage, status: p.status, continueAsNew: false } };
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
        result: { step: newStep, stage: p.stage, status, continueAsNew: false },
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
        next: { ...base, stage, stageEnteredAt: at, dueAt, holdDaysInStage: 0, patientHoldDaysInStage: 0, reminders: null, awaiting: { stage, role } },
        events,
        counters,
      },
      result: { step: newStep, stage, status: p.status, continueAsNew },
    };
  });
  await (await import('../fhir/subscription-runtime.js')).publishPathwayEvents([{ patientId: input.patientId, step: result.step, stage: result.stage, status: result.status, at: deps.clock.now().toISOString() }]); // FHIR wiring: moves to the engine's event sinks at merge
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
}

/** What the latest transition announces, read from the record (the engine passes ids only). */
function notificationEvent(p: PatientRecord): NotificationEvent {
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
    notificationEvent(p),
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


/** Which overdue threshold a pending decision has reached: 0 none, 1 reminder, 2 escalation. */
export function overdueLevel(dueAt: string, now: Date, overdue: Deps['config']['overdue']): 0 | 1 | 2 {
  const late = (now.getTime() - Date.parse(dueAt)) / DAY_MS;
  if (late <= 0) return 0;
  if (late >= overdue.escalateAfterDays) return 2;
  return late >= overdue.reminderAfterDays ? 1 : 0;
}

export interface SweepResult {
  readonly checked: number;
  readonly reminders: number;
  readonly escalations: number;
  readonly redelivered: number;
  readonly restarted: number;
}

/**
 * The scheduled overdue sweep: finds overdue pending decisions through the worklist index
 * (never a Scan), reminds the owner, then escalates to the site lead after the second threshold.
 * Each threshold is claimed in the patient record before its email goes out, so a sweep that
 * runs twice (or two sweeps at once) sends each reminder once; a failed send releases the claim.
 */
export async function sweepOverdue(deps: Deps): Promise<SweepResult> {
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - deps.config.overdue.reminderAfterDays * DAY_MS).toISOString();
  let checked = 0;
  let reminders = 0;
  let escalations = 0;
  for (const stage of DECISION_STAGE_LIST) {
    let cursor: string | undefined;
    do {
      const page = await deps.store.listWorklist({ stages: [stage], statuses: ['active'], dueBefore: cutoff, limit: 100, ...(cursor ? { cursor } : {}) });
      for (const row of page.items) {
        checked += 1;
        const level = await remind(deps, row.patientId, now);
        if (level === 1) reminders += 1;
        if (level === 2) escalations += 1;
      }
      cursor = page.nextToken ?? undefined;
    } while (cursor);
  }
  const redelivered = await redeliverDecisions(deps);
  const restarted = await startStalledReferrals(deps, now);
  return { checked, reminders, escalations, redelivered, restarted };
}

/**
 * Referrals recorded whose execution never started (intake crashed between the two): start them
 * now. They sit in the REFERRAL worklist partition, which holds only the last few seconds'
 * referrals in normal running, so this is one small Query.
 */
export async function startStalledReferrals(deps: Deps, now: Date, graceMs = 60_000): Promise<number> {
  let started = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.listWorklist({ stages: ['REFERRAL'], statuses: ['active'], limit: 100, ...(cursor ? { cursor } : {}) });
    for (const row of page.items) {
      const p = await deps.store.getPatient(row.patientId);
      if (p && !p.executionStarted && now.getTime() - Date.parse(p.createdAt) > graceMs) {
        await startExecution(deps, p);
        started += 1;
      }
    }
    cursor = page.nextToken ?? undefined;
  } while (cursor);
  return started;
}

const DECISION_STAGE_LIST = ['TRIAGE', 'IMAGING_SELECTION', 'MYELOGRAPHY', 'TREATMENT_PLANNING', 'TARGETED_PATCH', 'NEUROSURGICAL_ESCALATION', 'FOLLOW_UP'] as const;

async function remind(deps: Deps, patientId: string, now: Date): Promise<0 | 1 | 2> {
  const { result: claimed, saved } = await mutatePatient(deps, patientId, (p) => {
    const pending = p?.pendingDecision;
    if (!p || !pending || p.status !== 'active' || p.decidedAt) return { change: null, result: 0 as const };
    const level = overdueLevel(pending.dueAt, now, deps.config.overdue);
    const already = p.reminders && p.reminders.step === pending.step ? p.reminders.level : 0;
    if (level === 0 || level <= already) return { change: null, result: 0 as const };
    return {
      change: {
        next: { ...p, reminders: { step: pending.step, level } },
        events: [
          {
            action: level === 2 ? 'overdue_escalated' : 'reminder_sent',
            patientId,
            stage: pending.stage,
            actor: SYSTEM_ACTOR,
            details: { dueAt: pending.dueAt, step: pending.step, level },
          },
        ],
      },
      result: level,
    };
  });
  if (!claimed || !saved?.pendingDecision) return 0;
  const pending = saved.pendingDecision;
  const emails = emailsFor(
    { kind: 'overdue', level: claimed === 2 ? 'escalation' : 'reminder', stage: pending.stage, dueAt: pending.dueAt },
    { patientId, caseRef: saved.caseRef, site: saved.site, referringPhysicianEmail: saved.referringPhysician.email },
    deps.config,
  );
  try {
    for (const email of emails) {
      const messageId = await deps.mailer.send(email);
      await deps.store.appendAudit([
        { action: 'notification_sent', patientId, stage: pending.stage, actor: SYSTEM_ACTOR, details: { template: email.template, audience: email.audience, recipients: email.to, messageId } },
      ]);
    }
  } catch (err) {
    // Release the claim so the next sweep tries again; record the failure meanwhile.
    await mutatePatient(deps, patientId, (p) => ({
      change:
        p && p.reminders?.step === pending.step && p.reminders.level === claimed
          ? {
              next: { ...p, reminders: claimed === 2 ? { step: pending.step, level: 1 } : null },
              events: [{ action: 'notification_failed', patientId, stage: pending.stage, actor: SYSTEM_ACTOR, details: { error: (err as Error).name, level: claimed } }],
            }
          : null,
      result: null,
    }));
    return 0;
  }
  return claimed;
}

export interface ContinueInput {
  readonly patientId: string;
  readonly step: number;
  readonly executionArn: string;
}

/**
 * Carry a pathway over into a new execution of the same state machine version. The patient
 * record moves first (so the new execution counts its steps from here), then the execution
 * starts; both are idempotent, so a retry after a crash finishes the job without doubling it.
 */
export async function continuePathway(deps: Deps, input: ContinueInput): Promise<{ executionArn: string }> {
  const current = await deps.sfn.send(new DescribeExecutionCommand({ executionArn: input.executionArn }));
  const stateMachineArn = current.stateMachineVersionArn ?? current.stateMachineArn ?? deps.stateMachineArn;
  const name = `${input.patientId}-s${input.step}`;
  const executionArn = executionArnFor(stateMachineArn, name);
  const { saved } = await mutatePatient(deps, input.patientId, (p) => {
    if (!p) throw new Error('PatientNotFound');
    if (isTerminal(p.status)) throw new PathwayClosedError(`pathway is ${p.status}`);
    if (p.executionArn === executionArn) return { change: null, result: null };
    return {
      change: {
        next: {
          ...p,
          executionArn,
          executions: [...(p.executions ?? []), p.executionArn],
          executionFirstStep: input.step,
          executionStartedAt: deps.clock.now().toISOString(),
        },
        events: [
          { action: 'execution_continued', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { from: p.executionArn, to: executionArn, step: input.step } },
        ],
      },
      result: null,
    };
  });
  if (!saved) throw new Error('PatientNotFound');
  try {
    await deps.sfn.send(
      new StartExecutionCommand({
        stateMachineArn,
        name,
        input: JSON.stringify({
          patientId: saved.patientId,
          pathwayVersion: saved.pathwayVersion,
          transition: { step: input.step, stage: saved.stage, status: saved.status, continueAsNew: false },
          decision: null,
          continuation: { from: input.executionArn },
        }),
      }),
    );
  } catch (err) {
    if (!(err instanceof ExecutionAlreadyExists)) throw err;
  }
  return { executionArn };
}
