// The patient's pathway record and every pure state change of it: enter a stage, await a
// decision, record a decision (which moves the pathway on), hold, resume, withdraw, fail,
// continue in a new execution, deliver the queued emails. Each change returns the next record
// with its audit events and counter increments; the application layer saves the three in one
// transaction. No AWS, no I/O, no clock: `now` and ids are passed in.
import type { PathwayConfig } from './config.js';
import type { CounterIncrement } from './counters.js';
import { FUNNEL } from './counters.js';
import { reopenPathway, type Recurrence } from './episodes.js';
import { applyDecision, nextFollowUpVisit, type ClinicalHistory, type DecisionFacts } from './history.js';
import type { NotificationEvent } from './notifications.js';
import {
  awaitingFor,
  destinationOf,
  outcomesOf,
  stageOf,
  usesVisitSchedule,
  type Awaiting,
  type ClosingStatus,
  type DecisionBody,
  type PathwayDefinition,
} from './pathway.js';
import type { Referral } from './schemas.js';
import { dueAtFor } from './service-levels.js';
import type { AuditAction, FollowUpVisit, HoldReason, Role, Status } from './vocabulary.js';
import { PATIENT_DRIVEN_HOLDS, TERMINAL_STATUSES } from './vocabulary.js';

export const DAY_MS = 86_400_000;

export interface PendingDecision {
  /** A new id every time a decision is awaited (each pass of a loop too): a stale form gets 409. */
  readonly id: string;
  readonly stage: string;
  readonly allowedOutcomes: readonly string[];
  readonly dueAt: string;
  readonly createdAt: string;
  /** Pathway step that opened it. */
  readonly step: number;
  /** For a stage on the R9 visit schedule: the visit this check-in is for. */
  readonly visit?: FollowUpVisit;
}

export interface AuditActor {
  readonly sub: string;
  readonly email: string;
  readonly role: Role | 'system';
}
export type Actor = AuditActor;
export const SYSTEM_ACTOR: AuditActor = { sub: 'system', email: 'system', role: 'system' };

export interface AuditEventInput {
  readonly action: AuditAction;
  readonly patientId: string | null;
  readonly stage: string | null;
  readonly actor: AuditActor;
  readonly details?: Record<string, unknown>;
}

/** An announcement queued in the same transaction as the change it announces (the outbox). */
export interface QueuedNotification {
  readonly step: number;
  readonly event: NotificationEvent;
  readonly queuedAt: string;
}

export interface PatientSummary {
  readonly patientId: string;
  readonly caseRef: string;
  readonly stage: string;
  readonly status: Status;
  readonly site: string;
  readonly urgency?: 'routine' | 'urgent';
  readonly stageEnteredAt: string;
  readonly dueAt: string | null;
  readonly pathwayVersion: string;
  /** Who the case waits on: the deciding role, the team and its site. */
  readonly awaiting: Awaiting | { readonly stage: string; readonly role: Role } | null;
  readonly hold?: { readonly reason: HoldReason; readonly since: string; readonly note?: string };
}

export interface PatientRecord extends PatientSummary {
  readonly rev: number;
  readonly referralId: string;
  readonly referralHash: string;
  readonly createdAt: string;
  readonly urgency: 'routine' | 'urgent';
  /** PHI: returned to coordinators and physicians only; never in emails, logs or URLs. */
  readonly patient: Referral['patient'];
  readonly referringPhysician: Referral['referringPhysician'];
  /**
   * The referral's findings as stored at intake. The later findings (baseline headache days,
   * associated symptoms, connective tissue disorder, trauma) are kept in `history` only: read
   * the whole referral with `referralAsEntered`.
   */
  readonly referral: Pick<Referral, 'symptomOnset' | 'orthostaticPattern' | 'duralPunctureWithin30Days' | 'priorSpinalProcedure' | 'urgency'> & {
    readonly hit6Baseline?: number;
    readonly notes?: string;
  };
  readonly executionArn: string;
  readonly executionStarted: boolean;
  readonly history: ClinicalHistory;
  /** Pathway step last applied (every transition adds one). */
  readonly lastStep: number;
  readonly lastTransition: {
    readonly step: number;
    readonly fromStage: string;
    readonly fromStatus: Status;
    readonly causeStage?: string;
    readonly causeOutcome?: string;
  } | null;
  /** Emails delivered for the latest announced step. */
  readonly notified: { readonly step: number; readonly templates: readonly string[] };
  /** Announcements recorded but not yet delivered (delivered by the engine, resume or the sweep). */
  readonly outbox?: readonly QueuedNotification[];
  readonly pendingDecision: PendingDecision | null;
  /** Task token the execution waits on. Never returned by the API. */
  readonly taskToken: string | null;
  /** Set while a decision or withdrawal is recorded but not yet taken by the engine (hand-off). */
  readonly decidedAt: string | null;
  /** What the hand-off gives the engine (ids, outcome and routing facts only: no PHI). */
  readonly decisionOutput: Record<string, unknown> | null;
  readonly holdDaysInStage: number;
  readonly patientHoldDaysInStage?: number;
  readonly reminders?: { readonly step: number; readonly level: number } | null;
  readonly executions?: readonly string[];
  readonly executionFirstStep?: number;
  readonly executionStartedAt?: string;
}

export interface Change {
  readonly next: PatientRecord;
  readonly events: AuditEventInput[];
  readonly counters: CounterIncrement[];
}

/** What the execution is told when a decision (or a withdrawal) is handed to it. */
export interface HandOff {
  readonly stage?: string;
  readonly outcome?: string;
  readonly facts?: DecisionFacts;
  /** The step the next Enter task attaches to. */
  readonly step?: number;
  readonly continueAsNew?: boolean;
  readonly control?: 'withdraw';
}

export class PathwayRuleError extends Error {
  constructor(
    readonly reason: 'closed' | 'on_hold' | 'not_on_hold' | 'no_pending' | 'wrong_stage' | 'stale' | 'moving_on' | 'no_route' | 'not_completed',
    message: string,
  ) {
    super(message);
    this.name = 'PathwayRuleError';
  }
}

export const isTerminal = (status: Status): boolean => TERMINAL_STATUSES.includes(status);

/** Every finding the referral carried, as the referring doctor sent it (the stored `referral` and the findings kept in `history`). */
export type ReferralAsEntered = PatientRecord['referral'] & Pick<ClinicalHistory, 'headacheDaysPerMonthBaseline' | 'associatedSymptoms' | 'connectiveTissueDisorder' | 'trauma'>;

export function referralAsEntered(p: Pick<PatientRecord, 'referral' | 'history'>): ReferralAsEntered {
  const h = p.history;
  return {
    ...p.referral,
    ...(h.headacheDaysPerMonthBaseline === undefined ? {} : { headacheDaysPerMonthBaseline: h.headacheDaysPerMonthBaseline }),
    ...(h.associatedSymptoms === undefined ? {} : { associatedSymptoms: [...h.associatedSymptoms] }),
    ...(h.connectiveTissueDisorder === undefined ? {} : { connectiveTissueDisorder: h.connectiveTissueDisorder }),
    ...(h.trauma === undefined ? {} : { trauma: h.trauma }),
  };
}
const monthOf = (iso: string) => iso.slice(0, 7);
const bucket = (days: number) => Math.min(400, Math.max(0, Math.floor(days)));

export interface Ctx {
  readonly def: PathwayDefinition;
  readonly config: PathwayConfig;
  readonly now: Date;
  readonly newId: () => string;
  /** The recommendation for a stage's pending decision (recommendations.ts under the configuration). */
  readonly recommend: Recommender;
}

/** Counters for leaving the current stage, however the patient leaves it (holds excluded from the clock). */
export function exitCounters(p: PatientRecord, now: Date): CounterIncrement[] {
  const heldNow = p.status === 'on_hold' && p.hold ? Math.max(0, now.getTime() - Date.parse(p.hold.since)) / DAY_MS : 0;
  const patientHeld = (p.patientHoldDaysInStage ?? 0) + (p.hold && PATIENT_DRIVEN_HOLDS.includes(p.hold.reason) ? heldNow : 0);
  const elapsed = Math.max(0, (now.getTime() - Date.parse(p.stageEnteredAt)) / DAY_MS);
  const clockDays = elapsed - p.holdDaysInStage - heldNow;
  const add: Record<string, number> = {
    exited: 1,
    [`d${bucket(clockDays)}`]: 1,
    [`pd${bucket(elapsed - patientHeld)}`]: 1,
    [`hd${bucket(patientHeld)}`]: 1,
  };
  // Time in stage under a day is counted in whole hours too, so the report can say "5 h", not "0 d".
  if (clockDays < 1) add[`h${Math.floor(Math.max(0, clockDays) * 24)}`] = 1;
  if (p.pendingDecision && p.decidedAt) add[p.decidedAt <= p.pendingDecision.dueAt ? 'withinSla' : 'lateSla'] = 1;
  return [{ month: monthOf(now.toISOString()), item: { kind: 'stage', stage: p.stage }, add }];
}

/** Whether the current execution has run long enough (steps or days) to hand over to a new one. */
export function nearsExecutionLimits(p: PatientRecord, step: number, now: Date, limits: PathwayConfig['executionLimits']): boolean {
  const steps = step - (p.executionFirstStep ?? 1);
  const days = (now.getTime() - Date.parse(p.executionStartedAt ?? p.createdAt)) / DAY_MS;
  return steps >= limits.maxStepsPerExecution || days >= limits.maxExecutionDays;
}

const queue = (p: PatientRecord, step: number, event: NotificationEvent, at: string): QueuedNotification[] => [...(p.outbox ?? []), { step, event, queuedAt: at }];

/**
 * Enter a decision stage: the stage's clock starts, its pending decision opens (new id, due date,
 * visit) and its announcement is queued. `cause` is the decision that led here (null: intake).
 */
export function enterStage(ctx: Ctx, p: PatientRecord, stage: string, cause: { stage: string; outcome: string } | null, step: number, events: AuditEventInput[], counters: CounterIncrement[]): PatientRecord {
  const at = ctx.now.toISOString();
  const def = stageOf(ctx.def, stage);
  const dueAt = dueAtFor(ctx.def, stage, p.history, ctx.config, ctx.now);
  const visit = usesVisitSchedule(ctx.def, stage) ? nextFollowUpVisit(p.history, ctx.config) : undefined;
  events.push({ action: 'stage_entered', patientId: p.patientId, stage, actor: SYSTEM_ACTOR, details: { from: p.stage, causeOutcome: cause?.outcome ?? null, dueAt, step } });
  counters.push({ month: monthOf(at), item: { kind: 'stage', stage }, add: { entered: 1 } });
  const rec = def.recommends ? ctx.recommend(stage, p.history) : null;
  if (rec) {
    events.push({
      action: 'recommendation_made',
      patientId: p.patientId,
      stage,
      actor: SYSTEM_ACTOR,
      details: {
        recommended: rec.recommended,
        ruleIds: rec.ruleIds,
        ...(rec.bernScore === undefined ? {} : { bernScore: rec.bernScore, bernProbability: rec.bernProbability }),
        ...(rec.flags?.length ? { flags: rec.flags } : {}),
      },
    });
  }
  const event: NotificationEvent = {
    kind: 'stage_entered',
    stage,
    dueAt,
    ...(cause ? { causeOutcome: cause.outcome, causeStage: cause.stage } : {}),
  };
  return {
    ...p,
    stage,
    stageEnteredAt: at,
    dueAt,
    holdDaysInStage: 0,
    patientHoldDaysInStage: 0,
    reminders: null,
    lastStep: step,
    lastTransition: { step, fromStage: p.stage, fromStatus: p.status, ...(cause ? { causeStage: cause.stage, causeOutcome: cause.outcome } : {}) },
    awaiting: awaitingFor(ctx.def, ctx.config, stage, p.site, cause),
    pendingDecision: {
      id: ctx.newId(),
      stage,
      allowedOutcomes: outcomesOf(ctx.def, stage),
      dueAt,
      createdAt: at,
      step,
      ...(visit ? { visit } : {}),
    },
    outbox: queue(p, step, event, at),
  };
}

function close(ctx: Ctx, p: PatientRecord, status: ClosingStatus | 'failed', step: number, actor: AuditActor, details: Record<string, unknown>, events: AuditEventInput[], counters: CounterIncrement[]): PatientRecord {
  const at = ctx.now.toISOString();
  events.push({ action: 'status_changed', patientId: p.patientId, stage: p.stage, actor, details: { from: p.status, to: status, ...details } });
  if (status === 'completed') counters.push({ month: monthOf(at), item: { kind: 'funnel' }, add: { [FUNNEL.completed]: 1 } });
  const event: NotificationEvent = status === 'failed' ? { kind: 'failure', failure: 'pathway', stage: p.stage } : { kind: 'closed', status, stage: p.stage };
  const { hold: _hold, ...rest } = p;
  return {
    ...rest,
    status,
    lastStep: step,
    lastTransition: { step, fromStage: p.stage, fromStatus: p.status },
    awaiting: null,
    dueAt: null,
    pendingDecision: null,
    reminders: null,
    // A stage not yet announced is moot once the pathway closes: no "please act" after a withdrawal.
    outbox: queue({ ...p, outbox: (p.outbox ?? []).filter((q) => q.event.kind !== 'stage_entered') }, step, event, at),
  };
}

/** Refuse unless a decision for `stage` is pending and may be recorded now. */
export function assertDecidable(p: PatientRecord, stage: string, pendingDecisionId: string | undefined): PendingDecision {
  if (isTerminal(p.status)) throw new PathwayRuleError('closed', `The pathway is ${p.status}; no decision is pending.`);
  if (p.status === 'on_hold') throw new PathwayRuleError('on_hold', 'The patient is on hold; resume the pathway before recording a decision.');
  const pending = p.pendingDecision;
  if (pending && p.decidedAt) throw new PathwayRuleError('moving_on', 'A decision was just recorded; the pathway is moving on.');
  if (!pending || !p.taskToken) throw new PathwayRuleError('no_pending', 'No decision is pending for this patient right now.');
  if (pending.stage !== stage) throw new PathwayRuleError('wrong_stage', `The pending decision is for ${pending.stage}, not ${stage}.`);
  if (pendingDecisionId !== undefined && pendingDecisionId !== pending.id) {
    throw new PathwayRuleError('stale', 'This form answers a decision that is no longer pending; reload to see where the pathway stands now.');
  }
  return pending;
}

/**
 * Record a validated decision and move the pathway on in the same change: the decision folds
 * into the history, the stage is left, and the destination (a stage, or a closing status) is
 * entered with its announcement queued. The execution is then handed `handOff` on the current
 * task token; it routes to the same destination (the ASL is generated from the same routes).
 */
export function recordDecision(
  ctx: Ctx,
  p: PatientRecord,
  decision: DecisionBody,
  actor: AuditActor,
  extraDetails: Record<string, unknown>,
): Change & { handOff: HandOff } {
  const pending = assertDecidable(p, decision.stage, typeof decision.pendingDecisionId === 'string' ? decision.pendingDecisionId : undefined);
  const at = ctx.now.toISOString();
  const stageDef = stageOf(ctx.def, decision.stage);
  const { history, facts } = applyDecision(p.history, decision as never, ctx.config, ctx.now);
  const destination = destinationOf(ctx.def, decision.stage, decision.outcome, facts);
  if (!destination) throw new PathwayRuleError('no_route', `No route of ${decision.stage} takes the outcome ${decision.outcome}.`);
  const events: AuditEventInput[] = [
    { action: 'decision_recorded', patientId: p.patientId, stage: decision.stage, actor, details: { outcome: decision.outcome, pendingDecisionId: pending.id, ...extraDetails } },
  ];
  const counters: CounterIncrement[] = (stageDef.counters?.(decision, p.history) ?? []).map((c) => ({ ...c, month: monthOf(at) }));
  const decided: PatientRecord = { ...p, history, decidedAt: at };
  counters.push(...exitCounters(decided, ctx.now));
  const step = p.lastStep + 1;
  const cause = { stage: decision.stage, outcome: decision.outcome };
  const next =
    'stage' in destination
      ? enterStage(ctx, decided, destination.stage, cause, step, events, counters)
      : close(ctx, decided, destination.status, step, SYSTEM_ACTOR, { causeOutcome: decision.outcome }, events, counters);
  const continueAsNew = 'stage' in destination && nearsExecutionLimits(p, step, ctx.now, ctx.config.executionLimits);
  const handOff: HandOff = { stage: decision.stage, outcome: decision.outcome, facts, step, continueAsNew };
  return { next: { ...next, decidedAt: at, decisionOutput: { ...handOff } }, events, counters, handOff };
}

/** The execution has taken the pathway into `stage` at `step` and waits on `taskToken`. */
export function attachTask(p: PatientRecord, taskToken: string): PatientRecord {
  return { ...p, taskToken, decidedAt: null, decisionOutput: null };
}

/** The first stage, entered by the execution once the intake has recorded the referral. */
export function openFirstStage(ctx: Ctx, p: PatientRecord): Change {
  const events: AuditEventInput[] = [];
  const counters: CounterIncrement[] = [...exitCounters(p, ctx.now)];
  const next = enterStage(ctx, p, ctx.def.firstStage, null, p.lastStep + 1, events, counters);
  return { next, events, counters };
}

export function hold(ctx: Ctx, p: PatientRecord, reason: HoldReason, note: string | undefined, actor: AuditActor): Change {
  if (p.status === 'on_hold') throw new PathwayRuleError('on_hold', 'The patient is already on hold.');
  if (p.status !== 'active') throw new PathwayRuleError('closed', `The pathway is ${p.status}; it cannot be put on hold.`);
  const since = ctx.now.toISOString();
  return {
    next: { ...p, status: 'on_hold', hold: { reason, since, ...(note ? { note } : {}) } },
    events: [{ action: 'hold_started', patientId: p.patientId, stage: p.stage, actor, details: { reason, patientDriven: PATIENT_DRIVEN_HOLDS.includes(reason), ...(note ? { note } : {}) } }],
    counters: [],
  };
}

const shift = (iso: string | null, ms: number): string | null => (iso ? new Date(Date.parse(iso) + ms).toISOString() : null);

/** Resume: the clock restarts and the due date moves on by the time on hold. */
export function resume(ctx: Ctx, p: PatientRecord, actor: AuditActor): Change {
  if (p.status !== 'on_hold' || !p.hold) throw new PathwayRuleError('not_on_hold', 'The patient is not on hold.');
  const heldMs = Math.max(0, ctx.now.getTime() - Date.parse(p.hold.since));
  const { hold: held, ...rest } = p;
  const patientDriven = PATIENT_DRIVEN_HOLDS.includes(held.reason);
  const moved = (e: QueuedNotification): QueuedNotification =>
    e.event.kind === 'stage_entered' ? { ...e, event: { ...e.event, dueAt: shift(e.event.dueAt, heldMs) as string } } : e;
  return {
    next: {
      ...rest,
      status: 'active',
      holdDaysInStage: p.holdDaysInStage + heldMs / DAY_MS,
      patientHoldDaysInStage: (p.patientHoldDaysInStage ?? 0) + (patientDriven ? heldMs / DAY_MS : 0),
      dueAt: shift(p.dueAt, heldMs),
      pendingDecision: p.pendingDecision ? { ...p.pendingDecision, dueAt: shift(p.pendingDecision.dueAt, heldMs) as string } : null,
      ...(p.outbox ? { outbox: p.outbox.map(moved) } : {}),
    },
    events: [{ action: 'hold_ended', patientId: p.patientId, stage: p.stage, actor, details: { reason: held.reason, patientDriven, days: Number((heldMs / DAY_MS).toFixed(3)) } }],
    counters: [],
  };
}

/**
 * Withdraw: closed now, announced through the outbox of this same change (so exactly once,
 * whatever the engine is doing). The execution is handed `{control: 'withdraw'}` on the token it
 * waits on; if a decision's hand-off is still in flight, the withdrawal replaces it.
 */
export function withdraw(ctx: Ctx, p: PatientRecord, reason: string, actor: AuditActor): Change {
  if (isTerminal(p.status)) throw new PathwayRuleError('closed', `The pathway is already ${p.status}.`);
  const events: AuditEventInput[] = [{ action: 'withdrawn', patientId: p.patientId, stage: p.stage, actor, details: { reason } }];
  const counters = exitCounters(p, ctx.now);
  const closed = close(ctx, p, 'withdrawn', p.lastStep + 1, actor, {}, events, counters);
  const at = ctx.now.toISOString();
  return { next: { ...closed, decidedAt: p.taskToken ? at : null, decisionOutput: p.taskToken ? { control: 'withdraw' } : null }, events, counters };
}

/**
 * R9: a recurrence after a completed pathway reopens it as a new episode on the same patient, the
 * history kept (episodes.ts decides where it restarts). The new episode's first stage opens here;
 * the app starts the execution that waits in it.
 */
export function reopen(ctx: Ctx, p: PatientRecord, recurrence: Recurrence, actor: AuditActor): Change {
  if (p.status !== 'completed') throw new PathwayRuleError('not_completed', `Only a completed pathway can be reopened; this one is ${p.status}.`);
  const { history, stage, episode } = reopenPathway(p.history, recurrence, ctx.now);
  const events: AuditEventInput[] = [
    { action: 'episode_opened', patientId: p.patientId, stage: p.stage, actor, details: { episode, recurrence, restartsAt: stage } },
    { action: 'status_changed', patientId: p.patientId, stage: p.stage, actor, details: { from: p.status, to: 'active', causeOutcome: recurrence } },
  ];
  const counters: CounterIncrement[] = [];
  const entered = enterStage(ctx, { ...p, history }, stage, { stage: p.stage, outcome: recurrence }, p.lastStep + 1, events, counters);
  return { next: { ...entered, status: 'active', taskToken: null, decidedAt: null, decisionOutput: null }, events, counters };
}

/** A failure retries could not fix: status failed, administrators alerted (queued). */
export function fail(ctx: Ctx, p: PatientRecord, error: { name: string; cause: string }): Change | null {
  if (isTerminal(p.status)) return null;
  const events: AuditEventInput[] = [
    { action: 'pathway_failed', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { error: error.name, cause: error.cause, step: p.lastStep } },
  ];
  const counters = exitCounters(p, ctx.now);
  const next = close(ctx, p, 'failed', p.lastStep + 1, SYSTEM_ACTOR, {}, events, counters);
  return { next: { ...next, taskToken: null, decidedAt: null, decisionOutput: null }, events, counters };
}

/** The pathway goes on in a new execution (Step Functions' one-year / 25,000-event limits). */
export function continueIn(ctx: Ctx, p: PatientRecord, executionArn: string): Change | null {
  if (p.executionArn === executionArn) return null;
  return {
    next: {
      ...p,
      executionArn,
      executions: [...(p.executions ?? []), p.executionArn],
      executionFirstStep: p.lastStep,
      executionStartedAt: ctx.now.toISOString(),
      taskToken: null,
      decidedAt: null,
      decisionOutput: null,
    },
    events: [{ action: 'execution_continued', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { from: p.executionArn, to: executionArn, step: p.lastStep } }],
    counters: [],
  };
}

/** Announcements that may go out now: a patient on hold hears nothing about the stage it waits in. */
export function deliverable(p: PatientRecord): QueuedNotification[] {
  return (p.outbox ?? []).filter((q) => !(p.status === 'on_hold' && q.event.kind === 'stage_entered'));
}

/** Delivered: drop the announcements sent, remember what went out for the latest step. */
export function markDelivered(p: PatientRecord, delivered: readonly QueuedNotification[], templates: ReadonlyMap<number, readonly string[]>): PatientRecord {
  const done = new Set(delivered);
  // A transition whose emails went out only in part stays queued, but what did go out is noted
  // too, so the retry sends only the rest.
  const partlySent = [...templates].filter(([, sent]) => sent.length > 0).map(([step]) => step);
  const latest = Math.max(p.notified.step, ...delivered.map((d) => d.step), ...partlySent);
  const sameStep = p.notified.step === latest ? p.notified.templates : [];
  return {
    ...p,
    outbox: (p.outbox ?? []).filter((q) => !done.has(q) && !delivered.some((d) => d.step === q.step && d.queuedAt === q.queuedAt && d.event.kind === q.event.kind)),
    notified: { step: latest, templates: [...new Set([...sameStep, ...(templates.get(latest) ?? [])])] },
  };
}

export type Recommender = (stage: string, history: ClinicalHistory) => {
  readonly recommended: string;
  readonly ruleIds: readonly string[];
  readonly bernScore?: number;
  readonly bernProbability?: string;
  readonly flags?: readonly string[];
} | null;
