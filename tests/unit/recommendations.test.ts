import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_CONFIG } from '../../functions/domain/config.js';
import type { ClinicalHistory, FollowUpRecord, MyelogramResult, ProcedureRecord } from '../../functions/domain/patient.js';
import {
  SOURCES,
  bernProbability,
  bernScore,
  failedProcedureCount,
  hit6Band,
  negativeStudiesSinceLastLeak,
  recommend,
  recommendTechnique,
  type Thresholds,
} from '../../functions/domain/recommendations.js';
import { nextFollowUpVisit } from '../../functions/domain/history.js';
import type { BrainMri, SpineMri } from '../../functions/domain/schemas.js';
import {
  DECISION_STAGES,
  FOLLOW_UP_VISITS,
  LEAK_TYPES,
  OUTCOMES,
  PATCH_PROCEDURES,
  SURGICAL_PROCEDURES,
  TECHNIQUES,
  type LeakType,
  type Technique,
} from '../../functions/domain/vocabulary.js';

const T: Thresholds = DEFAULT_CONFIG.thresholds;

// A brain MRI with no Bern sign: every distance just above its threshold.
const NORMAL_MRI: BrainMri = {
  venousSinusEngorgement: false,
  pachymeningealEnhancement: false,
  subduralFluid: false,
  suprasellarCisternMm: 4.1,
  prepontineCisternMm: 5.1,
  mamillopontineDistanceMm: 6.6,
};
const SAGGING_MRI: BrainMri = {
  venousSinusEngorgement: true,
  pachymeningealEnhancement: true,
  subduralFluid: true,
  suprasellarCisternMm: 2,
  prepontineCisternMm: 3,
  mamillopontineDistanceMm: 5,
};

function history(over: Partial<ClinicalHistory> = {}): ClinicalHistory {
  return {
    orthostaticPattern: 'classic_immediate',
    duralPunctureWithin30Days: false,
    priorSpinalProcedure: false,
    urgency: 'routine',
    myelograms: [],
    procedures: [],
    followUps: [],
    ...over,
  };
}
function triaged(spineMri: SpineMri, brainMri: BrainMri = SAGGING_MRI, over: Partial<ClinicalHistory> = {}, ichd3: 'met' | 'not_met' | 'insufficient_data' = 'met'): ClinicalHistory {
  return history({ triage: { brainMri, spineMri, ichd3 }, ...over });
}
const negative = (technique: Technique, performedOn = '2024-01-10'): MyelogramResult => ({ technique, performedOn, outcome: 'no_leak' });
const equivocal = (technique: Technique, performedOn = '2024-01-10'): MyelogramResult => ({ technique, performedOn, outcome: 'equivocal' });
const found = (type: LeakType, level = 'T7-T8', performedOn = '2024-01-10', technique: Technique = 'decubitus_ctm'): MyelogramResult => ({
  technique,
  performedOn,
  outcome: 'leak_found',
  leak: { type, level, side: 'right' },
});
const patch = (performedOn: string, procedure = 'targeted_ebp_ct', technicalSuccess?: boolean): ProcedureRecord => ({
  kind: 'patch',
  procedure,
  performedOn,
  levels: ['T7-T8'],
  ...(technicalSuccess === undefined ? {} : { technicalSuccess }),
});
const checkIn = (day: string, outcome: string, visit: FollowUpRecord['visit'] = 'week1', extra: Partial<FollowUpRecord> = {}): FollowUpRecord => ({
  visit,
  outcome,
  at: `${day}T10:00:00.000Z`,
  ...extra,
});
/** A leak found, then `n` targeted patches each followed by the given check-in outcome. */
function treatedLeak(type: LeakType, outcomes: string[], over: Partial<ClinicalHistory> = {}): ClinicalHistory {
  const procedures = outcomes.map((_, i) => patch(`2024-0${i + 2}-01`, type === 'csf_venous_fistula' ? 'transvenous_embolization' : 'targeted_ebp_ct'));
  const followUps = outcomes.map((o, i) => checkIn(`2024-0${i + 2}-08`, o));
  return triaged({ slec: 'present', slecLocation: 'ventral' }, SAGGING_MRI, { myelograms: [found(type)], procedures, followUps, ...over });
}

describe('Bern score (R2)', () => {
  it('scores zero when no sign is present and every distance is just above its threshold', () => {
    expect(bernScore(NORMAL_MRI)).toBe(0);
  });
  it('gives two points for venous sinus engorgement and two for pachymeningeal enhancement', () => {
    expect(bernScore({ ...NORMAL_MRI, venousSinusEngorgement: true })).toBe(2);
    expect(bernScore({ ...NORMAL_MRI, pachymeningealEnhancement: true })).toBe(2);
  });
  it('gives one point for a subdural fluid collection', () => {
    expect(bernScore({ ...NORMAL_MRI, subduralFluid: true })).toBe(1);
  });
  it('counts a suprasellar cistern of exactly 4.0 mm as a major sign and 4.1 mm as none', () => {
    expect(bernScore({ ...NORMAL_MRI, suprasellarCisternMm: 4.0 })).toBe(2);
    expect(bernScore({ ...NORMAL_MRI, suprasellarCisternMm: 4.1 })).toBe(0);
  });
  it('counts a prepontine cistern of exactly 5.0 mm as a minor sign and 5.1 mm as none', () => {
    expect(bernScore({ ...NORMAL_MRI, prepontineCisternMm: 5.0 })).toBe(1);
    expect(bernScore({ ...NORMAL_MRI, prepontineCisternMm: 5.1 })).toBe(0);
  });
  it('counts a mamillopontine distance of exactly 6.5 mm as a minor sign and 6.6 mm as none', () => {
    expect(bernScore({ ...NORMAL_MRI, mamillopontineDistanceMm: 6.5 })).toBe(1);
    expect(bernScore({ ...NORMAL_MRI, mamillopontineDistanceMm: 6.6 })).toBe(0);
  });
  it('reaches the maximum of nine when every sign is present', () => {
    expect(bernScore(SAGGING_MRI)).toBe(9);
  });
  it('bands scores of 2 as low, 3 and 4 as intermediate and 5 as high with the default thresholds', () => {
    expect(bernProbability(2, T)).toBe('low');
    expect(bernProbability(3, T)).toBe('intermediate');
    expect(bernProbability(4, T)).toBe('intermediate');
    expect(bernProbability(5, T)).toBe('high');
  });
  it('bands scores by the configured thresholds rather than fixed numbers', () => {
    const t = { ...T, bernLowMax: 3, bernHighMin: 7 };
    expect(bernProbability(3, t)).toBe('low');
    expect(bernProbability(4, t)).toBe('intermediate');
    expect(bernProbability(6, t)).toBe('intermediate');
    expect(bernProbability(7, t)).toBe('high');
  });
});

describe('HIT-6 bands (R10)', () => {
  it('bands 49 as little or no impact and 50 as some impact', () => {
    expect(hit6Band(36)).toBe('little_or_no_impact');
    expect(hit6Band(49)).toBe('little_or_no_impact');
    expect(hit6Band(50)).toBe('some_impact');
  });
  it('bands 55 as some impact and 56 as substantial impact', () => {
    expect(hit6Band(55)).toBe('some_impact');
    expect(hit6Band(56)).toBe('substantial_impact');
  });
  it('bands 59 as substantial impact and 60 as severe impact', () => {
    expect(hit6Band(59)).toBe('substantial_impact');
    expect(hit6Band(60)).toBe('severe_impact');
    expect(hit6Band(78)).toBe('severe_impact');
  });
});

describe('negative studies since the last leak (R4)', () => {
  it('is zero before any myelography', () => {
    expect(negativeStudiesSinceLastLeak(history())).toBe(0);
  });
  it('counts both no-leak and equivocal studies as negative', () => {
    expect(negativeStudiesSinceLastLeak(history({ myelograms: [negative('decubitus_ctm'), equivocal('decubitus_dsm')] }))).toBe(2);
  });
  it('restarts the count after a study that found a leak', () => {
    const h = history({ myelograms: [negative('prone_dynamic_ctm'), negative('decubitus_ctm'), found('diverticulum'), negative('decubitus_ctm')] });
    expect(negativeStudiesSinceLastLeak(h)).toBe(1);
  });
});

describe('failed procedures (R6/R7)', () => {
  it('counts a procedure that was not technically successful', () => {
    const h = triaged({ slec: 'present' }, SAGGING_MRI, { myelograms: [found('ventral_dural_tear')], procedures: [patch('2024-02-01', 'targeted_ebp_ct', false)] });
    expect(failedProcedureCount(h)).toBe(1);
  });
  it.each(['unchanged', 'worse', 'recurrence_same_site'])('counts a procedure followed by a %s check-in as failed', (outcome) => {
    expect(failedProcedureCount(treatedLeak('ventral_dural_tear', [outcome]))).toBe(1);
  });
  it.each(['resolved', 'improved', 'rebound_hypertension', 'recurrence_new_site', 'lost_to_follow_up'])(
    'does not count a procedure followed by a %s check-in as failed',
    (outcome) => {
      expect(failedProcedureCount(treatedLeak('ventral_dural_tear', [outcome]))).toBe(0);
    },
  );
  it('counts a procedure once however many check-ins report it failed', () => {
    const h = treatedLeak('diverticulum', ['worse'], {
      followUps: [checkIn('2024-02-02', 'unchanged', 'day1'), checkIn('2024-02-08', 'worse', 'week1')],
    });
    expect(failedProcedureCount(h)).toBe(1);
  });
  it('attributes a check-in to the latest procedure performed on or before it', () => {
    // First patch worked at week 1, the second patch (after a later recurrence) failed.
    const h = triaged({ slec: 'present' }, SAGGING_MRI, {
      myelograms: [found('ventral_dural_tear')],
      procedures: [patch('2024-02-01'), patch('2024-05-01')],
      followUps: [checkIn('2024-02-08', 'improved'), checkIn('2024-05-08', 'worse')],
    });
    expect(failedProcedureCount(h)).toBe(1);
  });
  it('does not count an empirical non-targeted patch towards neurosurgery', () => {
    const h = history({ procedures: [patch('2024-02-01', 'non_targeted_ebp')], followUps: [checkIn('2024-02-08', 'worse')] });
    expect(failedProcedureCount(h)).toBe(0);
  });
  it('keeps counting when repeat imaging shows the same leak again', () => {
    const h = treatedLeak('ventral_dural_tear', ['worse'], {
      myelograms: [found('ventral_dural_tear', 'T1-T2', '2024-01-10'), found('ventral_dural_tear', 'T1-T2', '2024-03-01')],
      procedures: [patch('2024-02-01'), patch('2024-03-10')],
      followUps: [checkIn('2024-02-08', 'worse'), checkIn('2024-03-17', 'unchanged')],
    });
    expect(failedProcedureCount(h)).toBe(2);
  });
  it('starts again from zero when a different leak is found', () => {
    const h = treatedLeak('ventral_dural_tear', ['worse'], {
      myelograms: [found('ventral_dural_tear', 'T1-T2', '2024-01-10'), found('csf_venous_fistula', 'T10', '2024-03-01')],
      procedures: [patch('2024-02-01')],
      followUps: [checkIn('2024-02-08', 'worse')],
    });
    expect(failedProcedureCount(h)).toBe(0);
  });
});

describe('myelography technique (R3/R4)', () => {
  it('recommends prone dynamic CT myelography first when a ventral SLEC is present', () => {
    expect(recommendTechnique(triaged({ slec: 'present', slecLocation: 'ventral' })).technique).toBe('prone_dynamic_ctm');
  });
  it('recommends prone dynamic CT myelography first when a SLEC is present without a recorded location', () => {
    expect(recommendTechnique(triaged({ slec: 'present' })).technique).toBe('prone_dynamic_ctm');
  });
  it('treats a mixed SLEC like a ventral one', () => {
    expect(recommendTechnique(triaged({ slec: 'present', slecLocation: 'mixed' })).technique).toBe('prone_dynamic_ctm');
  });
  it('moves to lateral decubitus CT myelography after a negative prone dynamic CT myelogram', () => {
    const h = triaged({ slec: 'present', slecLocation: 'ventral' }, SAGGING_MRI, { myelograms: [negative('prone_dynamic_ctm')] });
    expect(recommendTechnique(h).technique).toBe('decubitus_ctm');
  });
  it('moves to lateral decubitus CT myelography after a negative prone DSM rather than another prone study', () => {
    const h = triaged({ slec: 'present' }, SAGGING_MRI, { myelograms: [negative('prone_dsm')] });
    expect(recommendTechnique(h).technique).toBe('decubitus_ctm');
  });
  it.each(['dorsal', 'lateral'] as const)('recommends lateral decubitus CT myelography first for a %s SLEC', (slecLocation) => {
    expect(recommendTechnique(triaged({ slec: 'present', slecLocation })).technique).toBe('decubitus_ctm');
  });
  it('recommends decubitus CT myelography first without a SLEC, citing the head-to-head comparison', () => {
    const pick = recommendTechnique(triaged({ slec: 'absent' }));
    expect(pick.technique).toBe('decubitus_ctm');
    expect(pick.rationale).toContain('Lützen 2024');
    expect(pick.ruleIds).toEqual(['R3']);
  });
  it('offers the other side or decubitus DSM after a negative decubitus CT myelogram without a SLEC', () => {
    const pick = recommendTechnique(triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [negative('decubitus_ctm')] }));
    expect(pick.technique).toBe('decubitus_dsm');
    expect(pick.rationale).toContain('other side');
    expect(pick.ruleIds).toEqual(['R3', 'R4']);
  });
  it('escalates resolution to photon-counting and then dual-energy CT myelography after negative decubitus studies', () => {
    const base = [negative('decubitus_ctm'), negative('decubitus_dsm')];
    expect(recommendTechnique(triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: base })).technique).toBe('photon_counting_ctm');
    expect(recommendTechnique(triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [...base, negative('photon_counting_ctm')] })).technique).toBe('dual_energy_ctm');
  });
  it('escalates resolution after a negative decubitus study when the SLEC is dorsal', () => {
    const h = triaged({ slec: 'present', slecLocation: 'dorsal' }, SAGGING_MRI, { myelograms: [equivocal('decubitus_ctm')] });
    const pick = recommendTechnique(h);
    expect(pick.technique).toBe('photon_counting_ctm');
    expect(pick.rationale).toContain('escalate resolution');
  });
  it('recommends conventional CT myelography with delayed images when the SLEC is indeterminate', () => {
    expect(recommendTechnique(triaged({ slec: 'indeterminate' })).technique).toBe('conventional_delayed_ctm');
  });
  it('treats a missing spine MRI like an indeterminate one', () => {
    const pick = recommendTechnique(history());
    expect(pick.technique).toBe('conventional_delayed_ctm');
  });
  it('escalates resolution after a negative delayed study for a suspected slow leak', () => {
    const h = triaged({ slec: 'indeterminate' }, SAGGING_MRI, { myelograms: [negative('conventional_delayed_ctm')] });
    expect(recommendTechnique(h).technique).toBe('photon_counting_ctm');
  });
  it('falls back to the highest resolution with a review note once every technique was negative', () => {
    const h = triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: TECHNIQUES.map((t) => negative(t)) });
    const pick = recommendTechnique(h);
    expect(pick.technique).toBe('photon_counting_ctm');
    expect(pick.ruleIds).toEqual(['R3', 'R4']);
    expect(pick.rationale).toContain('multidisciplinary review');
  });
  it('forgets negative techniques from before the last leak when searching for a new one', () => {
    const h = triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [negative('decubitus_ctm'), found('csf_venous_fistula', 'T10', '2024-01-20', 'decubitus_dsm')] });
    expect(recommendTechnique(h).technique).toBe('decubitus_ctm');
  });
});

describe('TRIAGE recommendation (R1/R2)', () => {
  it('recommends accepting an orthostatic referral before MRI data exists, without a Bern score', () => {
    const r = recommend('TRIAGE', history(), T);
    expect(r.recommended).toBe('accept');
    expect(r.ruleIds).toEqual(['R1']);
    expect(r.bernScore).toBeUndefined();
    expect(r.bernProbability).toBeUndefined();
    expect(r.sources).toContain('ICHD-3 7.2.3 (ichd-3.org)');
  });
  it('asks for imaging rather than accepting a non-orthostatic referral before MRI data exists', () => {
    const r = recommend('TRIAGE', history({ orthostaticPattern: 'non_orthostatic' }), T);
    expect(r.recommended).toBe('request_info');
  });
  it('says a dural puncture within 30 days means the headache is not spontaneous, but leaves it to the clinician', () => {
    const r = recommend('TRIAGE', history({ duralPunctureWithin30Days: true }), T);
    expect(r.recommended).toBe('accept');
    expect(r.rationale).toContain('not be classed as spontaneous');
    expect(r.rationale).toContain('clinician call');
    expect(r.flags).toContain('not_spontaneous_ichd3');
  });
  it('flags a prior spinal procedure under ICHD-3 7.2.3 as well', () => {
    const r = recommend('TRIAGE', history({ priorSpinalProcedure: true }), T);
    expect(r.flags).toContain('not_spontaneous_ichd3');
  });
  it('has no ICHD-3 flag for a referral without a causative procedure', () => {
    expect(recommend('TRIAGE', history(), T).flags).toBeUndefined();
  });
  it('includes the Bern score and probability once triage recorded the brain MRI, and accepts a high score', () => {
    const r = recommend('TRIAGE', triaged({ slec: 'present' }), T);
    expect(r.bernScore).toBe(9);
    expect(r.bernProbability).toBe('high');
    expect(r.recommended).toBe('accept');
    expect(r.ruleIds).toEqual(['R1', 'R2']);
    expect(r.sources).toContain('Dobrocky et al., JAMA Neurology 2019 (Bern score)');
  });
  it('suggests declining a low Bern score with a non-orthostatic headache and no SLEC, noting a low score does not exclude a leak', () => {
    const r = recommend('TRIAGE', triaged({ slec: 'absent' }, NORMAL_MRI, { orthostaticPattern: 'non_orthostatic' }, 'not_met'), T);
    expect(r.recommended).toBe('decline');
    expect(r.bernProbability).toBe('low');
    expect(r.rationale).toContain('does not exclude a leak');
  });
  it('still accepts a low Bern score when the headache is orthostatic', () => {
    const r = recommend('TRIAGE', triaged({ slec: 'absent' }, NORMAL_MRI, { orthostaticPattern: 'delayed' }), T);
    expect(r.recommended).toBe('accept');
    expect(r.rationale).toContain('does not exclude a leak');
  });
  it('still accepts a low Bern score with a non-orthostatic headache when the spine MRI shows a SLEC', () => {
    const r = recommend('TRIAGE', triaged({ slec: 'present' }, NORMAL_MRI, { orthostaticPattern: 'non_orthostatic' }), T);
    expect(r.recommended).toBe('accept');
  });
  it('accepts an intermediate Bern score with a non-orthostatic headache', () => {
    const mri = { ...NORMAL_MRI, venousSinusEngorgement: true, subduralFluid: true }; // 3
    const r = recommend('TRIAGE', triaged({ slec: 'absent' }, mri, { orthostaticPattern: 'non_orthostatic' }), T);
    expect(r.bernProbability).toBe('intermediate');
    expect(r.recommended).toBe('accept');
  });
  it('honours configured Bern thresholds when deciding what counts as a low score', () => {
    const mri = { ...NORMAL_MRI, venousSinusEngorgement: true, subduralFluid: true }; // 3
    const h = triaged({ slec: 'absent' }, mri, { orthostaticPattern: 'non_orthostatic' }, 'not_met');
    const r = recommend('TRIAGE', h, { ...T, bernLowMax: 3, bernHighMin: 6 });
    expect(r.bernProbability).toBe('low');
    expect(r.recommended).toBe('decline');
  });
});

describe('IMAGING_SELECTION recommendation (R3/R4)', () => {
  it('recommends a technique and repeats it in the details', () => {
    const r = recommend('IMAGING_SELECTION', triaged({ slec: 'absent' }), T);
    expect(r.recommended).toBe('decubitus_ctm');
    expect(r.details?.technique).toBe('decubitus_ctm');
    expect(r.ruleIds).toEqual(['R3']);
    expect(r.bernScore).toBe(9);
    expect(r.sources).toContain('Lützen et al., JNIS 2024');
  });
  it('flags the negative-study limit when imaging is chosen again after reaching it', () => {
    const h = triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [negative('decubitus_ctm'), negative('decubitus_dsm'), negative('photon_counting_ctm')] });
    const r = recommend('IMAGING_SELECTION', h, T);
    expect(r.flags).toContain('negative_study_limit_reached');
    expect(r.ruleIds).toContain('R4');
    expect(r.recommended).toBe('dual_energy_ctm');
  });
  it('does not flag the limit below the default of three negative studies', () => {
    const h = triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [negative('decubitus_ctm'), negative('decubitus_dsm')] });
    expect(recommend('IMAGING_SELECTION', h, T).flags).toBeUndefined();
  });
  it('honours a configured negative-study limit of one', () => {
    const h = triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [negative('decubitus_ctm')] });
    expect(recommend('IMAGING_SELECTION', h, { ...T, negativeStudiesBeforeReview: 1 }).flags).toContain('negative_study_limit_reached');
  });
});

describe('MYELOGRAPHY recommendation (R3)', () => {
  it('recommends performing the technique chosen at imaging selection', () => {
    const r = recommend('MYELOGRAPHY', triaged({ slec: 'absent' }, SAGGING_MRI, { selectedTechnique: 'photon_counting_ctm' }), T);
    expect(r.recommended).toBe('photon_counting_ctm');
    expect(r.details?.technique).toBe('photon_counting_ctm');
    expect(r.ruleIds).toEqual(['R3']);
  });
  it('falls back to the rule-based technique when none was chosen', () => {
    const r = recommend('MYELOGRAPHY', triaged({ slec: 'present' }), T);
    expect(r.recommended).toBe('prone_dynamic_ctm');
    expect(r.details?.selected).toBe(false);
  });
});

describe('TREATMENT_PLANNING recommendation (R4/R5/R6)', () => {
  it.each(['ventral_dural_tear', 'lateral_dural_tear', 'diverticulum'] as const)('recommends a targeted patch for a localised %s', (type) => {
    const r = recommend('TREATMENT_PLANNING', triaged({ slec: 'present' }, SAGGING_MRI, { myelograms: [found(type)] }), T);
    expect(r.recommended).toBe('targeted_patch');
    expect(r.ruleIds).toEqual(['R5']);
    expect(r.details?.leakType).toBe(type);
  });
  it('recommends embolization or fibrin occlusion for a CSF-venous fistula and says blood patches rarely work', () => {
    const r = recommend('TREATMENT_PLANNING', triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [found('csf_venous_fistula')] }), T);
    expect(r.recommended).toBe('targeted_patch');
    expect(r.rationale).toContain('transvenous embolization');
    expect(r.rationale).toContain('CT-guided fibrin occlusion');
    expect(r.rationale).toContain('rarely effective');
    expect(r.sources).toContain('Brinjikji et al., JNIS 2022 (transvenous embolization)');
  });
  it('recommends an empirical patch when the leak type is indeterminate', () => {
    const r = recommend('TREATMENT_PLANNING', triaged({ slec: 'present' }, SAGGING_MRI, { myelograms: [found('indeterminate')] }), T);
    expect(r.recommended).toBe('empirical_patch');
  });
  it('recommends an empirical patch with multidisciplinary review after three negative studies', () => {
    const h = triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [negative('decubitus_ctm'), negative('decubitus_dsm'), equivocal('photon_counting_ctm')] });
    const r = recommend('TREATMENT_PLANNING', h, T);
    expect(r.recommended).toBe('empirical_patch');
    expect(r.ruleIds).toEqual(['R4', 'R5']);
    expect(r.flags).toEqual(['negative_study_limit_reached']);
    expect(r.rationale).toContain('multidisciplinary review');
    expect(r.rationale).toContain('postural tachycardia');
    expect(r.rationale).toContain('orthostatic hypotension');
    expect(r.rationale).toContain('cervicogenic headache');
  });
  it('recommends an empirical patch without the review wording when no leak was localised below the limit', () => {
    const r = recommend('TREATMENT_PLANNING', triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [negative('decubitus_ctm')] }), T);
    expect(r.recommended).toBe('empirical_patch');
    expect(r.flags).toBeUndefined();
  });
  it('honours a configured negative-study limit of two', () => {
    const h = triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [negative('decubitus_ctm'), negative('decubitus_dsm')] });
    expect(recommend('TREATMENT_PLANNING', h, { ...T, negativeStudiesBeforeReview: 2 }).flags).toEqual(['negative_study_limit_reached']);
  });
  it('keeps recommending a targeted patch after one failed procedure', () => {
    const r = recommend('TREATMENT_PLANNING', treatedLeak('ventral_dural_tear', ['worse']), T);
    expect(r.recommended).toBe('targeted_patch');
    expect(r.details?.failedProcedures).toBe(1);
  });
  it('recommends neurosurgery once two procedures failed for a localised leak', () => {
    const r = recommend('TREATMENT_PLANNING', treatedLeak('ventral_dural_tear', ['worse', 'recurrence_same_site']), T);
    expect(r.recommended).toBe('neurosurgery');
    expect(r.ruleIds).toEqual(['R5', 'R6']);
    expect(r.flags).toEqual(['neurosurgery_threshold_reached']);
  });
  it('honours a configured neurosurgery threshold of one failed procedure', () => {
    const r = recommend('TREATMENT_PLANNING', treatedLeak('diverticulum', ['unchanged']), { ...T, failedProceduresBeforeNeurosurgery: 1 });
    expect(r.recommended).toBe('neurosurgery');
  });
  it('honours a configured neurosurgery threshold of three failed procedures', () => {
    const r = recommend('TREATMENT_PLANNING', treatedLeak('diverticulum', ['unchanged', 'worse']), { ...T, failedProceduresBeforeNeurosurgery: 3 });
    expect(r.recommended).toBe('targeted_patch');
  });
  it('recommends repeat imaging rather than surgery when procedures failed but no leak is localised', () => {
    const h = history({
      procedures: [patch('2024-02-01', 'targeted_ebp_fluoro', false), patch('2024-03-01', 'targeted_ebp_fluoro', false)],
    });
    const r = recommend('TREATMENT_PLANNING', h, T);
    expect(r.recommended).toBe('repeat_imaging');
    expect(r.flags).toEqual(['neurosurgery_threshold_reached']);
  });
});

describe('TARGETED_PATCH recommendation (R5)', () => {
  const procedureFor = (h: ClinicalHistory) => recommend('TARGETED_PATCH', h, T).details?.procedure;
  it('recommends a CT-guided targeted blood patch for a ventral dural tear', () => {
    const r = recommend('TARGETED_PATCH', triaged({ slec: 'present' }, SAGGING_MRI, { myelograms: [found('ventral_dural_tear')] }), T);
    expect(r.recommended).toBe('performed');
    expect(r.details?.procedure).toBe('targeted_ebp_ct');
    expect(r.ruleIds).toEqual(['R5', 'R12']);
  });
  it.each(['diverticulum', 'lateral_dural_tear'] as const)('recommends a targeted blood patch first for a %s', (type) => {
    expect(procedureFor(triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [found(type)] }))).toBe('targeted_ebp_ct');
  });
  it.each(['diverticulum', 'lateral_dural_tear'] as const)('recommends epidural fibrin for a %s after a failed patch', (type) => {
    expect(procedureFor(treatedLeak(type, ['worse']))).toBe('fibrin_epidural');
  });
  it('recommends transvenous embolization for a CSF-venous fistula', () => {
    expect(procedureFor(triaged({ slec: 'absent' }, SAGGING_MRI, { myelograms: [found('csf_venous_fistula')] }))).toBe('transvenous_embolization');
  });
  it('recommends CT-guided fibrin occlusion for a CSF-venous fistula after failed embolization', () => {
    expect(procedureFor(treatedLeak('csf_venous_fistula', ['unchanged']))).toBe('fibrin_cvf_ct');
  });
  it('recommends a non-targeted patch when the leak type is indeterminate', () => {
    expect(procedureFor(triaged({ slec: 'present' }, SAGGING_MRI, { myelograms: [found('indeterminate')] }))).toBe('non_targeted_ebp');
  });
  it('recommends a non-targeted patch when no leak was localised', () => {
    expect(procedureFor(history())).toBe('non_targeted_ebp');
  });
  it('recommends a non-targeted patch when the team planned an empirical patch despite a known leak', () => {
    expect(procedureFor(triaged({ slec: 'present' }, SAGGING_MRI, { myelograms: [found('ventral_dural_tear')], lastPlan: 'empirical_patch' }))).toBe('non_targeted_ebp');
  });
});

describe('NEUROSURGICAL_ESCALATION recommendation (R6)', () => {
  it.each([
    ['ventral_dural_tear', 'ventral_repair_microspur'],
    ['diverticulum', 'nerve_root_ligation'],
    ['lateral_dural_tear', 'nerve_root_ligation'],
    ['csf_venous_fistula', 'cvf_ligation'],
  ] as const)('recommends operating on a %s with %s', (type, procedure) => {
    const r = recommend('NEUROSURGICAL_ESCALATION', triaged({ slec: 'present' }, SAGGING_MRI, { myelograms: [found(type)] }), T);
    expect(r.recommended).toBe('operated');
    expect(r.details?.procedure).toBe(procedure);
    expect(r.ruleIds).toContain('R6');
  });
  it('recommends no operation when no leak was ever localised', () => {
    const r = recommend('NEUROSURGICAL_ESCALATION', history(), T);
    expect(r.recommended).toBe('not_candidate');
    expect(r.details?.procedure).toBeUndefined();
  });
  it('flags the neurosurgery threshold when the failed procedures reached it', () => {
    const r = recommend('NEUROSURGICAL_ESCALATION', treatedLeak('ventral_dural_tear', ['worse', 'worse']), T);
    expect(r.flags).toEqual(['neurosurgery_threshold_reached']);
  });
});

describe('FOLLOW_UP recommendation (R7/R8/R9/R10)', () => {
  const afterPatch = (followUps: FollowUpRecord[], over: Partial<ClinicalHistory> = {}) =>
    triaged({ slec: 'present' }, SAGGING_MRI, { myelograms: [found('ventral_dural_tear')], procedures: [patch('2024-02-01')], followUps, ...over });

  it('recommends the day 1 phone contact right after a procedure', () => {
    const r = recommend('FOLLOW_UP', afterPatch([]), T);
    expect(r.recommended).toBe('day1');
    expect(r.details?.visit).toBe('day1');
    expect(r.ruleIds).toEqual(['R9', 'R10']);
  });
  it('recommends the week 1 response check after day 1, citing the response rule', () => {
    const r = recommend('FOLLOW_UP', afterPatch([checkIn('2024-02-02', 'improved', 'day1')]), T);
    expect(r.recommended).toBe('week1');
    expect(r.ruleIds).toContain('R7');
  });
  it('recommends the month 3 visit with the 50 % failure criterion after week 1', () => {
    const r = recommend('FOLLOW_UP', afterPatch([checkIn('2024-02-02', 'improved', 'day1'), checkIn('2024-02-08', 'improved', 'week1')]), T);
    expect(r.recommended).toBe('month3');
    expect(r.rationale).toContain('50 %');
  });
  it('recommends the month 12 visit after month 3', () => {
    const r = recommend('FOLLOW_UP', afterPatch([checkIn('2024-05-01', 'resolved', 'month3')]), T);
    expect(r.recommended).toBe('month12');
  });
  it('restarts the schedule after a new procedure', () => {
    const h = afterPatch([checkIn('2024-02-02', 'improved', 'day1'), checkIn('2024-02-08', 'worse', 'week1')], {
      procedures: [patch('2024-02-01'), patch('2024-03-01')],
    });
    expect(nextFollowUpVisit(h, FOLLOW_UP_VISITS)).toBe('day1');
  });
  it('follows a configured schedule that leaves out the day 1 call', () => {
    expect(recommend('FOLLOW_UP', afterPatch([]), T, ['week1', 'month3', 'month12']).recommended).toBe('week1');
  });
  it('flags rebound intracranial hypertension, advises against re-patching and continues follow-up', () => {
    const r = recommend('FOLLOW_UP', afterPatch([checkIn('2024-02-02', 'rebound_hypertension', 'day1')]), T);
    expect(r.flags).toEqual(['rebound_intracranial_hypertension']);
    expect(r.ruleIds).toContain('R8');
    expect(r.rationale).toContain('do not re-patch');
    expect(r.recommended).toBe('week1');
    expect(r.details?.doNotRepatch).toBe(true);
    expect(r.sources).toContain('Kranz et al. 2014 (rebound intracranial hypertension)');
  });
  it('has no rebound flag when the last check-in was an improvement', () => {
    expect(recommend('FOLLOW_UP', afterPatch([checkIn('2024-02-02', 'improved', 'day1')]), T).flags).toBeUndefined();
  });
  it('reports the latest HIT-6 and its band, and the baseline band', () => {
    const r = recommend('FOLLOW_UP', afterPatch([checkIn('2024-02-08', 'improved', 'week1', { hit6: 56, pgic: 2 })], { hit6Baseline: 68 }), T);
    expect(r.details).toMatchObject({ hit6: 56, hit6Band: 'substantial_impact', hit6Baseline: 68, hit6BaselineBand: 'severe_impact', pgic: 2 });
  });
  it('never recommends a follow-up outcome, only the visit to perform', () => {
    const r = recommend('FOLLOW_UP', afterPatch([checkIn('2024-02-02', 'resolved', 'day1')]), T);
    expect(OUTCOMES.FOLLOW_UP as readonly string[]).not.toContain(r.recommended);
  });
});

describe('sources', () => {
  it('draws every citation from the domain file sources and never repeats one', () => {
    const known = new Set(SOURCES.map((s) => s.citation));
    const r = recommend('NEUROSURGICAL_ESCALATION', treatedLeak('ventral_dural_tear', ['worse']), T);
    expect(r.sources.length).toBeGreaterThan(0);
    expect(r.sources.every((s) => known.has(s))).toBe(true);
    expect(new Set(r.sources).size).toBe(r.sources.length);
  });
});

// ---------------------------------------------------------------------------------------
// Properties

const day = fc.integer({ min: 0, max: 1500 }).map((d) => new Date(Date.UTC(2021, 0, 1) + d * 86_400_000).toISOString().slice(0, 10));
const mm = fc.oneof(fc.constantFrom(0, 4, 4.0, 4.1, 5, 5.1, 6.5, 6.6, 100), fc.double({ min: 0, max: 100, noNaN: true }));
const brainMriArb: fc.Arbitrary<BrainMri> = fc.record({
  venousSinusEngorgement: fc.boolean(),
  pachymeningealEnhancement: fc.boolean(),
  subduralFluid: fc.boolean(),
  suprasellarCisternMm: mm,
  prepontineCisternMm: mm,
  mamillopontineDistanceMm: mm,
});
const spineMriArb: fc.Arbitrary<SpineMri> = fc.record(
  { slec: fc.constantFrom('present', 'absent', 'indeterminate'), slecLocation: fc.constantFrom('ventral', 'dorsal', 'lateral', 'mixed') },
  { requiredKeys: ['slec'] },
);
const techniqueArb = fc.constantFrom(...TECHNIQUES);
const myelogramArb: fc.Arbitrary<MyelogramResult> = fc.oneof(
  fc.record({ technique: techniqueArb, performedOn: day, outcome: fc.constantFrom('no_leak' as const, 'equivocal' as const) }),
  fc.record({
    technique: techniqueArb,
    performedOn: day,
    outcome: fc.constant('leak_found' as const),
    leak: fc.record({ type: fc.constantFrom(...LEAK_TYPES), level: fc.constantFrom('T1-T2', 'T7-T8', 'T10', 'L1'), side: fc.constantFrom('left', 'right') }),
  }),
);
const procedureArb: fc.Arbitrary<ProcedureRecord> = fc.record(
  {
    kind: fc.constantFrom('patch' as const, 'surgery' as const),
    procedure: fc.constantFrom(...PATCH_PROCEDURES, ...SURGICAL_PROCEDURES),
    performedOn: day,
    technicalSuccess: fc.boolean(),
  },
  { requiredKeys: ['kind', 'procedure', 'performedOn'] },
);
const followUpArb: fc.Arbitrary<FollowUpRecord> = fc.record(
  {
    visit: fc.constantFrom(...FOLLOW_UP_VISITS),
    outcome: fc.constantFrom(...OUTCOMES.FOLLOW_UP),
    at: day.map((d) => `${d}T09:30:00.000Z`),
    hit6: fc.integer({ min: 36, max: 78 }),
    pgic: fc.integer({ min: 1, max: 7 }),
  },
  { requiredKeys: ['visit', 'outcome', 'at'] },
);
const historyArb: fc.Arbitrary<ClinicalHistory> = fc.record(
  {
    orthostaticPattern: fc.constantFrom('classic_immediate', 'delayed', 'end_of_day', 'non_orthostatic'),
    duralPunctureWithin30Days: fc.boolean(),
    priorSpinalProcedure: fc.boolean(),
    urgency: fc.constantFrom('routine' as const, 'urgent' as const),
    hit6Baseline: fc.integer({ min: 36, max: 78 }),
    triage: fc.record({ brainMri: brainMriArb, spineMri: spineMriArb, ichd3: fc.constantFrom('met' as const, 'not_met' as const, 'insufficient_data' as const) }),
    selectedTechnique: techniqueArb,
    myelograms: fc.array(myelogramArb, { maxLength: 10 }),
    procedures: fc.array(procedureArb, { maxLength: 5 }),
    followUps: fc.array(followUpArb, { maxLength: 6 }),
    lastPlan: fc.constantFrom(...OUTCOMES.TREATMENT_PLANNING),
  },
  { requiredKeys: ['orthostaticPattern', 'duralPunctureWithin30Days', 'priorSpinalProcedure', 'urgency', 'myelograms', 'procedures', 'followUps'] },
);
const thresholdsArb: fc.Arbitrary<Thresholds> = fc
  .record({
    negativeStudiesBeforeReview: fc.integer({ min: 1, max: 10 }),
    failedProceduresBeforeNeurosurgery: fc.integer({ min: 1, max: 10 }),
    bernLowMax: fc.integer({ min: 0, max: 8 }),
    responseImprovementMin: fc.double({ min: 0.05, max: 1, noNaN: true }),
  })
  .chain((t) => fc.integer({ min: t.bernLowMax + 1, max: 9 }).map((bernHighMin) => ({ ...t, bernHighMin })));

const ALLOWED: Record<(typeof DECISION_STAGES)[number], readonly string[]> = {
  ...OUTCOMES,
  IMAGING_SELECTION: TECHNIQUES,
  MYELOGRAPHY: TECHNIQUES,
  FOLLOW_UP: FOLLOW_UP_VISITS,
};

describe('properties', () => {
  it('always scores a brain MRI between 0 and 9 as a whole number', () => {
    fc.assert(
      fc.property(brainMriArb, (mri) => {
        const s = bernScore(mri);
        return Number.isInteger(s) && s >= 0 && s <= 9;
      }),
    );
  });
  it('always returns a recommendation for the stage it was asked about, with rules, sources and an allowed value', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DECISION_STAGES), historyArb, thresholdsArb, (stage, h, t) => {
        const r = recommend(stage, h, t);
        expect(r.stage).toBe(stage);
        expect(r.ruleIds.length).toBeGreaterThan(0);
        expect(r.sources.length).toBeGreaterThan(0);
        expect(ALLOWED[stage]).toContain(r.recommended);
        expect(r.rationale).not.toMatch(/undefined|NaN|\[object/);
        expect(r.bernScore === undefined).toBe(h.triage === undefined);
      }),
      { numRuns: 500 },
    );
  });
  it('never recommends a technique that was negative in the current search while an untried one remains', () => {
    fc.assert(
      fc.property(historyArb, (h) => {
        const lastLeak = h.myelograms.findLastIndex((m) => m.outcome === 'leak_found');
        const tried = new Set(h.myelograms.slice(lastLeak + 1).map((m) => m.technique));
        const { technique } = recommendTechnique(h);
        return tried.size === TECHNIQUES.length || !tried.has(technique);
      }),
      { numRuns: 500 },
    );
  });
  it('never counts more failed procedures than procedures, nor more negative studies than studies', () => {
    fc.assert(
      fc.property(historyArb, (h) => failedProcedureCount(h) <= h.procedures.length && negativeStudiesSinceLastLeak(h) <= h.myelograms.length),
    );
  });
  it('only recommends neurosurgery at treatment planning once the configured number of procedures failed', () => {
    fc.assert(
      fc.property(historyArb, thresholdsArb, (h, t) => {
        const r = recommend('TREATMENT_PLANNING', h, t);
        return r.recommended !== 'neurosurgery' || failedProcedureCount(h) >= t.failedProceduresBeforeNeurosurgery;
      }),
    );
  });
});
