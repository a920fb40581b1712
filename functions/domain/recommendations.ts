// Clinical recommendations: decision rules R1-R10 of domain/csf-leak-pathway.md, written as
// pure functions of a patient's ClinicalHistory. No I/O, no AWS and no clock. Every result is
// a *recommendation* that a named clinician confirms or overrides; the numbers marked
// "configurable" in the domain file come from PathwayConfig.thresholds and are never
// hard-coded here.
//
// Conventions used throughout:
// - `history.myelograms`, `history.procedures` and `history.followUps` are in the order they
//   were recorded, which is chronological. Procedures are additionally sorted by date
//   (a stable sort) before follow-ups are attributed to them.
// - A myelogram with outcome `no_leak` or `equivocal` is a *negative* study: neither one
//   localises a leak, and the contract routes both back to IMAGING_SELECTION.
import type { PathwayConfig } from './config.js';
import type { ClinicalHistory, FollowUpRecord, MyelogramResult, ProcedureRecord } from './patient.js';
import type { BrainMri } from './schemas.js';
import { FOLLOW_UP_VISITS } from './vocabulary.js';
import type { DecisionStage, FollowUpVisit, LeakType, PatchProcedure, Technique } from './vocabulary.js';

export type Thresholds = PathwayConfig['thresholds'];
export type BernProbability = 'low' | 'intermediate' | 'high';

export interface Source {
  readonly id: string;
  readonly citation: string;
}

export interface Recommendation {
  readonly stage: DecisionStage;
  /** An allowed outcome of the stage; for IMAGING_SELECTION and MYELOGRAPHY a Technique; for FOLLOW_UP the visit. */
  readonly recommended: string;
  readonly ruleIds: readonly string[];
  readonly rationale: string;
  readonly sources: readonly string[];
  readonly bernScore?: number;
  readonly bernProbability?: BernProbability;
  readonly flags?: readonly string[];
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/**
 * The citations behind each rule, taken from the Sources section of the domain file. R4, R7
 * and R9 have none there: their numbers are program policy (configurable), so a
 * recommendation resting only on them borrows no authority it does not have.
 */
export const SOURCES: readonly Source[] = [
  { id: 'R1', citation: 'ICHD-3 7.2.3 (ichd-3.org)' },
  { id: 'R2', citation: 'Dobrocky et al., JAMA Neurology 2019 (Bern score)' },
  { id: 'R3', citation: 'Farb et al., AJNR 2019' },
  { id: 'R3', citation: 'Schievink et al., J Neurosurg Spine 2019 (decubitus DSM)' },
  { id: 'R3', citation: 'Mamlouk et al., AJNR 2021 (decubitus CTM)' },
  { id: 'R3', citation: 'Kranz, Gray, Amrhein 2019' },
  { id: 'R3', citation: 'Lützen et al., JNIS 2024' },
  { id: 'R5', citation: 'Schievink et al., Neurology 2016 (leak classification)' },
  { id: 'R5', citation: 'Beck et al. 2016 (discogenic microspurs)' },
  { id: 'R5', citation: 'Beck et al., J Neurosurg Spine 2023 (minimally invasive repair)' },
  { id: 'R5', citation: 'Brinjikji et al., JNIS 2022 (transvenous embolization)' },
  { id: 'R5', citation: 'Mamlouk et al., Radiology 2021 (CT-guided fibrin occlusion of CVF)' },
  { id: 'R6', citation: 'Beck et al. 2016 (discogenic microspurs)' },
  { id: 'R6', citation: 'Beck et al., J Neurosurg Spine 2023 (minimally invasive repair)' },
  { id: 'R8', citation: 'Kranz et al. 2014 (rebound intracranial hypertension)' },
  { id: 'R10', citation: 'HIT-6 (NINDS common data elements)' },
];

/** The distinct citations of the given rules, in SOURCES order. */
export function sourcesFor(ruleIds: readonly string[]): string[] {
  const wanted = new Set(ruleIds);
  const out: string[] = [];
  for (const s of SOURCES) if (wanted.has(s.id) && !out.includes(s.citation)) out.push(s.citation);
  return out;
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
// History helpers

type LocalisedMyelogram = MyelogramResult & { readonly leak: NonNullable<MyelogramResult['leak']> };

const isNegative = (m: MyelogramResult): boolean => m.outcome === 'no_leak' || m.outcome === 'equivocal';
const hasLeak = (m: MyelogramResult): m is LocalisedMyelogram => m.outcome === 'leak_found' && m.leak !== undefined;

/** The most recent study that found a leak, if any. */
export function latestLeak(history: ClinicalHistory): LocalisedMyelogram | undefined {
  return history.myelograms.findLast(hasLeak);
}

/**
 * R4: negative studies (`no_leak` or `equivocal`) recorded after the most recent study that
 * found a leak, or since the first study when no leak was ever found.
 */
export function negativeStudiesSinceLastLeak(history: ClinicalHistory): number {
  let n = 0;
  for (const m of history.myelograms) {
    if (m.outcome === 'leak_found') n = 0;
    else if (isNegative(m)) n += 1;
  }
  return n;
}

/** Techniques of the negative studies since the most recent leak: the current search episode. */
function negativeTechniquesSinceLastLeak(history: ClinicalHistory): Set<Technique> {
  const tried = new Set<Technique>();
  for (const m of history.myelograms) {
    if (m.outcome === 'leak_found') tried.clear();
    else if (isNegative(m)) tried.add(m.technique);
  }
  return tried;
}

/**
 * Date from which procedures are aimed at the current leak: the earliest study in the unbroken
 * run of leak-finding studies that show the same leak (type and level) as the latest one.
 * Negative studies in between do not break the run; a study showing a different leak does.
 */
function currentLeakSince(history: ClinicalHistory): string | undefined {
  const found = history.myelograms.filter(hasLeak);
  const last = found[found.length - 1];
  if (last === undefined) return undefined;
  let since = last.performedOn;
  for (let i = found.length - 2; i >= 0; i--) {
    const m = found[i];
    if (m === undefined || m.leak.type !== last.leak.type || m.leak.level !== last.leak.level) break;
    since = m.performedOn < since ? m.performedOn : since;
  }
  return since;
}

const FAILURE_OUTCOMES: ReadonlySet<string> = new Set(['unchanged', 'worse', 'recurrence_same_site']);

const byDate = <T>(date: (x: T) => string) => (a: T, b: T): number => (date(a) < date(b) ? -1 : date(a) > date(b) ? 1 : 0);

/** The follow-ups attributed to each procedure: a check-in belongs to the latest procedure performed on or before its date. */
function followUpsByProcedure(history: ClinicalHistory): { procedure: ProcedureRecord; followUps: FollowUpRecord[] }[] {
  const procs = [...history.procedures].sort(byDate((p) => p.performedOn)).map((procedure) => ({ procedure, followUps: [] as FollowUpRecord[] }));
  for (const f of history.followUps) {
    const day = f.at.slice(0, 10);
    const owner = procs.findLast((p) => p.procedure.performedOn <= day);
    owner?.followUps.push(f);
  }
  return procs;
}

/**
 * R6/R7: the procedures aimed at the current leak that failed.
 *
 * Definition of a failed procedure (documented because R6 counts them):
 * - it is a patch or surgery other than an empirical `non_targeted_ebp` (R6 counts *targeted*
 *   procedures; an empirical patch is not a test of a localised leak), and
 * - it was performed on or after the current leak was first shown (see currentLeakSince; when
 *   no leak was ever localised every procedure is considered), and
 * - either it was recorded as not technically successful (`technicalSuccess === false`), or a
 *   follow-up check-in attributed to it (the latest procedure performed on or before the
 *   check-in's date) had the outcome `unchanged`, `worse` or `recurrence_same_site`.
 * Each procedure counts at most once. `rebound_hypertension` is a complication, not a failure
 * (R8); `recurrence_new_site` is a new leak, not a failure of this one. The R7 "< 50 %
 * improvement at 3 months" criterion is captured only through the clinician's recorded outcome
 * (`unchanged`/`worse`), because the check-in holds no percentage.
 */
export function failedProcedures(history: ClinicalHistory): ProcedureRecord[] {
  const since = currentLeakSince(history);
  return followUpsByProcedure(history)
    .filter(({ procedure }) => procedure.procedure !== 'non_targeted_ebp')
    .filter(({ procedure }) => since === undefined || procedure.performedOn >= since)
    .filter(({ procedure, followUps }) => procedure.technicalSuccess === false || followUps.some((f) => FAILURE_OUTCOMES.has(f.outcome)))
    .map(({ procedure }) => procedure);
}

/** R6/R7: how many procedures failed; see failedProcedures for the definition. */
export function failedProcedureCount(history: ClinicalHistory): number {
  return failedProcedures(history).length;
}

// ---------------------------------------------------------------------------------------
// R3/R4 technique selection

const TECHNIQUE_LABEL: Record<Technique, string> = {
  prone_dynamic_ctm: 'prone dynamic CT myelography',
  prone_dsm: 'prone dynamic digital subtraction myelography',
  decubitus_dsm: 'lateral decubitus digital subtraction myelography',
  decubitus_ctm: 'lateral decubitus dynamic CT myelography',
  conventional_delayed_ctm: 'conventional CT myelography with delayed images',
  photon_counting_ctm: 'photon-counting CT myelography',
  dual_energy_ctm: 'dual-energy CT myelography',
};

const PRONE: ReadonlySet<Technique> = new Set<Technique>(['prone_dynamic_ctm', 'prone_dsm']);
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
 * R3 (and R4 once a study was negative): the next myelography technique. It never recommends
 * a technique that was negative since the last leak while an untried one remains.
 */
export function recommendTechnique(history: ClinicalHistory): { technique: Technique; ruleIds: string[]; rationale: string } {
  const path = slecPath(history);
  const tried = negativeTechniquesSinceLastLeak(history);
  const negatives = negativeStudiesSinceLastLeak(history);
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
    step = `decubitus CT myelography was negative, so image the other side or use ${label}`;
  } else if (HIGHER_RESOLUTION.has(untried)) {
    step = `${negatives} previous ${negatives === 1 ? 'study was' : 'studies were'} negative, so escalate resolution with ${label}`;
  } else {
    step = `${negatives} previous ${negatives === 1 ? 'study was' : 'studies were'} negative, so ${label} is the next untried technique`;
  }
  return { technique: untried, ruleIds, rationale: `${PATH_REASON[path]}: ${step}.` };
}

// ---------------------------------------------------------------------------------------
// Stage recommendations

type Draft = Omit<Recommendation, 'stage' | 'sources' | 'bernScore' | 'bernProbability'>;

const LEAK_LABEL: Record<LeakType, string> = {
  ventral_dural_tear: 'ventral dural tear',
  lateral_dural_tear: 'lateral dural tear',
  diverticulum: 'ruptured perineural diverticulum',
  csf_venous_fistula: 'CSF-venous fistula',
  indeterminate: 'leak of indeterminate type',
};

const isLocalised = (type: LeakType | undefined): type is Exclude<LeakType, 'indeterminate'> => type !== undefined && type !== 'indeterminate';

function triage(history: ClinicalHistory, thresholds: Thresholds): Draft {
  const notSpontaneous = history.duralPunctureWithin30Days || history.priorSpinalProcedure;
  const orthostatic = history.orthostaticPattern !== 'non_orthostatic';
  const flags = notSpontaneous ? ['not_spontaneous_ichd3'] : [];
  const cause = history.duralPunctureWithin30Days && history.priorSpinalProcedure
    ? 'A dural puncture within 30 days and a prior spinal procedure mean'
    : history.duralPunctureWithin30Days
      ? 'A dural puncture within 30 days means'
      : 'A prior spinal procedure means';
  const r1 = notSpontaneous
    ? ` ${cause} the headache would not be classed as spontaneous under ICHD-3 7.2.3; whether to proceed is a clinician call.`
    : '';
  const details: Record<string, string | number | boolean> = { orthostaticPattern: history.orthostaticPattern };

  if (history.triage === undefined) {
    return orthostatic
      ? {
          recommended: 'accept',
          ruleIds: ['R1'],
          rationale: `An orthostatic headache pattern is consistent with spontaneous intracranial hypotension; accept once brain and spine MRI are recorded.${r1}`,
          flags,
          details,
        }
      : {
          recommended: 'request_info',
          ruleIds: ['R1'],
          rationale: `A non-orthostatic headache does not by itself suggest a CSF leak; request brain MRI with contrast and spine MRI to look for imaging evidence (ICHD-3 7.2).${r1}`,
          flags,
          details,
        };
  }

  const { brainMri, spineMri, ichd3 } = history.triage;
  const score = bernScore(brainMri);
  const probability = bernProbability(score, thresholds);
  details.slec = spineMri.slec;
  details.ichd3 = ichd3;
  const bern = `Bern score ${score} (${probability} probability of a spinal leak)`;
  if (probability === 'low' && !orthostatic && spineMri.slec !== 'present') {
    return {
      recommended: 'decline',
      ruleIds: ['R1', 'R2'],
      rationale: `${bern}, a non-orthostatic headache and no extradural CSF on spine MRI suggest an alternative diagnosis; a low score does not exclude a leak, so decline only if the clinical picture agrees.${r1}`,
      flags,
      details,
    };
  }
  const why = probability === 'low'
    ? `${bern}; a low score does not exclude a leak and the clinical picture justifies imaging`
    : `${bern}`;
  return {
    recommended: 'accept',
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
  return {
    recommended: pick.technique,
    ruleIds: limit && !pick.ruleIds.includes('R4') ? [...pick.ruleIds, 'R4'] : pick.ruleIds,
    rationale: limit
      ? `${pick.rationale} ${negatives} negative studies reach the review limit of ${thresholds.negativeStudiesBeforeReview}: a multidisciplinary review should confirm that more imaging is wanted.`
      : pick.rationale,
    flags: limit ? ['negative_study_limit_reached'] : [],
    details: { technique: pick.technique, slec: history.triage?.spineMri.slec ?? 'not_recorded', negativeStudies: negatives },
  };
}

function myelography(history: ClinicalHistory): Draft {
  const selected = history.selectedTechnique;
  const technique = selected ?? recommendTechnique(history).technique;
  return {
    recommended: technique,
    ruleIds: ['R3'],
    rationale: selected !== undefined
      ? `Perform the technique chosen at imaging selection: ${TECHNIQUE_LABEL[technique]}; record whether a leak was found.`
      : `No technique was recorded at imaging selection; the rules suggest ${TECHNIQUE_LABEL[technique]}.`,
    details: { technique, selected: selected !== undefined },
  };
}

function treatmentPlanning(history: ClinicalHistory, thresholds: Thresholds): Draft {
  const leak = latestLeak(history)?.leak;
  const negatives = negativeStudiesSinceLastLeak(history);
  const failed = failedProcedureCount(history);
  const surgeryThreshold = failed >= thresholds.failedProceduresBeforeNeurosurgery;
  const details: Record<string, string | number | boolean> = {
    leakType: leak?.type ?? 'none',
    negativeStudies: negatives,
    failedProcedures: failed,
  };
  if (leak !== undefined) details.leakLevel = leak.level;

  if (negatives >= thresholds.negativeStudiesBeforeReview) {
    return {
      recommended: 'empirical_patch',
      ruleIds: ['R4', 'R5'],
      rationale: `${negatives} negative studies since the last leak reach the limit of ${thresholds.negativeStudiesBeforeReview}: multidisciplinary review, with an empirical non-targeted patch, and re-check alternative diagnoses (postural tachycardia, orthostatic hypotension, cervicogenic headache).`,
      flags: surgeryThreshold ? ['negative_study_limit_reached', 'neurosurgery_threshold_reached'] : ['negative_study_limit_reached'],
      details,
    };
  }

  if (surgeryThreshold) {
    if (isLocalised(leak?.type)) {
      return {
        recommended: 'neurosurgery',
        ruleIds: ['R5', 'R6'],
        rationale: `The ${LEAK_LABEL[leak.type]} persists after ${failed} failed procedures (threshold ${thresholds.failedProceduresBeforeNeurosurgery}): refer for neurosurgical repair.`,
        flags: ['neurosurgery_threshold_reached'],
        details,
      };
    }
    return {
      recommended: 'repeat_imaging',
      ruleIds: ['R3', 'R6'],
      rationale: `${failed} procedures have failed (threshold ${thresholds.failedProceduresBeforeNeurosurgery}), but surgery needs a localised leak: repeat imaging to localise it.`,
      flags: ['neurosurgery_threshold_reached'],
      details,
    };
  }

  const ruleIds = negatives > 0 ? ['R4', 'R5'] : ['R5'];
  if (leak === undefined || leak.type === 'indeterminate') {
    return {
      recommended: 'empirical_patch',
      ruleIds,
      rationale: leak === undefined
        ? 'No leak has been localised: a non-targeted or multi-level epidural patch.'
        : 'The leak was not localised to a type: a non-targeted or multi-level epidural patch.',
      details,
    };
  }
  if (leak.type === 'csf_venous_fistula') {
    return {
      recommended: 'targeted_patch',
      ruleIds,
      rationale: 'A CSF-venous fistula is treated by transvenous embolization or CT-guided fibrin occlusion (or surgical ligation); blood patches are rarely effective for CVF.',
      details,
    };
  }
  const after = failed > 0 ? ` (${failed} failed so far; neurosurgery is recommended after ${thresholds.failedProceduresBeforeNeurosurgery})` : '';
  return {
    recommended: 'targeted_patch',
    ruleIds,
    rationale: `A ${LEAK_LABEL[leak.type]} at ${leak.level} is treated first with a targeted patch or fibrin at the leak site${after}.`,
    details,
  };
}

function targetedPatch(history: ClinicalHistory): Draft {
  const leak = latestLeak(history)?.leak;
  const failed = failedProcedures(history).map((p) => p.procedure);
  const empirical = history.lastPlan === 'empirical_patch';
  const type: LeakType | undefined = empirical ? undefined : leak?.type;
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
  return {
    recommended: 'performed',
    ruleIds: ['R5'],
    rationale,
    details: { procedure, leakType: leak?.type ?? 'none', failedProcedures: failed.length },
  };
}

function neurosurgicalEscalation(history: ClinicalHistory, thresholds: Thresholds): Draft {
  const leak = latestLeak(history)?.leak;
  const failed = failedProcedureCount(history);
  const procedure = leak?.type === 'ventral_dural_tear'
    ? 'ventral_repair_microspur'
    : leak?.type === 'diverticulum' || leak?.type === 'lateral_dural_tear'
      ? 'nerve_root_ligation'
      : leak?.type === 'csf_venous_fistula'
        ? 'cvf_ligation'
        : 'minimally_invasive_repair';
  const what: Record<typeof procedure, string> = {
    ventral_repair_microspur: 'A ventral dural tear: removal of the disc microspur and dural repair.',
    nerve_root_ligation: `A ${leak?.type === 'diverticulum' ? 'perineural diverticulum' : 'lateral dural tear'}: nerve-root ligation or clipping.`,
    cvf_ligation: 'A CSF-venous fistula: surgical ligation of the fistula.',
    minimally_invasive_repair: 'No leak type is localised: minimally invasive repair at the suspected site, if the team finds a target.',
  };
  return {
    recommended: 'operated',
    ruleIds: ['R5', 'R6'],
    rationale: what[procedure],
    flags: failed >= thresholds.failedProceduresBeforeNeurosurgery ? ['neurosurgery_threshold_reached'] : [],
    details: { procedure, leakType: leak?.type ?? 'none', failedProcedures: failed },
  };
}

const VISIT_ACTION: Record<FollowUpVisit, { rules: string[]; text: string }> = {
  day1: { rules: ['R9'], text: 'Day 1 phone contact after the procedure' },
  week1: { rules: ['R7', 'R9'], text: 'Week 1 response check: judge the response to the procedure' },
  month3: { rules: ['R7', 'R9'], text: 'Month 3: HIT-6, PGIC and brain MRI with Bern score; less than 50 % improvement now counts as failure' },
  month12: { rules: ['R9'], text: 'Month 12 review' },
};

/** R9: the next visit of the schedule after the latest one recorded since the last procedure. */
export function nextFollowUpVisit(history: ClinicalHistory, schedule: readonly FollowUpVisit[] = FOLLOW_UP_VISITS): FollowUpVisit {
  const last = [...history.procedures].sort(byDate((p) => p.performedOn)).at(-1);
  const since = last === undefined ? history.followUps : history.followUps.filter((f) => f.at.slice(0, 10) >= last.performedOn);
  const done = since.map((f) => schedule.indexOf(f.visit)).filter((i) => i >= 0);
  const next = done.length === 0 ? 0 : Math.min(Math.max(...done) + 1, schedule.length - 1);
  return schedule[next] ?? 'day1';
}

function followUp(history: ClinicalHistory, schedule: readonly FollowUpVisit[]): Draft {
  const visit = nextFollowUpVisit(history, schedule);
  const latest = history.followUps.at(-1);
  const rebound = latest?.outcome === 'rebound_hypertension';
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
  // PGIC is passed on as recorded: the contract gives its range (1-7) but not which end is
  // "very much improved", so the responder rule of R10 is not applied here.
  const pgic = history.followUps.findLast((f) => f.pgic !== undefined)?.pgic;
  if (pgic !== undefined) details.pgic = pgic;
  if (rebound) details.doNotRepatch = true;

  const ruleIds = [...action.rules, 'R10', ...(rebound ? ['R8'] : [])];
  return {
    recommended: visit,
    ruleIds,
    rationale: rebound
      ? `Rebound intracranial hypertension was reported at the last check-in: do not re-patch, manage medically and continue follow-up. ${action.text}; record the outcome and HIT-6.`
      : `${action.text}; record the outcome and HIT-6.`,
    flags: rebound ? ['rebound_intracranial_hypertension'] : [],
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
      draft = targetedPatch(history);
      break;
    case 'NEUROSURGICAL_ESCALATION':
      draft = neurosurgicalEscalation(history, thresholds);
      break;
    case 'FOLLOW_UP':
      draft = followUp(history, followUpSchedule);
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
    ...(score === undefined ? {} : { bernScore: score, bernProbability: bernProbability(score, thresholds) }),
    ...(flags !== undefined && flags.length > 0 ? { flags } : {}),
    ...(details !== undefined ? { details } : {}),
  };
}
