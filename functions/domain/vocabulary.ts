// The clinical and pathway vocabulary of ../shared/CONTRACT.md and domain/csf-leak-pathway.md.
// Pure data: no AWS, no I/O. Every other module takes its words from here.

export const STAGES = [
  'REFERRAL',
  'TRIAGE',
  'IMAGING_SELECTION',
  'MYELOGRAPHY',
  'TREATMENT_PLANNING',
  'TARGETED_PATCH',
  'NEUROSURGICAL_ESCALATION',
  'FOLLOW_UP',
] as const;
export type Stage = (typeof STAGES)[number];

/** Stages that wait on a human decision (REFERRAL is entered by the intake itself). */
export const DECISION_STAGES = STAGES.filter((s) => s !== 'REFERRAL') as Exclude<Stage, 'REFERRAL'>[];
export type DecisionStage = Exclude<Stage, 'REFERRAL'>;

export const STATUSES = [
  'active',
  'on_hold',
  'completed',
  'discharged',
  'withdrawn',
  'lost_to_follow_up',
  'failed',
] as const;
export type Status = (typeof STATUSES)[number];
export const TERMINAL_STATUSES: readonly Status[] = ['completed', 'discharged', 'withdrawn', 'lost_to_follow_up', 'failed'];

export const ROLES = ['coordinator', 'physician', 'administrator', 'referrer'] as const; // referrer
export type Role = (typeof ROLES)[number];
/** Cognito group name for each role (the contract's `cognito:groups`). */
export const GROUP_OF_ROLE: Record<Role, string> = {
  coordinator: 'coordinators',
  physician: 'physicians',
  administrator: 'administrators',
  referrer: 'referrers', // referring doctors
};

export const OUTCOMES = {
  TRIAGE: ['accept', 'decline', 'request_info'],
  IMAGING_SELECTION: ['confirm', 'override'],
  MYELOGRAPHY: ['leak_found', 'no_leak', 'equivocal'],
  TREATMENT_PLANNING: ['targeted_patch', 'empirical_patch', 'neurosurgery', 'repeat_imaging', 'discharge'],
  TARGETED_PATCH: ['performed', 'not_performed'],
  NEUROSURGICAL_ESCALATION: ['operated', 'not_candidate', 'declined'],
  FOLLOW_UP: [
    'resolved',
    'improved',
    'unchanged',
    'worse',
    'recurrence_same_site',
    'recurrence_new_site',
    'rebound_hypertension',
    'lost_to_follow_up',
  ],
} as const satisfies Record<DecisionStage, readonly string[]>;

// Who decides each stage, which team is told and everything else that varies by stage: the
// pathway definition (pathway.ts).

export const TEAM_ROLES = ['neuroradiology', 'neurointerventional', 'neurosurgery', 'coordinators', 'administrators'] as const;
export type TeamRole = (typeof TEAM_ROLES)[number];

export const NEURORADIOLOGY_SITES = ['santa-clara', 'roseville-sacramento'] as const;
export type Site = (typeof NEURORADIOLOGY_SITES)[number];

export const TECHNIQUES = [
  'prone_dynamic_ctm',
  'prone_dsm',
  'decubitus_dsm',
  'decubitus_ctm',
  'conventional_delayed_ctm',
  'photon_counting_ctm',
  'dual_energy_ctm',
] as const;
export type Technique = (typeof TECHNIQUES)[number];

export const LEAK_TYPES = ['ventral_dural_tear', 'lateral_dural_tear', 'diverticulum', 'csf_venous_fistula', 'indeterminate'] as const;
export type LeakType = (typeof LEAK_TYPES)[number];

export const PATCH_PROCEDURES = [
  'targeted_ebp_ct',
  'targeted_ebp_fluoro',
  'transforaminal_ebp',
  'fibrin_epidural',
  'fibrin_cvf_ct',
  'transvenous_embolization',
  'non_targeted_ebp',
] as const;
export type PatchProcedure = (typeof PATCH_PROCEDURES)[number];

export const SURGICAL_PROCEDURES = [
  'ventral_repair_microspur',
  'nerve_root_ligation',
  'cvf_ligation',
  'minimally_invasive_repair',
] as const;

export const FOLLOW_UP_VISITS = ['day1', 'week1', 'month3', 'month12'] as const;
export type FollowUpVisit = (typeof FOLLOW_UP_VISITS)[number];

export const HOLD_REASONS = [
  'patient_request',
  'travel',
  'anticoagulation',
  'intercurrent_illness',
  'scanner_capacity',
  'awaiting_records',
  'other',
] as const;
export type HoldReason = (typeof HOLD_REASONS)[number];
/** Patient-driven delays stop the clock on the patient's side; the rest are the program's. */
export const PATIENT_DRIVEN_HOLDS: readonly HoldReason[] = ['patient_request', 'travel', 'anticoagulation', 'intercurrent_illness'];

export const AUDIT_ACTIONS = [
  'referral_received',
  'stage_entered',
  'recommendation_made',
  'decision_recorded',
  'notification_sent',
  'notification_failed',
  'hold_started',
  'hold_ended',
  'withdrawn',
  'status_changed',
  'record_viewed',
  'pathway_failed',
  'reminder_sent',
  'overdue_escalated',
  'execution_continued',
  'episode_opened',
  'red_flag_recorded',
] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];
