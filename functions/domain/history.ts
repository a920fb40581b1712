// The clinical history: what the rules may look at, and how each recorded decision folds into it.
// Pure: no AWS, no I/O. The pathway definition routes on the `facts` computed here.
import { leakKey, type AssociatedSymptom, type LeakIdentity, type RedFlag, type SideImaged, type SurgicalIndication } from './clinical-facts.js';
import { failedProcedures, followUpsSinceLastProcedure, negativeStudiesSinceLastLeak, targetsFor } from './clinical-course.js';
import type { PathwayConfig } from './config.js';
import type { BrainMri, Decision, PreProcedureCheck, SpineMri } from './schemas.js';
import type { FollowUpVisit, Technique } from './vocabulary.js';

export interface LeakFinding extends LeakIdentity {
  readonly speed?: 'fast' | 'slow';
}

export interface MyelogramResult {
  readonly technique: Technique;
  readonly performedOn: string;
  readonly outcome: 'leak_found' | 'no_leak' | 'equivocal';
  /** The first (or only) leak found, as the contract's single `leak` field. */
  readonly leak?: LeakFinding;
  /** Every leak found when the study recorded several (`leak` is the first of them). */
  readonly leaks?: readonly LeakFinding[];
  /** R3: the side a lateral decubitus study imaged. */
  readonly sideImaged?: SideImaged;
}

export interface ProcedureRecord {
  readonly kind: 'patch' | 'surgery';
  readonly procedure: string;
  readonly performedOn: string;
  readonly levels?: readonly string[];
  readonly technicalSuccess?: boolean;
  readonly volumeMl?: number;
  /** Surgery only: why the neurosurgeon operated. */
  readonly indication?: SurgicalIndication;
  /** R6: the localised leaks this procedure aimed at; failures are counted per leak. */
  readonly targets?: readonly LeakIdentity[];
  /** R12: the pre-procedure check as recorded (an override reason when items were not done). */
  readonly preProcedureCheck?: PreProcedureCheck;
}

export interface FollowUpRecord {
  readonly visit: FollowUpVisit;
  readonly outcome: string;
  readonly at: string;
  readonly hit6?: number;
  readonly pgic?: number;
  /** R10: PGIC 1 or 2 ("very much" or "much improved"). */
  readonly pgicResponder?: boolean;
  readonly headacheDaysPerMonth?: number;
  /** Month 3 brain MRI Bern score (R2, R9). */
  readonly brainMriBernScore?: number;
  /** Index in `procedures` of the procedure this check-in follows (-1: none), by recording order. */
  readonly procedureIndex?: number;
  /** R8: the team records the rebound as resolved. */
  readonly reboundResolved?: true;
  /** R8: a clinician counts this outcome after a rebound as a failed procedure. */
  readonly procedureFailed?: true;
}

/** R11: urgent complications recorded at any stage. The note never leaves the product. */
export interface RedFlagRecord {
  readonly complications: readonly RedFlag[];
  readonly at: string;
  readonly by: string;
  readonly note?: string;
  /** Set once the urgent-review email went out; a retried report resends until then. */
  readonly notifiedAt?: string;
  /** Who is sending the email now (claimed before sending, so two retries send it once). */
  readonly emailClaimedAt?: string;
}

/** R9: one course of care. A recurrence after completion opens the next (episodes.ts). */
export interface EpisodeRecord {
  readonly number: number;
  readonly openedAt: string;
  /** Why it opened: the referral, or the recurrence that reopened the pathway. */
  readonly cause: 'referral' | 'recurrence_same_site' | 'recurrence_new_site';
  /** Where each list of the history stood when it opened: earlier entries belong to earlier episodes. */
  readonly startsAt: { readonly myelograms: number; readonly procedures: number; readonly followUps: number };
  readonly closedAt?: string;
  readonly closedAs?: string;
}

/** Everything the clinical rules may look at; no names, birth dates or MRNs. */
export interface ClinicalHistory {
  readonly orthostaticPattern: string;
  readonly duralPunctureWithin30Days: boolean;
  readonly priorSpinalProcedure: boolean;
  readonly urgency: 'routine' | 'urgent';
  readonly hit6Baseline?: number;
  readonly headacheDaysPerMonthBaseline?: number;
  readonly associatedSymptoms?: readonly AssociatedSymptom[];
  readonly connectiveTissueDisorder?: boolean;
  readonly trauma?: boolean;
  readonly triage?: {
    readonly brainMri: BrainMri;
    readonly spineMri: SpineMri;
    readonly ichd3: 'met' | 'not_met' | 'insufficient_data';
    readonly openingPressureCmCsf?: number;
  };
  /** Technique chosen at the latest IMAGING_SELECTION, if any. */
  readonly selectedTechnique?: Technique;
  readonly myelograms: readonly MyelogramResult[];
  readonly procedures: readonly ProcedureRecord[];
  readonly followUps: readonly FollowUpRecord[];
  /** Outcome of the latest treatment-planning decision (e.g. `empirical_patch`). */
  readonly lastPlan?: string;
  /** R8: `followUps.length` when treatment planning recorded the rebound resolved. */
  readonly reboundResolvedAt?: number;
  readonly redFlags?: readonly RedFlagRecord[];
  /** Absent on records from before episodes: one episode, opened by the referral. */
  readonly episodes?: readonly EpisodeRecord[];
}

/** Facts the state machine branches on besides the outcome. */
export interface DecisionFacts {
  /** MYELOGRAPHY: negative studies since the last leak reached the configured limit (R4). */
  readonly negativeLimitReached: boolean;
  /** FOLLOW_UP: the visit just recorded was the last scheduled one (R9). */
  readonly lastVisit: boolean;
  /** TREATMENT_PLANNING: failed procedures reached the neurosurgery threshold (R6). */
  readonly neurosurgeryThresholdReached: boolean;
}

export function emptyHistory(referral: {
  orthostaticPattern: string;
  duralPunctureWithin30Days: boolean;
  priorSpinalProcedure: boolean;
  urgency: 'routine' | 'urgent';
  hit6Baseline?: number;
  headacheDaysPerMonthBaseline?: number;
  associatedSymptoms?: readonly AssociatedSymptom[];
  connectiveTissueDisorder?: boolean;
  trauma?: boolean;
}): ClinicalHistory {
  return {
    orthostaticPattern: referral.orthostaticPattern,
    duralPunctureWithin30Days: referral.duralPunctureWithin30Days,
    priorSpinalProcedure: referral.priorSpinalProcedure,
    urgency: referral.urgency,
    ...(referral.hit6Baseline === undefined ? {} : { hit6Baseline: referral.hit6Baseline }),
    ...(referral.headacheDaysPerMonthBaseline === undefined ? {} : { headacheDaysPerMonthBaseline: referral.headacheDaysPerMonthBaseline }),
    ...(referral.associatedSymptoms === undefined ? {} : { associatedSymptoms: [...referral.associatedSymptoms] }),
    ...(referral.connectiveTissueDisorder === undefined ? {} : { connectiveTissueDisorder: referral.connectiveTissueDisorder }),
    ...(referral.trauma === undefined ? {} : { trauma: referral.trauma }),
    myelograms: [],
    procedures: [],
    followUps: [],
  };
}

/** The follow-up schedule in force (R9): the configuration's, or a list of visits. */
export type FollowUpSchedule = Pick<PathwayConfig, 'followUpSchedule'> | readonly FollowUpVisit[];
const visitsOf = (schedule: FollowUpSchedule): readonly FollowUpVisit[] =>
  Array.isArray(schedule) ? (schedule as readonly FollowUpVisit[]) : (schedule as Pick<PathwayConfig, 'followUpSchedule'>).followUpSchedule.map((v) => v.visit);

/**
 * R9, the one visit-schedule rule (the recommendation and the engine both use it): the
 * scheduled visit after the latest one recorded since the most recent procedure, by recording
 * order; undefined once the last scheduled visit is recorded. A skipped visit does not come back.
 */
export function nextFollowUpVisit(history: ClinicalHistory, schedule: FollowUpSchedule): FollowUpVisit | undefined {
  const visits = visitsOf(schedule);
  const done = followUpsSinceLastProcedure(history).map((f) => visits.indexOf(f.visit)).filter((i) => i >= 0);
  const next = done.length === 0 ? 0 : Math.max(...done) + 1;
  return visits[next];
}

/** When the next follow-up visit is due: the procedure date plus the visit's scheduled days. */
export function followUpDueAt(history: ClinicalHistory, visit: FollowUpVisit, config: PathwayConfig, now: Date): string {
  const last = history.procedures.at(-1);
  const days = config.followUpSchedule.find((v) => v.visit === visit)?.days ?? 1;
  const base = last ? new Date(`${last.performedOn}T00:00:00Z`) : now;
  const due = new Date(base.getTime() + days * 86_400_000);
  return (due < now ? now : due).toISOString();
}

/** Fold a validated decision into the history and compute the facts the engine routes on. */
export function applyDecision(
  history: ClinicalHistory,
  decision: Decision,
  config: PathwayConfig,
  now: Date,
): { history: ClinicalHistory; facts: DecisionFacts } {
  const at = now.toISOString();
  let next: ClinicalHistory = history;
  switch (decision.stage) {
    case 'TRIAGE':
      if (decision.brainMri && decision.spineMri && decision.ichd3) {
        next = {
          ...history,
          triage: {
            brainMri: decision.brainMri,
            spineMri: decision.spineMri,
            ichd3: decision.ichd3,
            ...(decision.openingPressureCmCsf === undefined ? {} : { openingPressureCmCsf: decision.openingPressureCmCsf }),
          },
        };
      }
      break;
    case 'IMAGING_SELECTION':
      next = { ...history, selectedTechnique: decision.technique };
      break;
    case 'MYELOGRAPHY': {
      const all = distinctLeaks([...(decision.leak ? [decision.leak] : []), ...(decision.leaks ?? [])]);
      const result: MyelogramResult = {
        technique: decision.technique,
        performedOn: decision.performedOn,
        outcome: decision.outcome,
        ...(all[0] ? { leak: all[0] } : {}),
        ...(all.length > 1 ? { leaks: all } : {}),
        ...(decision.sideImaged ? { sideImaged: decision.sideImaged } : {}),
      };
      next = { ...history, myelograms: [...history.myelograms, result] };
      break;
    }
    case 'TREATMENT_PLANNING':
      next = { ...history, lastPlan: decision.outcome, ...(decision.reboundResolved ? { reboundResolvedAt: history.followUps.length } : {}) };
      break;
    case 'TARGETED_PATCH':
      if (decision.outcome === 'performed' && decision.procedure && decision.performedOn) {
        const record: ProcedureRecord = {
          kind: 'patch',
          procedure: decision.procedure,
          performedOn: decision.performedOn,
          ...(decision.levels ? { levels: decision.levels } : {}),
          ...(decision.technicalSuccess === undefined ? {} : { technicalSuccess: decision.technicalSuccess }),
          ...(decision.volumeMl === undefined ? {} : { volumeMl: decision.volumeMl }),
          targets: targetsFor(history, decision.procedure, decision.levels),
          ...(decision.preProcedureCheck ? { preProcedureCheck: decision.preProcedureCheck } : {}),
        };
        next = { ...history, procedures: [...history.procedures, record] };
      }
      break;
    case 'NEUROSURGICAL_ESCALATION':
      if (decision.outcome === 'operated' && decision.procedure && decision.performedOn) {
        const record: ProcedureRecord = {
          kind: 'surgery',
          procedure: decision.procedure,
          performedOn: decision.performedOn,
          ...(decision.indication ? { indication: decision.indication } : {}),
          targets: targetsFor(history, decision.procedure, undefined),
          ...(decision.preProcedureCheck ? { preProcedureCheck: decision.preProcedureCheck } : {}),
        };
        next = { ...history, procedures: [...history.procedures, record] };
      }
      break;
    case 'FOLLOW_UP': {
      const record: FollowUpRecord = {
        visit: decision.visit,
        outcome: decision.outcome,
        at,
        ...(decision.hit6 === undefined ? {} : { hit6: decision.hit6 }),
        ...(decision.pgic === undefined ? {} : { pgic: decision.pgic, pgicResponder: pgicResponder(decision.pgic) }),
        ...(decision.headacheDaysPerMonth === undefined ? {} : { headacheDaysPerMonth: decision.headacheDaysPerMonth }),
        ...(decision.brainMriBernScore === undefined ? {} : { brainMriBernScore: decision.brainMriBernScore }),
        procedureIndex: history.procedures.length - 1,
        ...(decision.reboundResolved ? { reboundResolved: true as const } : {}),
        ...(decision.procedureFailed ? { procedureFailed: true as const } : {}),
      };
      next = { ...history, followUps: [...history.followUps, record] };
      break;
    }
  }
  const lastScheduled = config.followUpSchedule.at(-1)?.visit;
  return {
    history: next,
    facts: {
      negativeLimitReached:
        decision.stage === 'MYELOGRAPHY' &&
        decision.outcome !== 'leak_found' &&
        negativeStudiesSinceLastLeak(next) >= config.thresholds.negativeStudiesBeforeReview,
      lastVisit: decision.stage === 'FOLLOW_UP' && decision.visit === lastScheduled,
      neurosurgeryThresholdReached: failedProcedures(next, config.thresholds).length >= config.thresholds.failedProceduresBeforeNeurosurgery,
    },
  };
}

/** R10: PGIC is scored 1 (very much improved) to 7 (very much worse); 1 or 2 is a responder. */
export function pgicResponder(pgic: number): boolean {
  return pgic <= 2;
}

/** One entry per leak identity (type, level, side), first mention kept. */
function distinctLeaks(leaks: readonly LeakFinding[]): LeakFinding[] {
  const seen = new Set<string>();
  return leaks.filter((l) => {
    const key = leakKey(l);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
