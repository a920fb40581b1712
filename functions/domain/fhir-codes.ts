// The pathway's vocabulary as FHIR codes: our code systems (stages, statuses, sites, referral
// findings), how a stage and status read as an R4 Task status, and the follow-up check-in as a
// Questionnaire whose items map one to one onto the FOLLOW_UP decision fields. Pure data and
// functions: the FHIR adapter (functions/fhir) takes every stage-specific word from here.
import { ASSOCIATED_SYMPTOMS, type AssociatedSymptom } from './clinical-facts.js';
import { allStageIds, CARE_PATHWAY, stageOf, type PathwayDefinition } from './pathway.js';
import {
  FOLLOW_UP_VISITS,
  NEURORADIOLOGY_SITES,
  OUTCOMES,
  STATUSES,
  type DecisionStage,
  type Status,
  type TeamRole,
} from './vocabulary.js';

/** Canonical base of everything this program defines (synthetic domain). */
export const FHIR_CANONICAL_BASE = 'https://csf-leak-pathway.example.org/fhir';

export const CODE_SYSTEMS = {
  stage: `${FHIR_CANONICAL_BASE}/CodeSystem/pathway-stage`,
  status: `${FHIR_CANONICAL_BASE}/CodeSystem/pathway-status`,
  site: `${FHIR_CANONICAL_BASE}/CodeSystem/site`,
  team: `${FHIR_CANONICAL_BASE}/CodeSystem/team`,
  referralFinding: `${FHIR_CANONICAL_BASE}/CodeSystem/referral-finding`,
  orthostaticPattern: `${FHIR_CANONICAL_BASE}/CodeSystem/orthostatic-pattern`,
  associatedSymptom: `${FHIR_CANONICAL_BASE}/CodeSystem/associated-symptom`,
  followUpVisit: `${FHIR_CANONICAL_BASE}/CodeSystem/follow-up-visit`,
  followUpOutcome: `${FHIR_CANONICAL_BASE}/CodeSystem/follow-up-outcome`,
  decisionOutcome: `${FHIR_CANONICAL_BASE}/CodeSystem/decision-outcome`,
} as const;

/** Identifier systems: the referral id (ServiceRequest.identifier) and recorded decisions. */
export const IDENTIFIER_SYSTEMS = {
  decision: `${FHIR_CANONICAL_BASE}/sid/decision`,
  caseRef: `${FHIR_CANONICAL_BASE}/sid/case-ref`,
  mrn: `${FHIR_CANONICAL_BASE}/sid/mrn`,
} as const;

const words = (code: string) => code.toLowerCase().replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** The deployed pathway's stages (pathway.ts): a stage added to the definition is in the code system. */
const STAGES = allStageIds(CARE_PATHWAY);
export const STAGE_CONCEPTS: readonly { code: string; display: string }[] = STAGES.map((code) => ({ code, display: words(code) }));
export const STATUS_CONCEPTS: readonly { code: Status; display: string }[] = STATUSES.map((code) => ({ code, display: words(code) }));
export const SITE_CONCEPTS = NEURORADIOLOGY_SITES.map((code) => ({ code, display: code }));
export const ORTHOSTATIC_PATTERNS = ['classic_immediate', 'delayed', 'end_of_day', 'non_orthostatic'] as const;
/** The associated-symptom code system: every symptom the referral asks about. */
export const ASSOCIATED_SYMPTOM_CONCEPTS: readonly { code: AssociatedSymptom; display: string }[] = ASSOCIATED_SYMPTOMS.map((code) => ({ code, display: words(code) }));

export type TaskStatus = 'requested' | 'accepted' | 'in-progress' | 'on-hold' | 'completed' | 'rejected' | 'cancelled' | 'failed';
export const TASK_STATUSES: readonly TaskStatus[] = ['requested', 'accepted', 'in-progress', 'on-hold', 'completed', 'rejected', 'cancelled', 'failed'];

/** Stages before the program has accepted the referral: its Task is still `requested`. */
const BEFORE_ACCEPTANCE: readonly string[] = ['REFERRAL', 'TRIAGE'];
/** The stage whose decision accepts or rejects the referral, and the outcome that accepts it. */
export const ACCEPTANCE = { stage: 'TRIAGE', outcome: 'accept' } as const satisfies { stage: DecisionStage; outcome: string };

/**
 * The referral's Task status (BSeR-style: the recipient accepts, works, completes or rejects).
 * `accepted` lasts from triage's acceptance until the next decision; a discharge at triage is a
 * rejection; a discharge later and a patient lost to follow-up end the work (`completed`, the
 * business status tells which).
 */
export function taskStatusOf(stage: string, status: Status, lastDecision: { stage: string; outcome: string } | null): TaskStatus {
  switch (status) {
    case 'on_hold':
      return 'on-hold';
    case 'withdrawn':
      return 'cancelled';
    case 'failed':
      return 'failed';
    case 'discharged':
      return BEFORE_ACCEPTANCE.includes(stage) ? 'rejected' : 'completed';
    case 'completed':
    case 'lost_to_follow_up':
      return 'completed';
    case 'active':
      if (BEFORE_ACCEPTANCE.includes(stage)) return 'requested';
      return lastDecision?.stage === ACCEPTANCE.stage && lastDecision.outcome === ACCEPTANCE.outcome ? 'accepted' : 'in-progress';
  }
}

/** Which stages and statuses a Task status search must look at (then filtered by taskStatusOf). */
export function candidatesForTaskStatus(taskStatus: TaskStatus): { stages: readonly string[]; statuses: readonly Status[] } {
  const later = STAGES.filter((s) => !BEFORE_ACCEPTANCE.includes(s));
  switch (taskStatus) {
    case 'requested':
      return { stages: BEFORE_ACCEPTANCE, statuses: ['active'] };
    case 'accepted':
    case 'in-progress':
      return { stages: later, statuses: ['active'] };
    case 'on-hold':
      return { stages: STAGES, statuses: ['on_hold'] };
    case 'cancelled':
      return { stages: STAGES, statuses: ['withdrawn'] };
    case 'failed':
      return { stages: STAGES, statuses: ['failed'] };
    case 'rejected':
      return { stages: BEFORE_ACCEPTANCE, statuses: ['discharged'] };
    case 'completed':
      return { stages: STAGES, statuses: ['completed', 'lost_to_follow_up', 'discharged'] };
  }
}

/** The team that must act on a pending stage (the pathway definition's team told), as a Task owner. */
export function ownerTeamOf(stage: string, def: PathwayDefinition = CARE_PATHWAY): { code: TeamRole; display: string } {
  const code = stageOf(def, stage).team;
  return { code, display: words(code) };
}

// ------------------------------------------------------------------ referral findings
/** Codes of the Observations a referral's ServiceRequest.supportingInfo carries. */
export const INTAKE_FINDINGS = {
  symptomOnset: { code: 'symptom-onset', display: 'Onset of orthostatic headache', value: 'dateTime' },
  orthostaticPattern: { code: 'orthostatic-pattern', display: 'Orthostatic headache pattern', value: 'CodeableConcept' },
  duralPunctureWithin30Days: { code: 'dural-puncture-within-30-days', display: 'Dural puncture within the last 30 days', value: 'boolean' },
  priorSpinalProcedure: { code: 'prior-spinal-procedure', display: 'Prior spinal procedure', value: 'boolean' },
  hit6Baseline: { code: 'hit6-baseline', display: 'HIT-6 total score at referral', value: 'integer' },
  headacheDaysPerMonthBaseline: { code: 'headache-days-per-month-baseline', display: 'Headache days per month at referral', value: 'integer' },
  connectiveTissueDisorder: { code: 'connective-tissue-disorder', display: 'Connective tissue disorder', value: 'boolean' },
  trauma: { code: 'trauma-before-onset', display: 'Trauma before the headache began', value: 'boolean' },
  // One Observation for the whole list: a component per symptom of the associated-symptom code
  // system, valueBoolean true when present (false, or left out, when not).
  associatedSymptoms: { code: 'associated-symptoms', display: 'Symptoms accompanying the headache', value: 'components' },
} as const;
export type ReferralFinding = keyof typeof INTAKE_FINDINGS;

// ------------------------------------------------------------------ follow-up check-in
/** The stage a follow-up check-in (QuestionnaireResponse) records a decision for. */
export const CHECK_IN_STAGE = 'FOLLOW_UP' as const satisfies DecisionStage;
export const CHECK_IN_QUESTIONNAIRE_ID = 'follow-up-check-in';
export const CHECK_IN_QUESTIONNAIRE_URL = `${FHIR_CANONICAL_BASE}/Questionnaire/${CHECK_IN_QUESTIONNAIRE_ID}`;

export interface CheckInItem {
  readonly linkId: string;
  readonly text: string;
  /** The FOLLOW_UP decision field the answer fills. */
  readonly field: string;
  readonly required: boolean;
  /** Asked only when another item has this coded answer (FHIR `enableWhen`), e.g. the month 3 visit. */
  readonly enableWhen?: { readonly linkId: string; readonly code: string };
  readonly answer:
    | { readonly type: 'coding'; readonly system: string; readonly codes: readonly string[] }
    | { readonly type: 'integer'; readonly min: number; readonly max: number };
}

/**
 * One row per question: adding a decision field to the check-in is one row here. Rows whose
 * field the FOLLOW_UP decision schema does not (yet) accept are left out of the Questionnaire.
 * HIT-6 appears as its total score only: the instrument's items are licensed.
 */
export const CHECK_IN_ITEMS: readonly CheckInItem[] = [
  { linkId: 'visit', text: 'Follow-up visit', field: 'visit', required: true, answer: { type: 'coding', system: CODE_SYSTEMS.followUpVisit, codes: FOLLOW_UP_VISITS } },
  { linkId: 'outcome', text: 'Outcome at this visit', field: 'outcome', required: true, answer: { type: 'coding', system: CODE_SYSTEMS.followUpOutcome, codes: OUTCOMES.FOLLOW_UP } },
  { linkId: 'pgic', text: "Patient Global Impression of Change (1 = very much improved … 7 = very much worse)", field: 'pgic', required: false, answer: { type: 'integer', min: 1, max: 7 } },
  { linkId: 'headache-days', text: 'Headache days in the last month', field: 'headacheDaysPerMonth', required: false, answer: { type: 'integer', min: 0, max: 31 } },
  { linkId: 'hit6-total', text: 'HIT-6 total score', field: 'hit6', required: false, answer: { type: 'integer', min: 36, max: 78 } },
  // R7: the brain MRI is repeated at month 3 only, so its Bern score is asked at that visit only.
  { linkId: 'brain-mri-bern-score', text: 'Bern score of the month 3 brain MRI (0-9)', field: 'brainMriBernScore', required: false, enableWhen: { linkId: 'visit', code: 'month3' }, answer: { type: 'integer', min: 0, max: 9 } },
];
