// The shapes the API answers with (functions/app/queries.ts), as the dashboard reads them.
import type { DecisionStage, HoldReason, Role, Stage, Status } from '../../functions/domain/vocabulary.js';
import type { Referral } from '../../functions/domain/schemas.js';

export type { ThroughputReport, MonthReport, StageMonth } from '../../functions/app/throughput.js';

export interface PatientListItem {
  readonly patientId: string;
  readonly caseRef: string;
  readonly stage: Stage;
  readonly status: Status;
  readonly site: string;
  readonly stageEnteredAt: string;
  readonly dueAt: string | null;
  readonly overdue: boolean;
  readonly awaiting: { readonly stage: DecisionStage; readonly role: Role } | null;
  readonly hold?: Hold | null;
  /** The Step Functions version the patient's pathway runs on. */
  readonly pathwayVersion?: string;
}

export interface Hold {
  readonly reason: HoldReason;
  readonly since: string;
  readonly note?: string;
}

export interface PendingDecision {
  readonly stage: DecisionStage;
  readonly allowedOutcomes: readonly string[];
  readonly dueAt: string;
  readonly visit?: string;
}

export interface Recommendation {
  readonly stage: DecisionStage;
  readonly recommended: string;
  readonly ruleIds: readonly string[];
  readonly rationale: string;
  readonly sources: readonly string[];
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
  readonly stage: Stage | null;
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
    readonly notes?: string;
  };
  readonly stage: Stage;
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
  readonly stage: DecisionStage;
  readonly decisions: number;
  readonly withinServiceLevel: number;
  readonly shareWithinServiceLevel: number | null;
  readonly medianProgramDrivenDays: number | null;
  readonly medianPatientDrivenDays: number | null;
}

export interface OverdueItem {
  readonly patientId: string;
  readonly caseRef: string;
  readonly stage: DecisionStage;
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
