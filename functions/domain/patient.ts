// The patient's pathway record as the domain sees it. The repository maps it to and from
// DynamoDB items; nothing here knows about keys or AWS.
import type { BrainMri, SpineMri } from './schemas.js';
import type {
  DecisionStage,
  FollowUpVisit,
  HoldReason,
  LeakType,
  Role,
  Site,
  Stage,
  Status,
  Technique,
} from './vocabulary.js';

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

export interface PendingDecision {
  readonly stage: DecisionStage;
  readonly allowedOutcomes: readonly string[];
  readonly dueAt: string;
  readonly createdAt: string;
  /** Pathway step that created it: a retried await refreshes the token, never duplicates. */
  readonly step: number;
  /** For FOLLOW_UP: the visit this check-in is for. */
  readonly visit?: FollowUpVisit;
  /** Set once a decision is recorded; the engine clears the pending decision on the next step. */
  readonly decidedAt?: string;
}

export interface Actor {
  readonly sub: string;
  readonly email: string;
  readonly role: Role | 'system';
}

export interface PatientSummary {
  readonly patientId: string;
  readonly caseRef: string;
  readonly stage: Stage;
  readonly status: Status;
  readonly site: Site;
  readonly stageEnteredAt: string;
  readonly dueAt: string | null;
  readonly pathwayVersion: string;
  readonly awaiting: { readonly stage: DecisionStage; readonly role: Role } | null;
  readonly hold?: { readonly reason: HoldReason; readonly since: string; readonly note?: string };
}
