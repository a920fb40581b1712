// The patient's pathway record as the domain sees it (record.ts holds it with its state changes).
// The repository maps it to and from DynamoDB items; nothing here knows about keys or AWS.
export type { ClinicalHistory, FollowUpRecord, MyelogramResult, ProcedureRecord } from './history.js';
export type { Actor, AuditActor, PatientRecord, PatientSummary, PendingDecision } from './record.js';
