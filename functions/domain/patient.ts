// The patient's pathway record as the domain sees it. The repository maps it to and from
// DynamoDB items; nothing here knows about keys or AWS.
export type { ClinicalHistory, FollowUpRecord, MyelogramResult, ProcedureRecord } from './history.js';
import type {
  DecisionStage,
  FollowUpVisit,
  HoldReason,
  Role,
  Site,
  Stage,
  Status,
} from './vocabulary.js';

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
