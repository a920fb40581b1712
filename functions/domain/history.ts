// The clinical history: what the rules may look at, and how each recorded decision folds into it.
// Pure: no AWS, no I/O. The pathway definition routes on the `facts` computed here.
import type { PathwayConfig } from './config.js';
import { failedProcedureCount, negativeStudiesSinceLastLeak } from './recommendations.js';
import type { BrainMri, Decision, SpineMri } from './schemas.js';
import type { FollowUpVisit, LeakType, Technique } from './vocabulary.js';

export interface MyelogramResult {
  readonly technique: Technique;
  readonly performedOn: string;
  readonly outcome: 'leak_found' | 'no_leak' | 'equivocal';
  readonly leak?: { readonly type: LeakType; readonly level: string; readonly side: string; readonly speed?: 'fast' | 'slow' };
}

export interface ProcedureRecord {
  readonly kind: 'patch' | 'surgery';
  readonly procedure: string;
  readonly performedOn: string;
  readonly levels?: readonly string[];
  readonly technicalSuccess?: boolean;
}

export interface FollowUpRecord {
  readonly visit: FollowUpVisit;
  readonly outcome: string;
  readonly at: string;
  readonly hit6?: number;
  readonly pgic?: number;
}

/** Everything the clinical rules may look at; no names, birth dates or MRNs. */
export interface ClinicalHistory {
  readonly orthostaticPattern: string;
  readonly duralPunctureWithin30Days: boolean;
  readonly priorSpinalProcedure: boolean;
  readonly urgency: 'routine' | 'urgent';
  readonly hit6Baseline?: number;
  readonly triage?: {
    readonly brainMri: BrainMri;
    readonly spineMri: SpineMri;
    readonly ichd3: 'met' | 'not_met' | 'insufficient_data';
  };
  /** Technique chosen at the latest IMAGING_SELECTION, if any. */
  readonly selectedTechnique?: Technique;
  readonly myelograms: readonly MyelogramResult[];
  readonly procedures: readonly ProcedureRecord[];
  readonly followUps: readonly FollowUpRecord[];
  /** Outcome of the latest treatment-planning decision (e.g. `empirical_patch`). */
  readonly lastPlan?: string;
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
}): ClinicalHistory {
  return {
    orthostaticPattern: referral.orthostaticPattern,
    duralPunctureWithin30Days: referral.duralPunctureWithin30Days,
    priorSpinalProcedure: referral.priorSpinalProcedure,
    urgency: referral.urgency,
    ...(referral.hit6Baseline === undefined ? {} : { hit6Baseline: referral.hit6Baseline }),
    myelograms: [],
    procedures: [],
    followUps: [],
  };
}

/** The follow-up visit now due: the first scheduled visit not yet recorded since the last procedure. */
export function nextFollowUpVisit(history: ClinicalHistory, config: PathwayConfig): FollowUpVisit | undefined {
  const done = new Set(followUpsSinceLastProcedure(history).map((f) => f.visit));
  return config.followUpSchedule.find((v) => !done.has(v.visit))?.visit;
}

function followUpsSinceLastProcedure(history: ClinicalHistory): readonly FollowUpRecord[] {
  const last = history.procedures.at(-1);
  if (!last) return history.followUps;
  return history.followUps.filter((f) => f.at >= last.performedOn);
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
        next = { ...history, triage: { brainMri: decision.brainMri, spineMri: decision.spineMri, ichd3: decision.ichd3 } };
      }
      break;
    case 'IMAGING_SELECTION':
      next = { ...history, selectedTechnique: decision.technique };
      break;
    case 'MYELOGRAPHY': {
      const result: MyelogramResult = {
        technique: decision.technique,
        performedOn: decision.performedOn,
        outcome: decision.outcome,
        ...(decision.leak ? { leak: decision.leak } : {}),
      };
      next = { ...history, myelograms: [...history.myelograms, result] };
      break;
    }
    case 'TREATMENT_PLANNING':
      next = { ...history, lastPlan: decision.outcome };
      break;
    case 'TARGETED_PATCH':
      if (decision.outcome === 'performed' && decision.procedure && decision.performedOn) {
        const record: ProcedureRecord = {
          kind: 'patch',
          procedure: decision.procedure,
          performedOn: decision.performedOn,
          ...(decision.levels ? { levels: decision.levels } : {}),
          ...(decision.technicalSuccess === undefined ? {} : { technicalSuccess: decision.technicalSuccess }),
        };
        next = { ...history, procedures: [...history.procedures, record] };
      }
      break;
    case 'NEUROSURGICAL_ESCALATION':
      if (decision.outcome === 'operated' && decision.procedure && decision.performedOn) {
        next = {
          ...history,
          procedures: [...history.procedures, { kind: 'surgery', procedure: decision.procedure, performedOn: decision.performedOn }],
        };
      }
      break;
    case 'FOLLOW_UP': {
      const record: FollowUpRecord = {
        visit: decision.visit,
        outcome: decision.outcome,
        at,
        ...(decision.hit6 === undefined ? {} : { hit6: decision.hit6 }),
        ...(decision.pgic === undefined ? {} : { pgic: decision.pgic }),
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
      neurosurgeryThresholdReached: failedProcedureCount(next) >= config.thresholds.failedProceduresBeforeNeurosurgery,
    },
  };
}
