// The patient detail as the REST API answers it (GET /patients/{id}, the contract): the FHIR
// views are built from this answer, so they read through the same service, checks and audit.
import type { AssociatedSymptom } from '../domain/clinical-facts.js';
import type { Referral } from '../domain/schemas.js';
import type { FollowUpRecord } from '../domain/history.js';
import type { Role, Status } from '../domain/vocabulary.js';

export interface TimelineEntry {
  readonly at: string;
  readonly action: string;
  readonly stage: string | null;
  readonly details?: Record<string, unknown>;
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
  readonly referral: Pick<Referral, 'symptomOnset' | 'orthostaticPattern' | 'duralPunctureWithin30Days' | 'priorSpinalProcedure'> & {
    readonly hit6Baseline?: number;
    readonly headacheDaysPerMonthBaseline?: number;
    readonly associatedSymptoms?: readonly AssociatedSymptom[];
    readonly connectiveTissueDisorder?: boolean;
    readonly trauma?: boolean;
    readonly notes?: string;
  };
  readonly stage: string;
  readonly status: Status;
  readonly dueAt: string | null;
  readonly awaiting: { readonly stage: string; readonly role: Role } | null;
  readonly clinical?: { readonly followUps?: readonly FollowUpRecord[] };
  readonly timeline: readonly TimelineEntry[];
}
