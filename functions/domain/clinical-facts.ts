// Clinical vocabulary beyond the contract's decision table: the facts the rules of
// ../shared/domain/csf-leak-pathway.md need (associated symptoms, decubitus side, surgical
// indication, red flags, the pre-procedure checklist). Pure data, like vocabulary.ts.
import type { LeakType } from './vocabulary.js';

/** Symptoms a referral may list beside the headache (free text stays out of the rules). */
export const ASSOCIATED_SYMPTOMS = [
  'neck_pain',
  'interscapular_pain',
  'tinnitus',
  'muffled_hearing',
  'nausea_vomiting',
  'dizziness',
  'photophobia',
  'visual_disturbance',
  'cognitive_symptoms',
] as const;
export type AssociatedSymptom = (typeof ASSOCIATED_SYMPTOMS)[number];

/** R3: the side a lateral decubitus study imaged (the patient lies on it). */
export const SIDES_IMAGED = ['left', 'right', 'both'] as const;
export type SideImaged = (typeof SIDES_IMAGED)[number];

/** Leak sides as the contract spells them. */
export const LEAK_SIDES = ['left', 'right', 'ventral', 'dorsal', 'bilateral'] as const;
export type LeakSide = (typeof LEAK_SIDES)[number];

/** R6: why the neurosurgeon was asked. */
export const SURGICAL_INDICATIONS = [
  'persistent_leak_after_targeted_treatment',
  'ventral_tear_disc_microspur',
  'cvf_ligation_chosen',
  'diverticulum_nerve_root_ligation',
  'other',
] as const;
export type SurgicalIndication = (typeof SURGICAL_INDICATIONS)[number];

/** R11: complications needing urgent review (Cheema et al. 2023). */
export const RED_FLAGS = ['subdural_haematoma_mass_effect', 'reduced_consciousness', 'brain_sagging_syndrome', 'cerebral_venous_thrombosis'] as const;
export type RedFlag = (typeof RED_FLAGS)[number];

export const RED_FLAG_LABEL: Record<RedFlag, string> = {
  subdural_haematoma_mass_effect: 'Subdural haematoma with mass effect',
  reduced_consciousness: 'Reduced consciousness',
  brain_sagging_syndrome: 'Brain sagging syndrome (behavioural or cognitive decline, movement disorder)',
  cerebral_venous_thrombosis: 'Cerebral venous thrombosis',
};

/**
 * R12: the pre-procedure check before a targeted patch, fibrin, embolization or surgery
 * (SIR periprocedural bleeding-risk consensus, Patel et al., JVIR 2019). Each item must be
 * confirmed, or the clinician records why they proceed without it.
 */
export const CHECKLIST_ITEMS = [
  'anticoagulationHeldPerPlan',
  'coagulationChecked',
  'pregnancyExcluded',
  'contrastAllergyReviewed',
  'renalFunctionReviewed',
] as const;
export type ChecklistItem = (typeof CHECKLIST_ITEMS)[number];

export const CHECKLIST_LABEL: Record<ChecklistItem, string> = {
  anticoagulationHeldPerPlan: 'Anticoagulant and antiplatelet medicines managed per plan',
  coagulationChecked: 'Coagulation checked',
  pregnancyExcluded: 'Pregnancy excluded (or not applicable)',
  contrastAllergyReviewed: 'Iodinated contrast allergy reviewed',
  renalFunctionReviewed: 'Renal function reviewed',
};

/** Procedures that treat a CSF-venous fistula: R8 asks for rebound screening after them. */
export const CVF_TREATMENTS: ReadonlySet<string> = new Set(['transvenous_embolization', 'fibrin_cvf_ct', 'cvf_ligation']);

/** A localised leak's identity (R6): a leak elsewhere, or on the other side, is another leak. */
export interface LeakIdentity {
  readonly type: LeakType;
  readonly level: string;
  readonly side: string;
}
export const leakKey = (l: LeakIdentity): string => `${l.type}|${l.level}|${l.side}`;
