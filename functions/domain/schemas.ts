// Request bodies of the contract, as zod schemas. The API validates with these, the dashboard
// reuses them for its form messages. Objects are strict: unknown fields are refused.
import * as z from 'zod';
import {
  AUDIT_ACTIONS,
  FOLLOW_UP_VISITS,
  OUTCOMES,
  STATUSES,
  HOLD_REASONS,
  LEAK_TYPES,
  NEURORADIOLOGY_SITES,
  PATCH_PROCEDURES,
  SURGICAL_PROCEDURES,
  TECHNIQUES,
} from './vocabulary.js';
import { ASSOCIATED_SYMPTOMS, LEAK_SIDES, RED_FLAGS, SIDES_IMAGED, SURGICAL_INDICATIONS } from './clinical-facts.js';

const isRealDate = (s: string): boolean => {
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s;
};
export const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date as YYYY-MM-DD')
  .refine(isRealDate, 'must be a real calendar date');

const notInFuture = (s: string): boolean => s <= new Date().toISOString().slice(0, 10);
const pastDate = isoDate.refine(notInFuture, 'must not be in the future');

const text = (max: number) => z.string().trim().min(1, 'must not be empty').max(max, `must be at most ${max} characters`);

// Vertebral level or range: C1..C7, T1..T13 (transitional), L1..L5, S1..S5; e.g. T7 or T7-T8.
const VERTEBRA = '(?:C[1-7]|T(?:1[0-3]|[1-9])|L[1-5]|S[1-5])';
export const vertebralLevel = z
  .string()
  .regex(new RegExp(`^${VERTEBRA}(?:-${VERTEBRA})?$`), 'must be a vertebral level like T7 or a range like T7-T8');

const unique = (xs: readonly unknown[]): boolean => new Set(xs).size === xs.length;
const headacheDays = z.number().int('must be a whole number').min(0).max(31);

export const referralSchema = z.strictObject({
  referralId: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,79}$/, 'must be 1-80 letters, digits, dot, underscore, colon or dash'),
  patient: z.strictObject({
    mrn: text(40),
    givenName: text(100),
    familyName: text(100),
    birthDate: pastDate,
    sex: z.enum(['female', 'male', 'other', 'unknown']),
  }),
  referringPhysician: z.strictObject({
    name: text(200),
    email: z.email('must be an email address').max(254),
  }),
  site: z.enum(NEURORADIOLOGY_SITES, { message: `must be one of ${NEURORADIOLOGY_SITES.join(', ')}` }),
  symptomOnset: pastDate,
  orthostaticPattern: z.enum(['classic_immediate', 'delayed', 'end_of_day', 'non_orthostatic']),
  duralPunctureWithin30Days: z.boolean(),
  priorSpinalProcedure: z.boolean(),
  hit6Baseline: z.number().int('must be a whole number').min(36).max(78).optional(),
  urgency: z.enum(['routine', 'urgent']),
  notes: z.string().max(4000, 'must be at most 4000 characters').optional(),
  // Facts the rules use (domain file, REFERRAL row); all optional.
  associatedSymptoms: z.array(z.enum(ASSOCIATED_SYMPTOMS)).max(ASSOCIATED_SYMPTOMS.length).refine(unique, 'must not repeat a symptom').optional(),
  connectiveTissueDisorder: z.boolean().optional(),
  /** Trauma before the headache began (ICHD-3 7.2.3 needs no causative trauma). */
  trauma: z.boolean().optional(),
  /** Headache days in the last month, the R7 baseline beside HIT-6. */
  headacheDaysPerMonthBaseline: headacheDays.optional(),
});
export type Referral = z.infer<typeof referralSchema>;

const reason = text(2000);
const mm = z.number().min(0).max(100);

export const brainMriSchema = z.strictObject({
  venousSinusEngorgement: z.boolean(),
  pachymeningealEnhancement: z.boolean(),
  subduralFluid: z.boolean(),
  suprasellarCisternMm: mm,
  prepontineCisternMm: mm,
  mamillopontineDistanceMm: mm,
});
export type BrainMri = z.infer<typeof brainMriSchema>;

export const spineMriSchema = z.strictObject({
  slec: z.enum(['present', 'absent', 'indeterminate']),
  slecLocation: z.enum(['ventral', 'dorsal', 'lateral', 'mixed']).optional(),
  /** Perineural (meningeal) diverticula seen on spine MRI: a possible leak source (R5 type 2). */
  diverticula: z.boolean().optional(),
});
export type SpineMri = z.infer<typeof spineMriSchema>;

/** The pending decision a form answers (its `pendingDecision.id`): a stale one gets 409. */
const answers = { pendingDecisionId: z.string().min(1).max(64).optional() };

const triage = z
  .strictObject({
    stage: z.literal('TRIAGE'),
    ...answers,
    outcome: z.enum(['accept', 'decline', 'request_info']),
    brainMri: brainMriSchema.optional(),
    spineMri: spineMriSchema.optional(),
    ichd3: z.enum(['met', 'not_met', 'insufficient_data']).optional(),
    /** Lumbar opening pressure when measured (R1: < 6 cm CSF, i.e. < 60 mm CSF, supports the diagnosis). */
    openingPressureCmCsf: z.number().min(0).max(80).optional(),
    reason: reason.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.outcome === 'accept') {
      for (const field of ['brainMri', 'spineMri', 'ichd3'] as const) {
        if (d[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is required to accept' });
      }
    }
    if ((d.outcome === 'decline' || d.outcome === 'request_info') && d.reason === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: `is required to ${d.outcome === 'decline' ? 'decline' : 'request information'}` });
    }
  });

const imagingSelection = z
  .strictObject({
    stage: z.literal('IMAGING_SELECTION'),
    ...answers,
    outcome: z.enum(['confirm', 'override']),
    technique: z.enum(TECHNIQUES),
    reason: reason.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.outcome === 'override' && d.reason === undefined) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'is required to override the recommendation' });
    }
  });

const leakSchema = z.strictObject({
  type: z.enum(LEAK_TYPES),
  level: vertebralLevel,
  side: z.enum(LEAK_SIDES),
  speed: z.enum(['fast', 'slow']).optional(),
});

const myelography = z
  .strictObject({
    stage: z.literal('MYELOGRAPHY'),
    ...answers,
    outcome: z.enum(['leak_found', 'no_leak', 'equivocal']),
    technique: z.enum(TECHNIQUES),
    performedOn: pastDate,
    leak: leakSchema.optional(),
    /** Several leaks in one study (R6 counts failures per leak); `leak` alone still works. */
    leaks: z.array(leakSchema).min(1, 'must list at least one leak').max(10).optional(),
    /** R3: the side a lateral decubitus study imaged; the other side comes next after a negative one. */
    sideImaged: z.enum(SIDES_IMAGED).optional(),
    reason: reason.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.outcome === 'leak_found' && d.leak === undefined && d.leaks === undefined) {
      ctx.addIssue({ code: 'custom', path: ['leak'], message: 'is required when a leak is found' });
    }
    if (d.outcome !== 'leak_found') {
      for (const field of ['leak', 'leaks'] as const) {
        if (d[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'must be absent unless a leak is found' });
      }
    }
    if (d.leaks) {
      const keys = d.leaks.map((l) => `${l.type}|${l.level}|${l.side}`);
      if (new Set(keys).size !== keys.length) ctx.addIssue({ code: 'custom', path: ['leaks'], message: 'must not list the same leak (type, level and side) twice' });
    }
  });

const treatmentPlanning = z.strictObject({
  stage: z.literal('TREATMENT_PLANNING'),
  ...answers,
  outcome: z.enum(['targeted_patch', 'empirical_patch', 'neurosurgery', 'repeat_imaging', 'discharge']),
  /** R8: the team records that the rebound intracranial hypertension has resolved. */
  reboundResolved: z.literal(true).optional(),
  reason: reason.optional(),
});

/**
 * R12: the pre-procedure check. Every item confirmed, or `overrideReason` to proceed anyway;
 * checkDecision enforces it for `performed` and `operated` (the schema alone cannot say which
 * items are missing without the outcome).
 */
export const preProcedureCheckSchema = z.strictObject({
  anticoagulationHeldPerPlan: z.boolean().optional(),
  coagulationChecked: z.boolean().optional(),
  /** `not_applicable` where no pregnancy is possible. */
  pregnancyExcluded: z.union([z.boolean(), z.literal('not_applicable')]).optional(),
  contrastAllergyReviewed: z.boolean().optional(),
  renalFunctionReviewed: z.boolean().optional(),
  overrideReason: reason.optional(),
});
export type PreProcedureCheck = z.infer<typeof preProcedureCheckSchema>;

const targetedPatch = z
  .strictObject({
    stage: z.literal('TARGETED_PATCH'),
    ...answers,
    outcome: z.enum(['performed', 'not_performed']),
    procedure: z.enum(PATCH_PROCEDURES).optional(),
    levels: z.array(vertebralLevel).min(1, 'must name at least one level').max(10).optional(),
    volumeMl: z.number().positive().max(100).optional(),
    technicalSuccess: z.boolean().optional(),
    performedOn: pastDate.optional(),
    preProcedureCheck: preProcedureCheckSchema.optional(),
    reason: reason.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.outcome === 'performed') {
      for (const field of ['procedure', 'levels', 'performedOn'] as const) {
        if (d[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is required when the procedure was performed' });
      }
    }
  });

const neurosurgicalEscalation = z
  .strictObject({
    stage: z.literal('NEUROSURGICAL_ESCALATION'),
    ...answers,
    outcome: z.enum(['operated', 'not_candidate', 'declined']),
    procedure: z.enum(SURGICAL_PROCEDURES).optional(),
    performedOn: pastDate.optional(),
    indication: z.enum(SURGICAL_INDICATIONS).optional(),
    preProcedureCheck: preProcedureCheckSchema.optional(),
    reason: reason.optional(),
  })
  .superRefine((d, ctx) => {
    if (d.outcome === 'operated') {
      for (const field of ['procedure', 'performedOn'] as const) {
        if (d[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'is required when the patient was operated' });
      }
    }
  });

const followUp = z.strictObject({
  stage: z.literal('FOLLOW_UP'),
  ...answers,
  outcome: z.enum(OUTCOMES.FOLLOW_UP),
  visit: z.enum(FOLLOW_UP_VISITS),
  hit6: z.number().int('must be a whole number').min(36).max(78).optional(),
  pgic: z.number().int('must be a whole number').min(1).max(7).optional(),
  headacheDaysPerMonth: headacheDays.optional(),
  /** Month 3 brain MRI (R9): its Bern score, 0-9 (R2). */
  brainMriBernScore: z.number().int('must be a whole number').min(0).max(9).optional(),
  /** R8: the rebound intracranial hypertension reported earlier has resolved. */
  reboundResolved: z.literal(true).optional(),
  /** R8: a clinician says this worse/unchanged outcome after a rebound is a failed procedure. */
  procedureFailed: z.literal(true).optional(),
  reason: reason.optional(),
});

export const decisionSchemas = {
  TRIAGE: triage,
  IMAGING_SELECTION: imagingSelection,
  MYELOGRAPHY: myelography,
  TREATMENT_PLANNING: treatmentPlanning,
  TARGETED_PATCH: targetedPatch,
  NEUROSURGICAL_ESCALATION: neurosurgicalEscalation,
  FOLLOW_UP: followUp,
} as const;

export type TriageDecision = z.infer<typeof triage>;
export type ImagingSelectionDecision = z.infer<typeof imagingSelection>;
export type MyelographyDecision = z.infer<typeof myelography>;
export type TreatmentPlanningDecision = z.infer<typeof treatmentPlanning>;
export type TargetedPatchDecision = z.infer<typeof targetedPatch>;
export type NeurosurgicalDecision = z.infer<typeof neurosurgicalEscalation>;
export type FollowUpDecision = z.infer<typeof followUp>;
export type Decision =
  | TriageDecision
  | ImagingSelectionDecision
  | MyelographyDecision
  | TreatmentPlanningDecision
  | TargetedPatchDecision
  | NeurosurgicalDecision
  | FollowUpDecision;

/** POST /patients/{patientId}/red-flags (R11). The note stays in the product, never in an email. */
export const redFlagSchema = z.strictObject({
  complications: z.array(z.enum(RED_FLAGS)).min(1, 'must name at least one complication').max(RED_FLAGS.length).refine(unique, 'must not repeat a complication'),
  note: z.string().trim().min(1, 'must not be empty').max(2000, 'must be at most 2000 characters').optional(),
});
export type RedFlagReport = z.infer<typeof redFlagSchema>;

export const holdSchema = z.strictObject({
  reason: z.enum(HOLD_REASONS),
  note: z.string().max(2000, 'must be at most 2000 characters').optional(),
});
export const resumeSchema = z.strictObject({});
export const withdrawSchema = z.strictObject({ reason: text(2000) });
/** R9: reopen a completed pathway for a recurrence (same site -> planning, new site -> imaging). */
export const reopenSchema = z.strictObject({ recurrence: z.enum(['recurrence_same_site', 'recurrence_new_site']) });

const month = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month as YYYY-MM');
export const throughputQuerySchema = z
  .strictObject({
    from: month,
    to: month,
    format: z.enum(['json', 'csv']).optional(),
  })
  .refine((q) => q.from <= q.to, { path: ['to'], message: 'must not be before from' })
  .refine((q) => monthsBetween(q.from, q.to) <= 60, { path: ['to'], message: 'range must be at most 60 months' });

export function monthsBetween(from: string, to: string): number {
  const [fy, fm] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  return (ty - fy) * 12 + (tm - fm) + 1;
}

const limit = z.coerce.number().int('must be a whole number').min(1).max(200);
const isoInstant = z.string().refine((s) => /^\d{4}-\d{2}-\d{2}/.test(s) && !Number.isNaN(Date.parse(s)), 'must be an ISO date or timestamp');
const nextToken = z.string().max(2000).regex(/^[A-Za-z0-9_-]+$/, 'must be a token from a previous page');

/**
 * GET /patients query, for a pathway's stages (pathway.ts `allStageIds`): a function of the stage
 * list, not a constant, so a stage added to the definition is a valid filter without touching this.
 */
export const listPatientsQuerySchemaFor = (stageIds: readonly string[]) =>
  z.strictObject({
    stage: z.enum(stageIds as [string, ...string[]]).optional(),
    status: z.enum(STATUSES).optional(),
    site: z.enum(NEURORADIOLOGY_SITES).optional(),
    overdue: z.enum(['true', 'false']).optional(),
    limit: limit.optional(),
    nextToken: nextToken.optional(),
  });

export const auditQuerySchema = z.strictObject({
  patientId: z.string().regex(/^[0-9A-Z]{26}$/, 'must be a patient id').optional(),
  caseRef: z.string().trim().toUpperCase().regex(/^CSF-\d{4}-\d{6}$/, 'must be a case reference like CSF-2026-000012').optional(),
  action: z.enum(AUDIT_ACTIONS, { message: 'must be one of the audit actions' }).optional(),
  /** Part of the actor's email, their subject, or "system" for the engine. */
  actor: z.string().trim().toLowerCase().min(1, 'must not be empty').max(254, 'must be at most 254 characters').optional(),
  from: isoInstant.optional(),
  to: isoInstant.optional(),
  limit: limit.optional(),
  nextToken: nextToken.optional(),
});
