// Clinical recommendations: decision rules R1-R12 of domain/csf-leak-pathway.md, written as
// pure functions of a patient's ClinicalHistory. No I/O, no AWS and no clock. Every result is
// a *recommendation* that a named clinician confirms or overrides; the numbers marked
// "configurable" in the domain file come from PathwayConfig.thresholds and are never
// hard-coded here.
//
// Conventions used throughout:
// - `history.myelograms`, `history.procedures` and `history.followUps` are in recording
//   order; check-ins belong to procedures by that order (clinical-course.ts), never by date.
// - A myelogram with outcome `no_leak` or `equivocal` is a *negative* study: neither one
//   localises a leak, and the contract routes both back to IMAGING_SELECTION.
// - A leak is identified by type, level and side (R6); failures are counted per leak.
import { CVF_TREATMENTS, type LeakIdentity } from './clinical-facts.js';
import {
  currentLeaks,
  failedProcedures,
  followUpsSinceLastProcedure,
  latestLeak,
  mostFailedLeak,
  negativeStudiesOfSearch,
  negativeStudiesSinceLastLeak,
  negativeTechniquesOfSearch,
  responseImprovement,
  standingRebound,
  worseAfterRebound,
  type Thresholds,
} from './clinical-course.js';
import { DEFAULT_CONFIG } from './config.js';
import { nextFollowUpVisit, pgicResponder } from './history.js';
import type { ClinicalHistory, LeakFinding, ProcedureRecord } from './history.js';
import type { BrainMri } from './schemas.js';
import { FOLLOW_UP_VISITS } from './vocabulary.js';
import type { DecisionStage, FollowUpVisit, LeakType, PatchProcedure, Technique } from './vocabulary.js';

export type { Thresholds } from './clinical-course.js';
export { latestLeak, negativeStudiesSinceLastLeak } from './clinical-course.js';
export { pgicResponder } from './history.js';
export type BernProbability = 'low' | 'intermediate' | 'high';

export interface Source {
  readonly id: string;
  readonly citation: string;
}

/** A source with where to read it and the rules it backs (the dashboard links it). */
export interface Citation {
  readonly id: string;
  readonly title: string;
  readonly url: string;
  readonly ruleIds: readonly string[];
}

export interface Recommendation {
  readonly stage: DecisionStage;
  /** An allowed outcome of the stage; for IMAGING_SELECTION and MYELOGRAPHY a Technique; for FOLLOW_UP the visit. */
  readonly recommended: string;
  /** What is recommended in plain words, naming the procedure family (CVF: embolization or fibrin, not "targeted patch"). */
  readonly headline: string;
  readonly ruleIds: readonly string[];
  readonly rationale: string;
  /** The citations of `ruleIds` as text (contract). */
  readonly sources: readonly string[];
  /** The same sources with a link and the rules each backs. */
  readonly citations: readonly Citation[];
  readonly bernScore?: number;
  readonly bernProbability?: BernProbability;
  readonly flags?: readonly string[];
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

const pubmed = (terms: string) => `https://pubmed.ncbi.nlm.nih.gov/?term=${encodeURIComponent(terms)}`;

/**
 * The sources of the domain file, each with the rules it backs. R4, R7 and R9 have none: their
 * numbers are program policy (configurable), and so is R6's number of failed procedures, so a
 * recommendation resting only on them borrows no authority it does not have. Links are PubMed
 * searches by title words (stable, and honest about not pinning an edition), ICHD-3 its own site.
 */
export const CITATIONS: readonly Citation[] = [
  { id: 'ichd3-7.2.3', title: 'ICHD-3 7.2.3 (ichd-3.org)', url: 'https://ichd-3.org/7-headache-attributed-to-non-vascular-intracranial-disorder/7-2-headache-attributed-to-low-cerebrospinal-fluid-pressure/', ruleIds: ['R1'] },
  { id: 'dobrocky-2019', title: 'Dobrocky et al., JAMA Neurology 2019 (Bern score)', url: pubmed('Dobrocky spinal CSF leaks scoring system brain MRI JAMA Neurol 2019'), ruleIds: ['R2'] },
  { id: 'farb-2019', title: 'Farb et al., AJNR 2019', url: pubmed('Farb spontaneous intracranial hypotension systematic imaging approach AJNR 2019'), ruleIds: ['R3'] },
  { id: 'schievink-2019', title: 'Schievink et al., J Neurosurg Spine 2019 (decubitus DSM)', url: pubmed('Schievink lateral decubitus digital subtraction myelography CSF-venous fistula 2019'), ruleIds: ['R3'] },
  { id: 'mamlouk-2021-ajnr', title: 'Mamlouk et al., AJNR 2021 (decubitus CTM)', url: pubmed('Mamlouk decubitus CT myelography CSF-venous fistula AJNR 2021'), ruleIds: ['R3'] },
  { id: 'kranz-2019', title: 'Kranz, Gray, Amrhein 2019', url: pubmed('Kranz Gray Amrhein spontaneous intracranial hypotension 2019'), ruleIds: ['R3'] },
  { id: 'lutzen-2024', title: 'Lützen et al., JNIS 2024', url: pubmed('Lützen decubitus CT myelography digital subtraction myelography CSF-venous fistula 2024'), ruleIds: ['R3'] },
  { id: 'schievink-2016', title: 'Schievink et al., Neurology 2016 (leak classification)', url: pubmed('Schievink classification system spontaneous spinal CSF leaks Neurology 2016'), ruleIds: ['R5'] },
  { id: 'beck-2016', title: 'Beck et al. 2016 (discogenic microspurs)', url: pubmed('Beck discogenic microspurs spontaneous intracranial hypotension 2016'), ruleIds: ['R5', 'R6'] },
  { id: 'beck-2023', title: 'Beck et al., J Neurosurg Spine 2023 (minimally invasive repair)', url: pubmed('Beck minimally invasive repair spinal CSF leak J Neurosurg Spine 2023'), ruleIds: ['R5', 'R6'] },
  { id: 'brinjikji-2022', title: 'Brinjikji et al., JNIS 2022 (transvenous embolization)', url: pubmed('Brinjikji transvenous embolization CSF-venous fistula 2022'), ruleIds: ['R5'] },
  { id: 'mamlouk-2021-radiology', title: 'Mamlouk et al., Radiology 2021 (CT-guided fibrin occlusion of CVF)', url: pubmed('Mamlouk CT-guided fibrin glue occlusion CSF-venous fistula Radiology 2021'), ruleIds: ['R5'] },
  { id: 'kranz-2014', title: 'Kranz et al. 2014 (rebound intracranial hypertension)', url: pubmed('Kranz rebound intracranial hypertension epidural blood patch 2014'), ruleIds: ['R8'] },
  { id: 'ninds-cde', title: 'HIT-6 (NINDS common data elements)', url: 'https://www.commondataelements.ninds.nih.gov/', ruleIds: ['R10'] },
  { id: 'cheema-2023', title: 'Cheema et al., UK multidisciplinary consensus guideline for SIH, JNNP 2023', url: pubmed('Cheema multidisciplinary consensus guideline spontaneous intracranial hypotension 2023'), ruleIds: ['R11'] },
  { id: 'patel-2019', title: 'Patel et al., JVIR 2019 (SIR periprocedural bleeding-risk consensus)', url: pubmed('Patel Society of Interventional Radiology consensus periprocedural management thrombotic bleeding risk 2019'), ruleIds: ['R12'] },
];

/** Each rule's citations as text, in CITATIONS order (the contract's `sources`). */
export const SOURCES: readonly Source[] = CITATIONS.flatMap((c) => c.ruleIds.map((id) => ({ id, citation: c.title })));

/** The distinct citations of the given rules, in SOURCES order. */
export function sourcesFor(ruleIds: readonly string[]): string[] {
  return citationsFor(ruleIds).map((c) => c.title);
}

/** The citations backing any of the given rules, each once, with the rules of `ruleIds` it backs. */
export function citationsFor(ruleIds: readonly string[]): Citation[] {
  const wanted = new Set(ruleIds);
  return CITATIONS.filter((c) => c.ruleIds.some((r) => wanted.has(r))).map((c) => ({ ...c, ruleIds: c.ruleIds.filter((r) => wanted.has(r)) }));
}

/** R6/R7: how many procedures failed for the current leak; see clinical-course.ts failedProcedures. */
export function failedProcedureCount(history: ClinicalHistory, thresholds: Thresholds = DEFAULT_CONFIG.thresholds): number {
  return failedProcedures(history, thresholds).length;
}

// ---------------------------------------------------------------------------------------
// R2 Bern score

/** R2: major signs 2 points (venous sinus engorgement, pachymeningeal enhancement, suprasellar cistern <= 4.0 mm); minor signs 1 point (subdural fluid, prepontine cistern <= 5.0 mm, mamillopontine distance <= 6.5 mm). 0..9. */
export function bernScore(mri: BrainMri): number {
  let score = 0;
  if (mri.venousSinusEngorgement) score += 2;
  if (mri.pachymeningealEnhancement) score += 2;
  if (mri.suprasellarCisternMm <= 4.0) score += 2;
  if (mri.subduralFluid) score += 1;
  if (mri.prepontineCisternMm <= 5.0) score += 1;
  if (mri.mamillopontineDistanceMm <= 6.5) score += 1;
  return score;
}

/** R2: score <= bernLowMax is low, >= bernHighMin is high, anything between intermediate (defaults 2 and 5). */
export function bernProbability(score: number, t: Thresholds): BernProbability {
  if (score <= t.bernLowMax) return 'low';
  if (score >= t.bernHighMin) return 'high';
  return 'intermediate';
}

// ---------------------------------------------------------------------------------------
// R10 HIT-6 bands

export type Hit6Band = 'little_or_no_impact' | 'some_impact' | 'substantial_impact' | 'severe_impact';

/** R10: <= 49 little/no impact, 50-55 some, 56-59 substantial, >= 60 severe. */
export function hit6Band(score: number): Hit6Band {
  if (score <= 49) return 'little_or_no_impact';
  if (score <= 55) return 'some_impact';
  if (score <= 59) return 'substantial_impact';
  return 'severe_impact';
}

// ---------------------------------------------------------------------------------------
// R3/R4 technique selection

export const TECHNIQUE_LABEL: Record<Technique, string> = {
  prone_dynamic_ctm: 'prone dynamic CT myelography',
  prone_dsm: 'prone dynamic digital subtraction myelography',
  decubitus_dsm: 'lateral decubitus digital subtraction myelography',
  decubitus_ctm: 'lateral decubitus dynamic CT myelography',
  conventional_delayed_ctm: 'conventional CT myelography with delayed images',
  photon_counting_ctm: 'photon-counting CT myelography',
  dual_energy_ctm: 'dual-energy CT myelography',
};

const PRONE: ReadonlySet<Technique> = new Set<Technique>(['prone_dynamic_ctm', 'prone_dsm']);
const DECUBITUS: ReadonlySet<Technique> = new Set<Technique>(['decubitus_dsm', 'decubitus_ctm']);
const HIGHER_RESOLUTION: ReadonlySet<Technique> = new Set<Technique>(['photon_counting_ctm', 'dual_energy_ctm']);

type SlecPath = 'ventral' | 'dorsal_lateral' | 'absent' | 'indeterminate';

/** R3 orders of preference; the first technique not already negative in this search is recommended. */
const ORDER: Record<SlecPath, readonly Technique[]> = {
  // SLEC present: fast leak, usually a ventral tear. Prone first; then decubitus; then resolution.
  ventral: ['prone_dynamic_ctm', 'decubitus_ctm', 'photon_counting_ctm', 'dual_energy_ctm', 'prone_dsm', 'decubitus_dsm', 'conventional_delayed_ctm'],
  // SLEC dorsal or lateral: lateral decubitus dynamic CTM first.
  dorsal_lateral: ['decubitus_ctm', 'photon_counting_ctm', 'dual_energy_ctm', 'decubitus_dsm', 'conventional_delayed_ctm', 'prone_dynamic_ctm', 'prone_dsm'],
  // SLEC absent: CVF or distal root-sleeve leak. Decubitus CTM, then the other side / decubitus DSM; then resolution.
  absent: ['decubitus_ctm', 'decubitus_dsm', 'photon_counting_ctm', 'dual_energy_ctm', 'conventional_delayed_ctm', 'prone_dynamic_ctm', 'prone_dsm'],
  // SLEC indeterminate (or spine MRI not recorded): a slow leak is possible.
  indeterminate: ['conventional_delayed_ctm', 'photon_counting_ctm', 'dual_energy_ctm', 'decubitus_ctm', 'decubitus_dsm', 'prone_dynamic_ctm', 'prone_dsm'],
};

function slecPath(history: ClinicalHistory): SlecPath {
  const spine = history.triage?.spineMri;
  if (spine === undefined || spine.slec === 'indeterminate') return 'indeterminate';
  if (spine.slec === 'absent') return 'absent';
  return spine.slecLocation === 'dorsal' || spine.slecLocation === 'lateral' ? 'dorsal_lateral' : 'ventral';
}

const PATH_REASON: Record<SlecPath, string> = {
  ventral: 'A spinal longitudinal extradural CSF collection (SLEC) suggests a fast leak, usually a ventral dural tear',
  dorsal_lateral: 'A dorsal or lateral SLEC points to a fast leak that prone imaging may miss',
  absent: 'Without a SLEC the search is for a CSF-venous fistula or a distal nerve-root-sleeve leak',
  indeterminate: 'The spine MRI does not settle whether there is a SLEC, so a slow leak remains possible',
};

/**
 * R3 side sequence: a lateral decubitus study negative on one side, whose other side has not
 * been imaged with the same technique in this search, calls for that other side next.
 */
export function otherSideDue(history: ClinicalHistory): { technique: Technique; side: 'left' | 'right'; imaged: 'left' | 'right' } | undefined {
  const studies = negativeStudiesOfSearch(history).filter((m) => DECUBITUS.has(m.technique) && m.sideImaged !== undefined);
  for (let i = studies.length - 1; i >= 0; i--) {
    const m = studies[i];
    if (m === undefined || m.sideImaged === 'both' || m.sideImaged === undefined) continue;
    const other = m.sideImaged === 'left' ? 'right' : 'left';
    const done = studies.some((s) => s.technique === m.technique && (s.sideImaged === other || s.sideImaged === 'both'));
    if (!done) return { technique: m.technique, side: other, imaged: m.sideImaged };
  }
  return undefined;
}

/** Both sides of this decubitus technique were imaged (and negative) in the current search. */
function bothSidesNegative(history: ClinicalHistory, technique: Technique): boolean {
  const sides = new Set(negativeStudiesOfSearch(history).filter((m) => m.technique === technique).map((m) => m.sideImaged));
  return sides.has('both') || (sides.has('left') && sides.has('right'));
}

/**
 * R3 (and R4 once a study was negative): the next myelography technique. After a negative
 * one-side decubitus study it is the same technique on the other side; otherwise it never
 * recommends a technique that was negative since the last leak while an untried one remains.
 */
export function recommendTechnique(history: ClinicalHistory): { technique: Technique; ruleIds: string[]; rationale: string; side?: 'left' | 'right' } {
  const path = slecPath(history);
  const tried = negativeTechniquesOfSearch(history);
  const negatives = negativeStudiesSinceLastLeak(history);
  const due = otherSideDue(history);
  if (due !== undefined) {
    return {
      technique: due.technique,
      side: due.side,
      ruleIds: ['R3', 'R4'],
      rationale: `${PATH_REASON[path]}: ${TECHNIQUE_LABEL[due.technique]} of the ${due.imaged} side was negative, so the same technique on the ${due.side} side comes next, before a higher-resolution technique.`,
    };
  }
  const proneNegative = [...tried].some((t) => PRONE.has(t));
  // "If [prone] negative ... lateral decubitus dynamic CTM": a negative prone study demotes the other prone one.
  const order = proneNegative ? [...ORDER[path].filter((t) => !PRONE.has(t)), ...ORDER[path].filter((t) => PRONE.has(t))] : [...ORDER[path]];
  const untried = order.find((t) => !tried.has(t));
  const ruleIds = negatives > 0 ? ['R3', 'R4'] : ['R3'];

  if (untried === undefined) {
    return {
      technique: 'photon_counting_ctm',
      ruleIds: ['R3', 'R4'],
      rationale: `Every technique has been negative in this search (${negatives} studies), so only a repeat at the highest resolution, ${TECHNIQUE_LABEL.photon_counting_ctm}, remains; multidisciplinary review is advised (R4).`,
    };
  }

  const label = TECHNIQUE_LABEL[untried];
  let step: string;
  if (negatives === 0) {
    step = path === 'absent'
      ? `start with ${label}, one side then the other, with early and delayed passes (it found more CSF-venous fistulas than decubitus DSM, Lützen 2024)`
      : path === 'ventral'
        ? `start with ${label} (prone dynamic DSM is the alternative)`
        : `start with ${label}`;
  } else if (proneNegative && untried === 'decubitus_ctm') {
    step = `a prone study was negative, so ${label} is next`;
  } else if (untried === 'decubitus_dsm' && tried.has('decubitus_ctm')) {
    step = bothSidesNegative(history, 'decubitus_ctm')
      ? `decubitus CT myelography was negative on both sides, so ${label} is next`
      : `decubitus CT myelography was negative, so image the other side or use ${label}`;
  } else if (HIGHER_RESOLUTION.has(untried)) {
    step = `${negatives} previous ${negatives === 1 ? 'study was' : 'studies were'} negative, so escalate resolution with ${label}`;
  } else {
    step = `${negatives} previous ${negatives === 1 ? 'study was' : 'studies were'} negative, so ${label} is the next untried technique`;
  }
  return { technique: untried, ruleIds, rationale: `${PATH_REASON[path]}: ${step}.` };
}

// ---------------------------------------------------------------------------------------
// Stage recommendations

type Draft = Omit<Recommendation, 'stage' | 'sources' | 'citations' | 'bernScore' | 'bernProbability'>;

const LEAK_LABEL: Record<LeakType, string> = {
  ventral_dural_tear: 'ventral dural tear',
  lateral_dural_tear: 'lateral dural tear',
  diverticulum: 'ruptured perineural diverticulum',
  csf_venous_fistula: 'CSF-venous fistula',
  indeterminate: 'leak of indeterminate type',
};

const PROCEDURE_LABEL: Record<string, string> = {
  targeted_ebp_ct: 'CT-guided targeted epidural blood patch',
  targeted_ebp_fluoro: 'fluoroscopy-guided targeted epidural blood patch',
  transforaminal_ebp: 'transforaminal epidural blood patch',
  fibrin_epidural: 'epidural fibrin glue',
  fibrin_cvf_ct: 'CT-guided fibrin occlusion of the fistula',
  transvenous_embolization: 'transvenous embolization of the fistula',
  non_targeted_ebp: 'non-targeted (multi-level) epidural blood patch',
  ventral_repair_microspur: 'microspur removal and ventral dural repair',
  nerve_root_ligation: 'nerve-root ligation or clipping',
  cvf_ligation: 'surgical ligation of the fistula',
  minimally_invasive_repair: 'minimally invasive repair',
};

const where = (l: LeakIdentity): string => `${l.level}${l.side ? ` (${l.side})` : ''}`;
const capital = (s: string): string => s.charAt(0).toUpperCase() + s.slice(1);

/** R5: the treatment family a leak type calls for first, in words (the headline of a plan). */
function firstTreatment(l: LeakIdentity): string {
  if (l.type === 'csf_venous_fistula') return `Transvenous embolization or CT-guided fibrin occlusion of the CSF-venous fistula at ${where(l)}`;
  if (l.type === 'ventral_dural_tear') return `CT-guided targeted epidural blood patch (or fibrin) at the ventral dural tear, ${where(l)}`;
  return `Targeted epidural blood patch (or fibrin) at the ${LEAK_LABEL[l.type]}, ${where(l)}`;
}

const isLocalised = (type: LeakType | undefined): type is Exclude<LeakType, 'indeterminate'> => type !== undefined && type !== 'indeterminate';

/** R6: the number of failed procedures before neurosurgery is program policy, not evidence. */
const policyNote = (t: Thresholds) =>
  `The threshold of ${t.failedProceduresBeforeNeurosurgery} failed procedures is program policy (configuration: thresholds.failedProceduresBeforeNeurosurgery); no source fixes the number.`;

const REBOUND_ADVICE = 'manage medically (no re-patch for it) and continue follow-up';

function triage(history: ClinicalHistory, thresholds: Thresholds): Draft {
  const notSpontaneous = history.duralPunctureWithin30Days || history.priorSpinalProcedure || history.trauma === true;
  const orthostatic = history.orthostaticPattern !== 'non_orthostatic';
  const flags = notSpontaneous ? ['not_spontaneous_ichd3'] : [];
  const causes = [
    history.duralPunctureWithin30Days ? 'a dural puncture within 30 days' : undefined,
    history.priorSpinalProcedure ? 'a prior spinal procedure' : undefined,
    history.trauma ? 'trauma before the headache' : undefined,
  ].filter((c): c is string => c !== undefined);
  const cause = causes.length > 1 ? `${causes.slice(0, -1).join(', ')} and ${causes.at(-1)} mean` : `${causes[0] ?? ''} means`;
  const r1 = notSpontaneous
    ? ` ${capital(cause)} the headache would not be classed as spontaneous under ICHD-3 7.2.3; whether to proceed is a clinician call.`
    : '';
  const details: Record<string, string | number | boolean> = { orthostaticPattern: history.orthostaticPattern };
  if (history.connectiveTissueDisorder) details.connectiveTissueDisorder = true;

  if (history.triage === undefined) {
    return orthostatic
      ? {
          recommended: 'accept',
          headline: 'Accept once brain and spine MRI are recorded',
          ruleIds: ['R1'],
          rationale: `An orthostatic headache pattern is consistent with spontaneous intracranial hypotension; accept once brain and spine MRI are recorded.${r1}`,
          flags,
          details,
        }
      : {
          recommended: 'request_info',
          headline: 'Request brain MRI with contrast and spine MRI',
          ruleIds: ['R1'],
          rationale: `A non-orthostatic headache does not by itself suggest a CSF leak; request brain MRI with contrast and spine MRI to look for imaging evidence (ICHD-3 7.2).${r1}`,
          flags,
          details,
        };
  }

  const { brainMri, spineMri, ichd3, openingPressureCmCsf } = history.triage;
  const score = bernScore(brainMri);
  const probability = bernProbability(score, thresholds);
  details.slec = spineMri.slec;
  details.ichd3 = ichd3;
  if (spineMri.diverticula !== undefined) details.diverticula = spineMri.diverticula;
  // R1: opening pressure below 60 mm CSF (6 cm) is evidence of low CSF pressure in itself.
  const lowPressure = openingPressureCmCsf !== undefined && openingPressureCmCsf < 6;
  if (openingPressureCmCsf !== undefined) details.openingPressureCmCsf = openingPressureCmCsf;
  const bern = `Bern score ${score} (${probability} probability of a spinal leak)`;
  // Triage guard: a recorded ICHD-3 `met`, a present or indeterminate SLEC, or a low opening
  // pressure is never a reason to decline; only a spine MRI without a SLEC is "no extradural CSF".
  const guard = ichd3 === 'met' || spineMri.slec !== 'absent' || lowPressure;
  if (probability === 'low' && !orthostatic && !guard) {
    return {
      recommended: 'decline',
      headline: 'Decline: an alternative diagnosis is more likely',
      ruleIds: ['R1', 'R2'],
      rationale: `${bern}, a non-orthostatic headache and no extradural CSF on spine MRI suggest an alternative diagnosis; a low score does not exclude a leak, so decline only if the clinical picture agrees.${r1}`,
      flags,
      details,
    };
  }
  const evidence = [
    ichd3 === 'met' ? 'ICHD-3 7.2.3 criteria are met' : undefined,
    spineMri.slec === 'present' ? 'the spine MRI shows extradural CSF' : undefined,
    spineMri.slec === 'indeterminate' ? 'the spine MRI is indeterminate for extradural CSF' : undefined,
    lowPressure ? `the opening pressure was ${openingPressureCmCsf} cm CSF (below 6)` : undefined,
    spineMri.diverticula ? 'the spine MRI shows perineural diverticula' : undefined,
  ].filter((e): e is string => e !== undefined);
  const why = probability === 'low'
    ? `${bern}; a low score does not exclude a leak${evidence.length > 0 ? `, ${evidence.join(', ')}` : ''} and the clinical picture justifies imaging`
    : `${bern}${evidence.length > 0 ? `; ${evidence.join(', ')}` : ''}`;
  return {
    recommended: 'accept',
    headline: 'Accept for myelography planning',
    ruleIds: ['R1', 'R2'],
    rationale: `${why}: accept for myelography planning.${r1}`,
    flags,
    details,
  };
}

function imagingSelection(history: ClinicalHistory, thresholds: Thresholds): Draft {
  const pick = recommendTechnique(history);
  const negatives = negativeStudiesSinceLastLeak(history);
  const limit = negatives >= thresholds.negativeStudiesBeforeReview;
  const details: Record<string, string | number | boolean> = { technique: pick.technique, slec: history.triage?.spineMri.slec ?? 'not_recorded', negativeStudies: negatives };
  if (pick.side) details.side = pick.side;
  return {
    recommended: pick.technique,
    headline: `${capital(TECHNIQUE_LABEL[pick.technique])}${pick.side ? `, ${pick.side} side` : ''}`,
    ruleIds: limit && !pick.ruleIds.includes('R4') ? [...pick.ruleIds, 'R4'] : pick.ruleIds,
    rationale: limit
      ? `${pick.rationale} ${negatives} negative studies reach the review limit of ${thresholds.negativeStudiesBeforeReview}: a multidisciplinary review should confirm that more imaging is wanted.`
      : pick.rationale,
    flags: limit ? ['negative_study_limit_reached'] : [],
    details,
  };
}

function myelography(history: ClinicalHistory): Draft {
  const selected = history.selectedTechnique;
  const pick = recommendTechnique(history);
  const technique = selected ?? pick.technique;
  const side = pick.technique === technique ? pick.side : undefined;
  const sideText = side ? ` Image the ${side} side (the other side was negative) and record the side imaged.` : DECUBITUS.has(technique) ? ' Record the side imaged.' : '';
  return {
    recommended: technique,
    headline: `${capital(TECHNIQUE_LABEL[technique])}${side ? `, ${side} side` : ''}`,
    ruleIds: ['R3'],
    rationale: (selected !== undefined
      ? `Perform the technique chosen at imaging selection: ${TECHNIQUE_LABEL[technique]}; record whether a leak was found, and every leak when there are several.`
      : `No technique was recorded at imaging selection; the rules suggest ${TECHNIQUE_LABEL[technique]}.`) + sideText,
    details: { technique, selected: selected !== undefined, ...(side ? { side } : {}) },
  };
}

function treatmentPlanning(history: ClinicalHistory, thresholds: Thresholds): Draft {
  const leaks = currentLeaks(history);
  const leak = latestLeak(history)?.leak;
  const negatives = negativeStudiesSinceLastLeak(history);
  const worst = mostFailedLeak(history, thresholds);
  const failed = failedProcedures(history, thresholds).length;
  const surgeryThreshold = failed >= thresholds.failedProceduresBeforeNeurosurgery;
  const rebound = standingRebound(history);
  const unconfirmed = worseAfterRebound(history);
  const latest = followUpsSinceLastProcedure(history).at(-1);
  const details: Record<string, string | number | boolean> = {
    leakType: leak?.type ?? 'none',
    negativeStudies: negatives,
    failedProcedures: failed,
    leaks: leaks.length,
  };
  if (leak !== undefined) {
    details.leakLevel = leak.level;
    details.leakSide = leak.side;
  }
  const threshold = surgeryThreshold ? ['neurosurgery_threshold_reached'] : [];

  // R8 first: a standing rebound is managed medically; it is not a reason to patch again.
  if (rebound !== undefined) {
    details.doNotRepatch = true;
    return {
      recommended: 'repeat_imaging',
      headline: 'Rebound intracranial hypertension: medical management, no re-patch for it',
      ruleIds: ['R8', 'R3'],
      rationale: `Rebound intracranial hypertension was reported since the last procedure and has not been recorded as resolved: ${REBOUND_ADVICE}. ${unconfirmed ? `The later "${unconfirmed.outcome}" check-in is not counted as a failed procedure unless a clinician records it as one. ` : ''}Plan another procedure only if imaging confirms a persisting leak; record the rebound as resolved when it is.`,
      flags: ['rebound_intracranial_hypertension', ...(unconfirmed ? ['failure_after_rebound_unconfirmed'] : []), ...threshold],
      details,
    };
  }

  // R7: a day-1 contact is a safety check; it does not judge the procedure.
  const dayOne = latest?.visit === 'day1' && (latest.outcome === 'unchanged' || latest.outcome === 'worse');
  const dayOneNote = dayOne ? ' The day-1 contact is a safety check, not a response assessment (R7): it does not count as a failed procedure; response is judged at about one week.' : '';
  const dayOneFlag = dayOne ? ['day1_not_a_response_assessment'] : [];
  const withR7 = (ids: string[]) => (dayOne && !ids.includes('R7') ? [...ids, 'R7'] : ids);

  if (negatives >= thresholds.negativeStudiesBeforeReview) {
    return {
      recommended: 'empirical_patch',
      headline: 'Multidisciplinary review; empirical non-targeted epidural blood patch',
      ruleIds: withR7(['R4', 'R5']),
      rationale: `${negatives} negative studies since the last leak reach the limit of ${thresholds.negativeStudiesBeforeReview}: multidisciplinary review, with an empirical non-targeted patch, and re-check alternative diagnoses (postural tachycardia, orthostatic hypotension, cervicogenic headache).${dayOneNote}`,
      flags: ['negative_study_limit_reached', ...threshold, ...dayOneFlag],
      details,
    };
  }

  if (surgeryThreshold) {
    if (worst !== undefined && worst.failed >= thresholds.failedProceduresBeforeNeurosurgery) {
      const l = worst.leak;
      details.leakType = l.type;
      details.leakLevel = l.level;
      details.leakSide = l.side;
      return {
        recommended: 'neurosurgery',
        headline: `Neurosurgical ${l.type === 'csf_venous_fistula' ? 'ligation of the CSF-venous fistula' : 'repair of the ' + LEAK_LABEL[l.type]} at ${where(l)}`,
        ruleIds: withR7(['R5', 'R6']),
        rationale: `The ${LEAK_LABEL[l.type]} at ${where(l)} persists after ${worst.failed} failed procedures aimed at it: refer for neurosurgical repair. ${policyNote(thresholds)}${dayOneNote}`,
        flags: [...threshold, ...dayOneFlag],
        details,
      };
    }
    return {
      recommended: 'repeat_imaging',
      headline: 'Repeat imaging to localise the leak before any surgery',
      ruleIds: withR7(['R3', 'R6']),
      rationale: `${failed} procedures have failed (threshold ${thresholds.failedProceduresBeforeNeurosurgery}), but surgery needs a localised leak: repeat imaging to localise it. ${policyNote(thresholds)}${dayOneNote}`,
      flags: [...threshold, ...dayOneFlag],
      details,
    };
  }

  const ruleIds = withR7(negatives > 0 ? ['R4', 'R5'] : ['R5']);
  if (leaks.length === 0) {
    return {
      recommended: 'empirical_patch',
      headline: 'Empirical non-targeted (multi-level) epidural blood patch',
      ruleIds,
      rationale: (leak === undefined
        ? 'No leak has been localised: a non-targeted or multi-level epidural patch.'
        : 'The leak was not localised to a type: a non-targeted or multi-level epidural patch.') + dayOneNote,
      flags: dayOneFlag,
      details,
    };
  }
  const target = worst?.leak ?? (leaks[0] as LeakFinding);
  const others = leaks.length > 1 ? ` ${leaks.length} leaks were found; each is treated and counted on its own (type, level and side).` : '';
  const after = failed > 0 ? ` (${failed} failed so far; neurosurgery is recommended after ${thresholds.failedProceduresBeforeNeurosurgery}, a number set by program policy)` : '';
  if (target.type === 'csf_venous_fistula') {
    return {
      recommended: 'targeted_patch',
      headline: firstTreatment(target),
      ruleIds,
      rationale: `A CSF-venous fistula at ${where(target)} is treated by transvenous embolization or CT-guided fibrin occlusion (or surgical ligation); blood patches are rarely effective for CVF${after}.${others}${dayOneNote}`,
      flags: dayOneFlag,
      details: { ...details, procedureFamily: 'cvf_occlusion' },
    };
  }
  return {
    recommended: 'targeted_patch',
    headline: firstTreatment(target),
    ruleIds,
    rationale: `A ${LEAK_LABEL[target.type]} at ${where(target)} is treated first with a targeted patch or fibrin at the leak site${after}.${others}${dayOneNote}`,
    flags: dayOneFlag,
    details: { ...details, procedureFamily: 'targeted_epidural' },
  };
}

function targetedPatch(history: ClinicalHistory, thresholds: Thresholds): Draft {
  const empirical = history.lastPlan === 'empirical_patch';
  const worst = mostFailedLeak(history, thresholds);
  const leak: LeakFinding | undefined = empirical ? undefined : (worst?.leak ?? latestLeak(history)?.leak);
  const failed = failedProcedures(history, thresholds).map((p) => p.procedure);
  const rebound = standingRebound(history);
  const checklist = ' Complete the pre-procedure check first (R12): anticoagulation managed per plan, coagulation, pregnancy where relevant, contrast allergy and renal function.';
  if (rebound !== undefined) {
    return {
      recommended: 'not_performed',
      headline: 'Do not patch for rebound intracranial hypertension',
      ruleIds: ['R8', 'R12'],
      rationale: `Rebound intracranial hypertension was reported since the last procedure and has not been recorded as resolved: ${REBOUND_ADVICE}. Proceed only if the team has confirmed a persisting leak, and say so in the reason.`,
      flags: ['rebound_intracranial_hypertension'],
      details: { leakType: leak?.type ?? 'none', failedProcedures: failed.length, doNotRepatch: true },
    };
  }
  const type: LeakType | undefined = leak?.type;
  let procedure: PatchProcedure;
  let rationale: string;
  switch (type) {
    case 'ventral_dural_tear':
      procedure = 'targeted_ebp_ct';
      rationale = 'A ventral dural tear: CT-guided targeted epidural blood patch at the leak level (transforaminal patch or fibrin are alternatives).';
      break;
    case 'lateral_dural_tear':
    case 'diverticulum':
      if (failed.length > 0) {
        procedure = 'fibrin_epidural';
        rationale = `A ${LEAK_LABEL[type]} after a failed patch: epidural fibrin glue at the leak site.`;
      } else {
        procedure = 'targeted_ebp_ct';
        rationale = `A ${LEAK_LABEL[type]}: CT-guided targeted epidural blood patch at the leak site (fibrin is the alternative).`;
      }
      break;
    case 'csf_venous_fistula':
      if (failed.includes('transvenous_embolization')) {
        procedure = 'fibrin_cvf_ct';
        rationale = 'A CSF-venous fistula after failed transvenous embolization: CT-guided fibrin occlusion; blood patches are rarely effective for CVF.';
      } else {
        procedure = 'transvenous_embolization';
        rationale = 'A CSF-venous fistula: transvenous embolization (CT-guided fibrin occlusion is the alternative); blood patches are rarely effective for CVF.';
      }
      break;
    default:
      procedure = 'non_targeted_ebp';
      rationale = empirical
        ? 'The plan is an empirical patch: non-targeted or multi-level epidural blood patch.'
        : 'No leak was localised: non-targeted or multi-level epidural blood patch.';
  }
  const details: Record<string, string | number | boolean> = { procedure, leakType: leak?.type ?? 'none', failedProcedures: failed.length };
  if (leak !== undefined && procedure !== 'non_targeted_ebp') {
    details.leakLevel = leak.level;
    details.leakSide = leak.side;
  }
  return {
    recommended: 'performed',
    headline: `${capital(PROCEDURE_LABEL[procedure] ?? procedure)}${leak !== undefined && procedure !== 'non_targeted_ebp' ? ` at ${where(leak)}` : ''}`,
    ruleIds: ['R5', 'R12'],
    rationale: rationale + checklist,
    details,
  };
}

function neurosurgicalEscalation(history: ClinicalHistory, thresholds: Thresholds): Draft {
  const worst = mostFailedLeak(history, thresholds);
  const leak = worst?.leak ?? latestLeak(history)?.leak;
  const failed = failedProcedures(history, thresholds).length;
  const flags = failed >= thresholds.failedProceduresBeforeNeurosurgery ? ['neurosurgery_threshold_reached'] : [];
  // R6: surgery is not recommended without a localised target.
  if (leak === undefined || !isLocalised(leak.type)) {
    return {
      recommended: 'not_candidate',
      headline: 'No localised target: surgery is not recommended',
      ruleIds: ['R6'],
      rationale: 'No leak has been localised to a type, level and side, and surgery is not recommended without a localised target: return to treatment planning for repeat imaging (higher resolution, the other side or position) or an empirical patch.',
      flags: [...flags, 'no_localised_target'],
      details: { leakType: leak?.type ?? 'none', failedProcedures: failed },
    };
  }
  const procedure = leak.type === 'ventral_dural_tear'
    ? 'ventral_repair_microspur'
    : leak.type === 'csf_venous_fistula'
      ? 'cvf_ligation'
      : 'nerve_root_ligation';
  const what: Record<typeof procedure, string> = {
    ventral_repair_microspur: `A ventral dural tear at ${where(leak)}: removal of the disc microspur and dural repair.`,
    nerve_root_ligation: `A ${leak.type === 'diverticulum' ? 'perineural diverticulum' : 'lateral dural tear'} at ${where(leak)}: nerve-root ligation or clipping.`,
    cvf_ligation: `A CSF-venous fistula at ${where(leak)}: surgical ligation of the fistula.`,
  };
  const indication = failed >= thresholds.failedProceduresBeforeNeurosurgery
    ? 'persistent_leak_after_targeted_treatment'
    : leak.type === 'ventral_dural_tear'
      ? 'ventral_tear_disc_microspur'
      : leak.type === 'csf_venous_fistula'
        ? 'cvf_ligation_chosen'
        : 'diverticulum_nerve_root_ligation';
  return {
    recommended: 'operated',
    headline: `${capital(PROCEDURE_LABEL[procedure] ?? procedure)} at ${where(leak)}`,
    ruleIds: ['R5', 'R6', 'R12'],
    rationale: `${what[procedure]} ${failed > 0 ? `${failed} failed procedures were aimed at this leak. ` : ''}${policyNote(thresholds)} Complete the pre-procedure check first (R12).`,
    flags,
    details: { procedure, indication, leakType: leak.type, leakLevel: leak.level, leakSide: leak.side, failedProcedures: failed },
  };
}

const VISIT_ACTION: Record<FollowUpVisit, { rules: string[]; text: string; headline: string }> = {
  day1: { rules: ['R9'], headline: 'Day 1 phone contact', text: 'Day 1 phone contact after the procedure: a safety check, not a response assessment' },
  week1: { rules: ['R7', 'R9'], headline: 'Week 1 response check', text: 'Week 1 response check: judge the response to the procedure' },
  month3: { rules: ['R7', 'R9'], headline: 'Month 3 review with brain MRI', text: 'Month 3: HIT-6, PGIC, headache days per month and brain MRI with Bern score; less than 50 % improvement now counts as failure' },
  month12: { rules: ['R9'], headline: 'Month 12 review', text: 'Month 12 review' },
};

function followUp(history: ClinicalHistory, schedule: readonly FollowUpVisit[], thresholds: Thresholds): Draft {
  const visit = nextFollowUpVisit(history, schedule) ?? schedule.at(-1) ?? 'month12';
  const since = followUpsSinceLastProcedure(history);
  const rebound = standingRebound(history) !== undefined;
  const lastProcedure: ProcedureRecord | undefined = history.procedures.at(-1);
  const afterCvf = lastProcedure !== undefined && CVF_TREATMENTS.has(lastProcedure.procedure);
  const screen = afterCvf && (visit === 'day1' || visit === 'week1');
  const hit6 = history.followUps.findLast((f) => f.hit6 !== undefined)?.hit6;
  const action = VISIT_ACTION[visit];
  const details: Record<string, string | number | boolean> = { visit };
  if (history.hit6Baseline !== undefined) {
    details.hit6Baseline = history.hit6Baseline;
    details.hit6BaselineBand = hit6Band(history.hit6Baseline);
  }
  if (hit6 !== undefined) {
    details.hit6 = hit6;
    details.hit6Band = hit6Band(hit6);
  }
  const pgic = history.followUps.findLast((f) => f.pgic !== undefined)?.pgic;
  if (pgic !== undefined) {
    details.pgic = pgic;
    details.pgicResponder = pgicResponder(pgic);
  }
  if (rebound) details.doNotRepatch = true;
  if (screen) details.reboundScreening = true;

  // R7 at month 3: which measure judged the response, and whether it reached the minimum.
  const month3 = since.findLast((f) => f.visit === 'month3');
  let response = '';
  if (month3 !== undefined) {
    const r = responseImprovement(history, month3);
    if (r !== undefined) {
      const pct = Math.round(r.improvement * 100);
      details.responseMeasure = r.measure;
      details.responseImprovementPct = pct;
      details.responseFailure = r.improvement < thresholds.responseImprovementMin;
      const by = r.measure === 'headache_days' ? 'headache days per month' : 'HIT-6 change from baseline (over the span above its floor of 36)';
      response = ` Month 3 improvement by ${by}: ${pct} %${r.improvement < thresholds.responseImprovementMin ? `, below ${Math.round(thresholds.responseImprovementMin * 100)} %: it counts as a failed procedure (R7).` : '.'}`;
    }
    if (month3.brainMriBernScore !== undefined) details.month3BernScore = month3.brainMriBernScore;
  }

  const ruleIds = [...action.rules, 'R10', ...(rebound || screen ? ['R8'] : []), ...(response && !action.rules.includes('R7') ? ['R7'] : [])];
  const flags = [...(rebound ? ['rebound_intracranial_hypertension'] : []), ...(screen ? ['rebound_screening_due'] : [])];
  const screening = screen
    ? ` After CSF-venous fistula treatment, screen explicitly for rebound intracranial hypertension (17-50 %): a new, different headache, frontal, worse lying down, with nausea or blurred vision.`
    : '';
  const pgicText = pgic !== undefined ? ` Latest PGIC ${pgic}: ${pgicResponder(pgic) ? 'responder' : 'not a responder'} (1 or 2 is a responder, R10).` : '';
  return {
    recommended: visit,
    headline: screen ? `${action.headline} with rebound screening` : action.headline,
    ruleIds,
    rationale: rebound
      ? `Rebound intracranial hypertension was reported since the last procedure and not recorded as resolved: do not re-patch, ${REBOUND_ADVICE}. ${action.text}; record the outcome and HIT-6.${screening}${response}${pgicText}`
      : `${action.text}; record the outcome and HIT-6.${screening}${response}${pgicText}`,
    flags,
    details,
  };
}

/**
 * The recommendation for the pending decision of `stage`. Bern score and probability are
 * attached whenever triage has recorded the brain MRI. `followUpSchedule` is the configured
 * R9 visit order (defaults to all four visits).
 */
export function recommend(
  stage: DecisionStage,
  history: ClinicalHistory,
  thresholds: Thresholds,
  followUpSchedule: readonly FollowUpVisit[] = FOLLOW_UP_VISITS,
): Recommendation {
  let draft: Draft;
  switch (stage) {
    case 'TRIAGE':
      draft = triage(history, thresholds);
      break;
    case 'IMAGING_SELECTION':
      draft = imagingSelection(history, thresholds);
      break;
    case 'MYELOGRAPHY':
      draft = myelography(history);
      break;
    case 'TREATMENT_PLANNING':
      draft = treatmentPlanning(history, thresholds);
      break;
    case 'TARGETED_PATCH':
      draft = targetedPatch(history, thresholds);
      break;
    case 'NEUROSURGICAL_ESCALATION':
      draft = neurosurgicalEscalation(history, thresholds);
      break;
    case 'FOLLOW_UP':
      draft = followUp(history, followUpSchedule, thresholds);
      break;
    default: {
      const never: never = stage;
      throw new Error(`unknown stage ${String(never)}`);
    }
  }
  const { flags, details, ...rest } = draft;
  const score = history.triage === undefined ? undefined : bernScore(history.triage.brainMri);
  return {
    stage,
    ...rest,
    sources: sourcesFor(draft.ruleIds),
    citations: citationsFor(draft.ruleIds),
    ...(score === undefined ? {} : { bernScore: score, bernProbability: bernProbability(score, thresholds) }),
    ...(flags !== undefined && flags.length > 0 ? { flags } : {}),
    ...(details !== undefined ? { details } : {}),
  };
}
