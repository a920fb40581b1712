// Synthetic request bodies. Every name, MRN and email here is invented; addresses use example.org.
let counter = 0;

export function referralBody(overrides: Record<string, unknown> = {}) {
  counter += 1;
  const n = `${Date.now().toString(36)}-${counter}`;
  return {
    referralId: `REF-${n}`,
    patient: { mrn: `SYN${String(100000 + counter)}`, givenName: 'Testina', familyName: `Synthetica${counter}`, birthDate: '1984-03-14', sex: 'female' },
    referringPhysician: { name: 'Dr. Example Referrer', email: 'referrer@example.org' },
    site: 'santa-clara',
    symptomOnset: '2026-05-01',
    orthostaticPattern: 'classic_immediate',
    duralPunctureWithin30Days: false,
    priorSpinalProcedure: false,
    hit6Baseline: 68,
    urgency: 'routine',
    ...overrides,
  };
}

export const acceptTriage = (slec: 'present' | 'absent' | 'indeterminate' = 'present') => ({
  stage: 'TRIAGE',
  outcome: 'accept',
  brainMri: {
    venousSinusEngorgement: true,
    pachymeningealEnhancement: true,
    subduralFluid: false,
    suprasellarCisternMm: 3.5,
    prepontineCisternMm: 4.5,
    mamillopontineDistanceMm: 6.0,
  },
  spineMri: { slec, ...(slec === 'present' ? { slecLocation: 'ventral' } : {}) },
  ichd3: 'met',
});

export const leakFound = (technique: string) => ({
  stage: 'MYELOGRAPHY',
  outcome: 'leak_found',
  technique,
  performedOn: '2026-11-20',
  leak: { type: 'ventral_dural_tear', level: 'T7-T8', side: 'ventral', speed: 'fast' },
});

export const noLeak = (technique: string) => ({ stage: 'MYELOGRAPHY', outcome: 'no_leak', technique, performedOn: '2026-11-20' });

/** R12: every pre-procedure item confirmed, as a procedure recorded as done must carry. */
export const completeCheck = {
  anticoagulationHeldPerPlan: true,
  coagulationChecked: true,
  pregnancyExcluded: 'not_applicable',
  contrastAllergyReviewed: true,
  renalFunctionReviewed: true,
} as const;

export const patchPerformed = {
  stage: 'TARGETED_PATCH',
  outcome: 'performed',
  procedure: 'targeted_ebp_ct',
  levels: ['T7-T8'],
  volumeMl: 12,
  technicalSuccess: true,
  performedOn: '2026-11-21',
  preProcedureCheck: completeCheck,
};
