// The shapes the API answers with (functions/app/queries.ts), as the dashboard reads them.
import type { HoldReason, Role, Status } from '../../functions/domain/vocabulary.js';
import type { Referral } from '../../functions/domain/schemas.js';

export type { ThroughputReport, MonthReport, StageMonth } from '../../functions/app/throughput.js';

export interface PatientListItem {
  readonly patientId: string;
  readonly caseRef: string;
  readonly stage: string;
  readonly status: Status;
  readonly site: string;
  readonly stageEnteredAt: string;
  readonly dueAt: string | null;
  readonly overdue: boolean;
  readonly awaiting: Awaiting | null;
  /** Sent with list items once the engine adds it; until then the board cannot rank by it. */
  readonly urgency?: 'routine' | 'urgent';
  readonly hold?: Hold | null;
  /** The Step Functions version the patient's pathway runs on. */
  readonly pathwayVersion?: string;
}

/** The team a pending decision waits on (the engine adds `team` and `site`; older answers lack them). */
export type AwaitingTeam = 'neuroradiology' | 'neurointerventional' | 'neurosurgery' | 'coordinators' | 'referrer';

export interface Awaiting {
  readonly stage: string;
  readonly role: Role;
  readonly team?: AwaitingTeam;
  readonly site?: string | null;
}

export interface Hold {
  readonly reason: HoldReason;
  readonly since: string;
  readonly note?: string;
  /** An expected resume date, when the hold named one (YYYY-MM-DD or an instant). */
  readonly expectedResumeOn?: string;
}

/** A source behind a rule: structured ({id: rule id, title, url}) or, in older answers, a citation string. */
export interface Source {
  readonly id: string;
  readonly title: string;
  readonly url?: string;
}

export interface PendingDecision {
  readonly id?: string;
  readonly stage: string;
  readonly allowedOutcomes: readonly string[];
  readonly dueAt: string;
  readonly visit?: string;
  /** The API's answer to "may I record it" for the signed-in user (absent from an older API). */
  readonly mayDecide?: boolean;
}

export interface Recommendation {
  readonly stage: string;
  readonly recommended: string;
  readonly ruleIds: readonly string[];
  readonly rationale: string;
  readonly sources: readonly (string | Source)[];
  /** The procedure family the recommendation means, in words ("Embolization or fibrin occlusion"). */
  readonly headline?: string;
  readonly bernScore?: number;
  readonly bernProbability?: 'low' | 'intermediate' | 'high';
  readonly flags?: readonly string[];
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export interface Actor {
  readonly sub: string;
  readonly email: string;
  readonly role: Role | 'system';
}

export interface TimelineEvent {
  readonly at: string;
  readonly action: string;
  readonly stage: string | null;
  readonly actor: Actor;
  readonly details?: Record<string, unknown>;
}

export interface AuditEvent extends TimelineEvent {
  readonly patientId: string | null;
}

export interface ClinicalHistory {
  readonly triage?: {
    readonly brainMri: Record<string, boolean | number>;
    readonly spineMri: { readonly slec: string; readonly slecLocation?: string };
    readonly ichd3: string;
  };
  readonly selectedTechnique?: string;
  readonly myelograms: readonly { technique: string; performedOn: string; outcome: string; leak?: { type: string; level: string; side: string; speed?: string } }[];
  readonly procedures: readonly { kind: string; procedure: string; performedOn: string; levels?: readonly string[]; technicalSuccess?: boolean }[];
  readonly followUps: readonly { visit: string; outcome: string; at: string; hit6?: number; pgic?: number }[];
  readonly lastPlan?: string;
}

export interface PatientDetail {
  readonly patientId: string;
  readonly caseRef: string;
  readonly referralId: string;
  readonly site: string;
  readonly urgency: 'routine' | 'urgent';
  readonly createdAt: string;
  readonly patient: Referral['patient'];
  readonly referringPhysician: Referral['referringPhysician'];
  readonly referral: {
    readonly symptomOnset: string;
    readonly orthostaticPattern: string;
    readonly duralPunctureWithin30Days: boolean;
    readonly priorSpinalProcedure: boolean;
    readonly urgency: string;
    readonly hit6Baseline?: number;
    readonly headacheDaysPerMonthBaseline?: number;
    readonly associatedSymptoms?: NonNullable<Referral['associatedSymptoms']>;
    readonly connectiveTissueDisorder?: boolean;
    readonly trauma?: boolean;
    readonly notes?: string;
  };
  readonly stage: string;
  readonly status: Status;
  readonly stageEnteredAt: string;
  readonly dueAt: string | null;
  readonly overdue: boolean;
  readonly awaiting: PatientListItem['awaiting'];
  readonly hold: Hold | null;
  readonly pathwayVersion?: string;
  readonly pendingDecision: PendingDecision | null;
  readonly recommendation: Recommendation | null;
  readonly clinical: ClinicalHistory;
  readonly timeline: readonly TimelineEvent[];
}

export interface Page<T> {
  readonly items: T[];
  readonly nextToken: string | null;
}

/** GET /metrics/sla (functions/app/sla-report.ts). */
export interface SlaRow {
  readonly month: string;
  readonly stage: string;
  readonly decisions: number;
  readonly withinServiceLevel: number;
  readonly shareWithinServiceLevel: number | null;
  /** Whole percent, the one rounding rule (functions/app/throughput.ts percentOf). */
  readonly percentWithinServiceLevel: number | null;
  readonly medianProgramDrivenDays: number | null;
  readonly medianPatientDrivenDays: number | null;
}

export interface OverdueItem {
  readonly patientId: string;
  readonly caseRef: string;
  readonly stage: string;
  readonly site: string;
  readonly dueAt: string | null;
  readonly awaiting: PatientListItem['awaiting'];
}

export interface SlaReport {
  readonly from: string;
  readonly to: string;
  readonly rows: readonly SlaRow[];
  readonly overdue: readonly OverdueItem[];
}
