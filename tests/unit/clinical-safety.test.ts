// Clinical safety across the whole course (issue #10): the rules stay right after a second
// procedure, a rebound, a same-day re-patch or a leak on the other side, and they see the facts
// they need. Each test builds a history through applyDecision where the order of recording
// matters, so it exercises what the API records, not a hand-made shape.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { failedProcedures, standingRebound } from '../../functions/domain/clinical-course.js';
import { DEFAULT_CONFIG } from '../../functions/domain/config.js';
import { CARE_PATHWAY } from '../../functions/domain/pathway.js';
import { checkDecision, missingChecklistItems } from '../../functions/domain/decision-checks.js';
import { currentEpisode, reopenPathway } from '../../functions/domain/episodes.js';
import { applyDecision, emptyHistory, nextFollowUpVisit, pgicResponder, type ClinicalHistory } from '../../functions/domain/history.js';
import { applyRedFlags, redFlagEmail, urgentDueAt } from '../../functions/domain/red-flags.js';
import { failedProcedureCount, recommend } from '../../functions/domain/recommendations.js';
import { decisionSchemas, referralSchema, type Decision } from '../../functions/domain/schemas.js';
import { completeCheck, referralBody } from '../support/fixtures.js';

const T = DEFAULT_CONFIG.thresholds;
const now = new Date('2026-11-26T10:00:00Z');

const SAGGING = {
  venousSinusEngorgement: true,
  pachymeningealEnhancement: true,
  subduralFluid: false,
  suprasellarCisternMm: 3,
  prepontineCisternMm: 4,
  mamillopontineDistanceMm: 6,
};
const NORMAL = { venousSinusEngorgement: false, pachymeningealEnhancement: false, subduralFluid: false, suprasellarCisternMm: 6, prepontineCisternMm: 7, mamillopontineDistanceMm: 8 };

/** Record decisions in order, as the API does, starting from a referral. */
function record(decisions: readonly Record<string, unknown>[], start: ClinicalHistory = base()): ClinicalHistory {
  let h = start;
  for (const d of decisions) {
    const parsed = decisionSchemas[d.stage as keyof typeof decisionSchemas].parse(d) as Decision;
    h = applyDecision(h, parsed, DEFAULT_CONFIG, now).history;
  }
  return h;
}
function base(over: Partial<Parameters<typeof emptyHistory>[0]> = {}): ClinicalHistory {
  return emptyHistory({ orthostaticPattern: 'classic_immediate', duralPunctureWithin30Days: false, priorSpinalProcedure: false, urgency: 'routine', hit6Baseline: 68, ...over });
}

const triage = (slec: 'present' | 'absent' | 'indeterminate', extra: Record<string, unknown> = {}) => ({
  stage: 'TRIAGE',
  outcome: 'accept',
  brainMri: SAGGING,
  spineMri: { slec },
  ichd3: 'met',
  ...extra,
});
const leak = (type: string, level: string, side: string) => ({ type, level, side });
const found = (leaks: ReturnType<typeof leak>[], technique = 'decubitus_ctm', performedOn = '2026-10-01') =>
  leaks.length === 1
    ? { stage: 'MYELOGRAPHY', outcome: 'leak_found', technique, performedOn, leak: leaks[0] }
    : { stage: 'MYELOGRAPHY', outcome: 'leak_found', technique, performedOn, leaks };
const negative = (technique: string, sideImaged?: string) => ({ stage: 'MYELOGRAPHY', outcome: 'no_leak', technique, performedOn: '2026-10-01', ...(sideImaged ? { sideImaged } : {}) });
const patch = (procedure: string, levels: string[], performedOn = '2026-10-05', extra: Record<string, unknown> = {}) => ({
  stage: 'TARGETED_PATCH',
  outcome: 'performed',
  procedure,
  levels,
  performedOn,
  preProcedureCheck: completeCheck,
  ...extra,
});
const checkIn = (visit: string, outcome: string, extra: Record<string, unknown> = {}) => ({ stage: 'FOLLOW_UP', visit, outcome, ...extra });

const cvfTreated = () => record([triage('absent'), found([leak('csf_venous_fistula', 'T10', 'right')]), patch('transvenous_embolization', ['T10'])]);
const ventralTreated = () => record([triage('present'), found([leak('ventral_dural_tear', 'T7-T8', 'ventral')], 'prone_dynamic_ctm'), patch('targeted_ebp_ct', ['T7-T8'])]);

describe('defect 1: a rebound stands from the check-in that reports it until the team records it resolved (R8)', () => {
  it('flags treatment planning when a rebound was reported since the last procedure, and recommends no re-patch', () => {
    const h = record([checkIn('day1', 'rebound_hypertension'), checkIn('week1', 'worse')], cvfTreated());

    const r = recommend('TREATMENT_PLANNING', h, T);

    expect(r.flags).toContain('rebound_intracranial_hypertension');
    expect(r.recommended).not.toMatch(/patch/);
    expect(r.details?.doNotRepatch).toBe(true);
    expect(r.ruleIds).toContain('R8');
  });

  it('recommends not performing a patch at the procedure stage while the rebound stands', () => {
    const h = record([checkIn('day1', 'rebound_hypertension'), checkIn('week1', 'worse'), { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch', reason: 'Team wants a second procedure' }], cvfTreated());

    const r = recommend('TARGETED_PATCH', h, T);

    expect(r.recommended).toBe('not_performed');
    expect(r.flags).toContain('rebound_intracranial_hypertension');
  });

  it('keeps the rebound flag at a later check-in after an improvement', () => {
    const h = record([checkIn('day1', 'rebound_hypertension'), checkIn('week1', 'improved')], cvfTreated());

    const r = recommend('FOLLOW_UP', h, T);

    expect(r.flags).toContain('rebound_intracranial_hypertension');
    expect(r.recommended).toBe('month3');
  });

  it('clears the rebound once a check-in records it resolved', () => {
    const h = record([checkIn('day1', 'rebound_hypertension'), checkIn('week1', 'improved', { reboundResolved: true })], cvfTreated());

    expect(standingRebound(h)).toBeUndefined();
    expect(recommend('FOLLOW_UP', h, T).flags ?? []).not.toContain('rebound_intracranial_hypertension');
  });

  it('clears the rebound once treatment planning records it resolved', () => {
    const h = record([checkIn('day1', 'rebound_hypertension'), checkIn('week1', 'worse'), { stage: 'TREATMENT_PLANNING', outcome: 'repeat_imaging', reboundResolved: true }], cvfTreated());

    expect(standingRebound(h)).toBeUndefined();
  });

  it('does not count a worse check-in after a rebound as a failed procedure, and asks the team', () => {
    const h = record([checkIn('day1', 'rebound_hypertension'), checkIn('week1', 'worse')], cvfTreated());

    expect(failedProcedureCount(h)).toBe(0);
    expect(recommend('TREATMENT_PLANNING', h, T).flags).toContain('failure_after_rebound_unconfirmed');
  });

  it('counts a worse check-in after a rebound as a failed procedure when a clinician says so', () => {
    const h = record([checkIn('day1', 'rebound_hypertension'), checkIn('week1', 'worse', { procedureFailed: true })], cvfTreated());

    expect(failedProcedureCount(h)).toBe(1);
  });
});

describe('defect 2: each localised leak is identified by type, level and side, and failures are counted per leak (R6)', () => {
  it('does not give a new left-sided fistula the failures of a treated right-sided one at the same level', () => {
    const h = record(
      [
        checkIn('week1', 'worse'),
        { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' },
        patch('fibrin_cvf_ct', ['T10'], '2026-10-20'),
        checkIn('week1', 'worse'),
        { stage: 'TREATMENT_PLANNING', outcome: 'repeat_imaging', reason: 'Look again' },
        found([leak('csf_venous_fistula', 'T10', 'left')], 'decubitus_ctm', '2026-11-01'),
      ],
      cvfTreated(),
    );

    const r = recommend('TREATMENT_PLANNING', h, T);

    expect(failedProcedureCount(h)).toBe(0);
    expect(r.recommended).toBe('targeted_patch');
    expect(r.flags ?? []).not.toContain('neurosurgery_threshold_reached');
  });

  it('records several leaks of one myelogram and keeps the contract single leak as the first', () => {
    const h = record([triage('absent'), found([leak('csf_venous_fistula', 'T10', 'right'), leak('diverticulum', 'T4', 'left')])]);

    expect(h.myelograms[0]?.leaks).toHaveLength(2);
    expect(h.myelograms[0]?.leak).toMatchObject({ type: 'csf_venous_fistula', level: 'T10', side: 'right' });
  });

  it('counts failures only against the leak a procedure aimed at when one study found several', () => {
    const h = record(
      [
        triage('absent'),
        found([leak('csf_venous_fistula', 'T10', 'right'), leak('diverticulum', 'T4', 'left')]),
        patch('transvenous_embolization', ['T10']),
        checkIn('week1', 'unchanged'),
      ],
    );

    expect(h.procedures[0]?.targets).toEqual([leak('csf_venous_fistula', 'T10', 'right')]);
    expect(failedProcedures(h, T)).toHaveLength(1);
    const r = recommend('TREATMENT_PLANNING', h, T);
    expect(r.details?.leakType).toBe('csf_venous_fistula');
    expect(r.rationale).toContain('2 leaks were found');
  });
});

describe('defect 3: check-ins belong to procedures by recording order, not by calendar date (R9)', () => {
  const sameDayRepatch = () =>
    record(
      [checkIn('day1', 'improved'), checkIn('week1', 'worse'), { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' }, patch('targeted_ebp_ct', ['T7-T8'], '2026-10-05')],
      ventralTreated(),
    );

  it('keeps a failed week-1 check-in with the procedure before a same-day re-patch', () => {
    const h = sameDayRepatch();

    expect(h.followUps.map((f) => f.procedureIndex)).toEqual([0, 0]);
    expect(failedProcedureCount(h)).toBe(1);
  });

  it('schedules the re-patch day-1 contact in both the recommendation and the visit the engine waits for', () => {
    const h = sameDayRepatch();

    expect(nextFollowUpVisit(h, DEFAULT_CONFIG)).toBe('day1');
    expect(recommend('FOLLOW_UP', h, T).recommended).toBe('day1');
  });

  it('reaches the neurosurgery threshold when the same-day re-patch fails at week 1 too', () => {
    const h = record([checkIn('day1', 'improved'), checkIn('week1', 'worse')], sameDayRepatch());

    const r = applyDecision(h, { stage: 'FOLLOW_UP', visit: 'month3', outcome: 'worse' }, DEFAULT_CONFIG, now);

    expect(failedProcedureCount(h)).toBe(2);
    expect(r.facts.neurosurgeryThresholdReached).toBe(true);
    expect(recommend('TREATMENT_PLANNING', h, T).recommended).toBe('neurosurgery');
  });
});

describe('defect 4: a day-1 contact is a safety check, never a failure (R7)', () => {
  it.each(['unchanged', 'worse'])('does not count a day-1 %s as a failed procedure', (outcome) => {
    const h = record([checkIn('day1', outcome)], ventralTreated());

    expect(failedProcedureCount(h)).toBe(0);
  });

  it('says at treatment planning that the day-1 contact is not a response assessment', () => {
    const h = record([checkIn('day1', 'unchanged')], ventralTreated());

    const r = recommend('TREATMENT_PLANNING', h, T);

    expect(r.flags).toContain('day1_not_a_response_assessment');
    expect(r.ruleIds).toContain('R7');
  });
});

describe('defect 5: triage never recommends decline against recorded facts (R1, R2 triage guard)', () => {
  const lowNonOrthostatic = (slec: 'present' | 'absent' | 'indeterminate', ichd3: string, extra: Record<string, unknown> = {}) =>
    record([{ ...triage(slec), brainMri: NORMAL, ichd3, ...extra }], base({ orthostaticPattern: 'non_orthostatic' }));

  it('does not recommend decline when ICHD-3 7.2.3 criteria are recorded as met', () => {
    const r = recommend('TRIAGE', lowNonOrthostatic('absent', 'met'), T);

    expect(r.recommended).not.toBe('decline');
  });

  it('does not recommend decline for an indeterminate SLEC, nor call it no extradural CSF', () => {
    const r = recommend('TRIAGE', lowNonOrthostatic('indeterminate', 'not_met'), T);

    expect(r.recommended).not.toBe('decline');
    expect(r.rationale).not.toContain('no extradural CSF');
  });

  it('does not recommend decline when the opening pressure was below 6 cm CSF', () => {
    const r = recommend('TRIAGE', lowNonOrthostatic('absent', 'not_met', { openingPressureCmCsf: 4.5 }), T);

    expect(r.recommended).not.toBe('decline');
    expect(r.details?.openingPressureCmCsf).toBe(4.5);
  });

  it('still suggests decline for a low score, a non-orthostatic headache, no SLEC and ICHD-3 not met', () => {
    expect(recommend('TRIAGE', lowNonOrthostatic('absent', 'not_met'), T).recommended).toBe('decline');
  });

  it('never declines against a met ICHD-3 or a present or indeterminate SLEC, whatever else is recorded', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('present' as const, 'indeterminate' as const, 'absent' as const),
        fc.constantFrom('met', 'not_met', 'insufficient_data'),
        fc.constantFrom('classic_immediate', 'non_orthostatic'),
        fc.boolean(),
        (slec, ichd3, pattern, puncture) => {
          const h = record([{ ...triage(slec), brainMri: NORMAL, ichd3 }], base({ orthostaticPattern: pattern, duralPunctureWithin30Days: puncture }));
          const r = recommend('TRIAGE', h, T);
          if (ichd3 === 'met' || slec !== 'absent') expect(r.recommended).not.toBe('decline');
          if (slec !== 'absent') expect(r.rationale).not.toContain('no extradural CSF');
        },
      ),
    );
  });
});

describe('defect 6: no surgery is recommended without a localised target (R6)', () => {
  it('recommends no operation for a leak of indeterminate type', () => {
    const h = record([triage('present'), found([leak('indeterminate', 'T7', 'ventral')])]);

    const r = recommend('NEUROSURGICAL_ESCALATION', h, T);

    expect(r.recommended).toBe('not_candidate');
    expect(r.details?.procedure).toBeUndefined();
    expect(r.flags).toContain('no_localised_target');
  });
});

describe('defect 7: PGIC 1 or 2 is a responder (R10)', () => {
  it('reads 1 and 2 as responders and 3 to 7 as not', () => {
    expect([1, 2, 3, 4, 7].map(pgicResponder)).toEqual([true, true, false, false, false]);
  });

  it('shows the responder on the recommendation and keeps it with the check-in', () => {
    const h = record([checkIn('day1', 'improved'), checkIn('week1', 'improved', { pgic: 2 })], ventralTreated());

    expect(h.followUps[1]?.pgicResponder).toBe(true);
    expect(recommend('FOLLOW_UP', h, T).details).toMatchObject({ pgic: 2, pgicResponder: true });
  });
});

describe('defect 8: lateral decubitus studies go one side, then the other, before resolution escalates (R3)', () => {
  it('recommends the same decubitus technique on the other side after a negative one-side study', () => {
    const h = record([triage('absent'), negative('decubitus_ctm', 'right')]);

    const r = recommend('IMAGING_SELECTION', h, T);

    expect(r.recommended).toBe('decubitus_ctm');
    expect(r.details?.side).toBe('left');
    expect(r.rationale).toContain('left side comes next');
  });

  it('names the side to image at myelography', () => {
    const h = record([triage('absent'), negative('decubitus_ctm', 'right'), { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique: 'decubitus_ctm' }]);

    expect(recommend('MYELOGRAPHY', h, T).details?.side).toBe('left');
  });

  it('moves on once both sides were negative', () => {
    const h = record([triage('absent'), negative('decubitus_ctm', 'right'), negative('decubitus_ctm', 'left')]);

    expect(recommend('IMAGING_SELECTION', h, T).recommended).toBe('decubitus_dsm');
  });
});

describe('defect 9: the neurosurgery threshold is program policy (R6)', () => {
  it('says so in the rationale and follows the configured number', () => {
    const h = record([checkIn('week1', 'worse')], ventralTreated());

    const r = recommend('TREATMENT_PLANNING', h, { ...T, failedProceduresBeforeNeurosurgery: 1 });

    expect(r.recommended).toBe('neurosurgery');
    expect(r.rationale).toContain('program policy');
    expect(r.rationale).toContain('thresholds.failedProceduresBeforeNeurosurgery');
  });
});

describe('R7 at month 3: less than 50 % improvement counts as failure, by a named measure', () => {
  it('counts 40 % fewer headache days as a failure and says it used headache days', () => {
    const treated = record([triage('present'), found([leak('ventral_dural_tear', 'T7-T8', 'ventral')]), patch('targeted_ebp_ct', ['T7-T8'])], base({ headacheDaysPerMonthBaseline: 20 }));
    const course = record([checkIn('day1', 'improved'), checkIn('week1', 'improved'), checkIn('month3', 'improved', { headacheDaysPerMonth: 12 })], treated);

    const r = recommend('FOLLOW_UP', course, T);

    expect(failedProcedureCount(course)).toBe(1);
    expect(r.details).toMatchObject({ responseMeasure: 'headache_days', responseImprovementPct: 40, responseFailure: true });
    expect(r.rationale).toContain('headache days per month');
  });

  it('uses the HIT-6 change from baseline when headache days are not recorded', () => {
    const course = record([checkIn('day1', 'improved'), checkIn('week1', 'improved'), checkIn('month3', 'improved', { hit6: 50 })], ventralTreated());

    const r = recommend('FOLLOW_UP', course, T);

    expect(r.details).toMatchObject({ responseMeasure: 'hit6', responseImprovementPct: 56, responseFailure: false });
    expect(failedProcedureCount(course)).toBe(0);
  });

  it('keeps the month-3 brain MRI Bern score with the check-in', () => {
    const course = record([checkIn('day1', 'improved'), checkIn('week1', 'improved'), checkIn('month3', 'resolved', { brainMriBernScore: 1 })], ventralTreated());

    expect(course.followUps[2]?.brainMriBernScore).toBe(1);
    expect(recommend('FOLLOW_UP', course, T).details?.month3BernScore).toBe(1);
  });
});

describe('R8: rebound screening after CSF-venous fistula treatment', () => {
  it('prompts rebound screening at day 1 and week 1 after embolization', () => {
    const day1 = recommend('FOLLOW_UP', cvfTreated(), T);
    const week1 = recommend('FOLLOW_UP', record([checkIn('day1', 'improved')], cvfTreated()), T);

    for (const r of [day1, week1]) {
      expect(r.flags).toContain('rebound_screening_due');
      expect(r.rationale).toContain('screen explicitly for rebound intracranial hypertension');
    }
  });

  it('does not prompt it after a patch for a ventral tear', () => {
    expect(recommend('FOLLOW_UP', ventralTreated(), T).flags ?? []).not.toContain('rebound_screening_due');
  });
});

describe('R12: the pre-procedure check must be complete, or overridden with a reason', () => {
  const atPatch = record([{ stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' }], record([triage('present'), found([leak('ventral_dural_tear', 'T7-T8', 'ventral')])]));
  const issuesFor = (d: Record<string, unknown>) => checkDecision(atPatch, null, decisionSchemas[d.stage as 'TARGETED_PATCH'].parse(d) as Decision, DEFAULT_CONFIG);

  it('refuses a performed patch without the check, naming each missing item', () => {
    const { preProcedureCheck: _none, ...bare } = patch('targeted_ebp_ct', ['T7-T8']);

    const issues = issuesFor(bare);

    expect(issues.map((i) => i.path)).toEqual([
      'preProcedureCheck.anticoagulationHeldPerPlan',
      'preProcedureCheck.coagulationChecked',
      'preProcedureCheck.pregnancyExcluded',
      'preProcedureCheck.contrastAllergyReviewed',
      'preProcedureCheck.renalFunctionReviewed',
    ]);
  });

  it('accepts a complete check with pregnancy not applicable', () => {
    expect(issuesFor(patch('targeted_ebp_ct', ['T7-T8']))).toEqual([]);
  });

  it('accepts an incomplete check when the clinician gives a reason to proceed', () => {
    expect(issuesFor(patch('targeted_ebp_ct', ['T7-T8'], '2026-10-05', { preProcedureCheck: { coagulationChecked: true, overrideReason: 'Emergency: deteriorating consciousness' } }))).toEqual([]);
  });

  it('requires the check for surgery recorded as operated, and not for a procedure not performed', () => {
    expect(missingChecklistItems({ anticoagulationHeldPerPlan: true, coagulationChecked: true, pregnancyExcluded: false, contrastAllergyReviewed: true, renalFunctionReviewed: true })).toEqual(['pregnancyExcluded']);
    const surgery = decisionSchemas.NEUROSURGICAL_ESCALATION.parse({ stage: 'NEUROSURGICAL_ESCALATION', outcome: 'operated', procedure: 'cvf_ligation', performedOn: '2026-10-05' });
    expect(checkDecision(atPatch, null, surgery, DEFAULT_CONFIG)).toHaveLength(5);
    expect(issuesFor({ stage: 'TARGETED_PATCH', outcome: 'not_performed', reason: 'Anticoagulated' })).toEqual([]);
  });
});

describe('facts the rules need are captured', () => {
  it('carries associated symptoms, connective tissue disorder, trauma and baseline headache days from the referral', () => {
    const referral = referralSchema.parse(referralBody({ associatedSymptoms: ['tinnitus', 'neck_pain'], connectiveTissueDisorder: true, trauma: false, headacheDaysPerMonthBaseline: 25 }));

    const h = emptyHistory(referral);

    expect(h).toMatchObject({ associatedSymptoms: ['tinnitus', 'neck_pain'], connectiveTissueDisorder: true, trauma: false, headacheDaysPerMonthBaseline: 25 });
    expect(JSON.stringify(h)).not.toContain(referral.patient.familyName);
  });

  it('treats trauma before the headache as not spontaneous under ICHD-3 7.2.3', () => {
    expect(recommend('TRIAGE', base({ trauma: true }), T).flags).toContain('not_spontaneous_ichd3');
  });

  it('keeps the patch volume and the surgical indication', () => {
    const h = record([patch('targeted_ebp_ct', ['T7-T8'], '2026-10-05', { volumeMl: 14 })], ventralTreated());
    const s = record([{ stage: 'NEUROSURGICAL_ESCALATION', outcome: 'operated', procedure: 'ventral_repair_microspur', performedOn: '2026-11-01', indication: 'ventral_tear_disc_microspur', preProcedureCheck: completeCheck }], h);

    expect(h.procedures[1]?.volumeMl).toBe(14);
    expect(s.procedures[2]?.indication).toBe('ventral_tear_disc_microspur');
  });

  it('keeps diverticula on spine MRI and the side a decubitus study imaged', () => {
    const h = record([{ ...triage('absent'), spineMri: { slec: 'absent', diverticula: true } }, negative('decubitus_dsm', 'left')]);

    expect(h.triage?.spineMri.diverticula).toBe(true);
    expect(h.myelograms[0]?.sideImaged).toBe('left');
  });

  it('refuses the same leak twice in one study', () => {
    const r = decisionSchemas.MYELOGRAPHY.safeParse(found([leak('csf_venous_fistula', 'T10', 'right'), leak('csf_venous_fistula', 'T10', 'right')]));

    expect(r.success).toBe(false);
  });
});

describe('treatment-plan headline and citations', () => {
  it('names embolization or fibrin for a CSF-venous fistula rather than a targeted patch', () => {
    const h = record([triage('absent'), found([leak('csf_venous_fistula', 'T10', 'right')])]);

    const r = recommend('TREATMENT_PLANNING', h, T);

    expect(r.recommended).toBe('targeted_patch');
    expect(r.headline).toContain('embolization');
    expect(r.headline).toContain('fibrin');
    expect(r.headline).not.toMatch(/blood patch/i);
  });

  it('gives each source a link and the rules of the recommendation it backs, beside the text list', () => {
    const r = recommend('TARGETED_PATCH', record([triage('absent'), found([leak('csf_venous_fistula', 'T10', 'right')])]), T);

    expect(r.citations.map((c) => c.title)).toEqual(r.sources);
    for (const c of r.citations) {
      expect(c.url).toMatch(/^https:\/\//);
      expect(c.ruleIds.every((id) => r.ruleIds.includes(id))).toBe(true);
    }
  });
});

describe('red flags (R11), pure part', () => {
  const at = { at: '2026-11-26T10:00:00.000Z', sub: 'physician-1' };

  it('makes the case urgent and records the report once; the same report again records nothing', () => {
    const first = applyRedFlags(base(), { complications: ['cerebral_venous_thrombosis'] }, at);

    const again = applyRedFlags(first.history, { complications: ['cerebral_venous_thrombosis'] }, { ...at, at: '2026-11-26T10:00:05.000Z' });

    expect(first.recorded).toBe(true);
    expect(first.history.urgency).toBe('urgent');
    expect(again.recorded).toBe(false);
    expect(again.history.redFlags).toHaveLength(1);
  });

  it('pulls the due date in to the urgent service level, never later than it was', () => {
    expect(urgentDueAt('2026-12-03T10:00:00.000Z', now, DEFAULT_CONFIG)).toBe('2026-11-27T10:00:00.000Z');
    expect(urgentDueAt('2026-11-26T12:00:00.000Z', now, DEFAULT_CONFIG)).toBe('2026-11-26T12:00:00.000Z');
  });

  it('writes an urgent-review email to the site lead and the team with no clinical finding in it', () => {
    const email = redFlagEmail(CARE_PATHWAY, { patientId: '01JABCDEFGHJKMNPQRSTVWXYZ0', caseRef: 'CSF-2026-000001', site: 'santa-clara', stage: 'TARGETED_PATCH' }, DEFAULT_CONFIG);

    expect(email.to).toEqual(['lead.santa-clara@example.org', 'neurointerventional.sacramento@example.org']);
    expect(email.subject).toBe('[CSF-2026-000001] Urgent review needed');
    expect(`${email.text}${email.html}`).not.toMatch(/subdural|thrombosis|sagging|consciousness/i);
  });
});

describe('episodes: a recurrence after completion reopens the pathway, history kept (R9)', () => {
  it('reopens a same-site recurrence at treatment planning and counts the last procedure as failed', () => {
    const done = record([checkIn('day1', 'improved'), checkIn('week1', 'improved'), checkIn('month3', 'resolved'), checkIn('month12', 'resolved')], ventralTreated());

    const reopened = reopenPathway(done, 'recurrence_same_site', now);

    expect(reopened.stage).toBe('TREATMENT_PLANNING');
    expect(reopened.episode).toBe(2);
    expect(reopened.history.followUps).toHaveLength(4);
    expect(failedProcedureCount(reopened.history)).toBe(1);
    expect(recommend('TREATMENT_PLANNING', reopened.history, T).recommended).toBe('targeted_patch');
  });

  it('reopens a new-site recurrence at imaging selection as a new search', () => {
    const done = record([negative('decubitus_ctm', 'right'), negative('decubitus_ctm', 'left'), checkIn('month12', 'resolved')], cvfTreated());

    const reopened = reopenPathway(done, 'recurrence_new_site', now);

    expect(reopened.stage).toBe('IMAGING_SELECTION');
    expect(currentEpisode(reopened.history)).toMatchObject({ number: 2, cause: 'recurrence_new_site' });
    expect(reopened.history.episodes?.[0]).toMatchObject({ number: 1, closedAs: 'completed' });
    expect(recommend('IMAGING_SELECTION', reopened.history, T).recommended).toBe('decubitus_ctm');
    expect(recommend('IMAGING_SELECTION', reopened.history, T).details?.negativeStudies).toBe(0);
  });
});
