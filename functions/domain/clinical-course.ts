// The patient's clinical course as the rules read it: which leaks are known, which follow-up
// belongs to which procedure, which procedures failed (per leak), and whether a rebound
// intracranial hypertension stands. Pure functions of the ClinicalHistory, shared by the
// recommendations and by history.ts (the facts the engine routes on).
//
// Order, not dates: `myelograms`, `procedures` and `followUps` are kept in recording order.
// A check-in recorded after a procedure belongs to it (`procedureIndex`), so a same-day
// re-patch neither steals the earlier procedure's failed week-1 check nor skips its own
// day-1 and week-1 checks. Records written before `procedureIndex` existed fall back to dates.
import { leakKey, type LeakIdentity } from './clinical-facts.js';
import type { PathwayConfig } from './config.js';
import { failedByRecurrence, searchStartsAt } from './episodes.js';
import type { ClinicalHistory, FollowUpRecord, LeakFinding, MyelogramResult, ProcedureRecord } from './history.js';
import type { Technique } from './vocabulary.js';

export type Thresholds = PathwayConfig['thresholds'];

type LocalisedMyelogram = MyelogramResult & { readonly leak: LeakFinding };

export const isNegative = (m: MyelogramResult): boolean => m.outcome === 'no_leak' || m.outcome === 'equivocal';
const hasLeak = (m: MyelogramResult): m is LocalisedMyelogram => m.outcome === 'leak_found' && (m.leak !== undefined || (m.leaks?.length ?? 0) > 0);

/** Every leak a study found: `leaks` when several were recorded, else the single `leak`. */
export function leaksOf(m: MyelogramResult): readonly LeakFinding[] {
  if (m.outcome !== 'leak_found') return [];
  if (m.leaks && m.leaks.length > 0) return m.leaks;
  return m.leak ? [m.leak] : [];
}

const isLocalisedLeak = (l: LeakIdentity): boolean => l.type !== 'indeterminate';

/** Studies of the current search: a recurrence at a new site starts a new one (episodes.ts). */
const searchStudies = (history: ClinicalHistory): readonly MyelogramResult[] => history.myelograms.slice(searchStartsAt(history));

/** The most recent study that found a leak, if any. */
export function latestLeak(history: ClinicalHistory): LocalisedMyelogram | undefined {
  const m = searchStudies(history).findLast(hasLeak);
  if (m === undefined) return undefined;
  return m.leak ? m : { ...m, leak: leaksOf(m)[0] as LeakFinding };
}

/** The localised leaks (type known) of the most recent study that found any: what treatment aims at now. */
export function currentLeaks(history: ClinicalHistory): readonly LeakFinding[] {
  const m = searchStudies(history).findLast(hasLeak);
  return m ? leaksOf(m).filter(isLocalisedLeak) : [];
}

/** R4: negative studies since the most recent study that found a leak (or since the first). */
export function negativeStudiesSinceLastLeak(history: ClinicalHistory): number {
  let n = 0;
  for (const m of searchStudies(history)) {
    if (m.outcome === 'leak_found') n = 0;
    else if (isNegative(m)) n += 1;
  }
  return n;
}

/** The negative studies since the most recent leak: the current search episode, oldest first. */
export function negativeStudiesOfSearch(history: ClinicalHistory): readonly MyelogramResult[] {
  const out: MyelogramResult[] = [];
  for (const m of searchStudies(history)) {
    if (m.outcome === 'leak_found') out.length = 0;
    else if (isNegative(m)) out.push(m);
  }
  return out;
}

export function negativeTechniquesOfSearch(history: ClinicalHistory): Set<Technique> {
  return new Set(negativeStudiesOfSearch(history).map((m) => m.technique));
}

// ---------------------------------------------------------------------------------------
// Vertebral levels: "T7" or "T7-T8" as a range of positions, so a patch at T7 treats a leak
// recorded at T7-T8.

const SEGMENT_BASE: Record<string, number> = { C: 0, T: 7, L: 20, S: 25 };
function position(v: string): number {
  const base = SEGMENT_BASE[v.charAt(0)] ?? 0;
  return base + Number(v.slice(1));
}
function range(level: string): [number, number] {
  const [a, b] = level.split('-');
  const from = position(a ?? level);
  const to = b ? position(b) : from;
  return from <= to ? [from, to] : [to, from];
}
export function levelsOverlap(a: string, b: string): boolean {
  const [a1, a2] = range(a);
  const [b1, b2] = range(b);
  return a1 <= b2 && b1 <= a2;
}

/**
 * R6: the leaks a procedure recorded now aims at: the current localised leaks at its levels,
 * or every current localised leak when the levels name none of them. An empirical
 * non-targeted patch aims at no localised leak.
 */
export function targetsFor(history: ClinicalHistory, procedure: string, levels: readonly string[] | undefined): LeakIdentity[] {
  if (procedure === 'non_targeted_ebp') return [];
  const leaks = currentLeaks(history).map(({ type, level, side }) => ({ type, level, side }));
  const atLevels = levels && levels.length > 0 ? leaks.filter((l) => levels.some((lv) => levelsOverlap(lv, l.level))) : [];
  return atLevels.length > 0 ? atLevels : leaks;
}

/** Targets of procedure `i`: as recorded, or (older records) the leaks known on its date. */
function targetsOf(history: ClinicalHistory, i: number): readonly LeakIdentity[] {
  const p = history.procedures[i];
  if (p === undefined || p.procedure === 'non_targeted_ebp') return [];
  if (p.targets) return p.targets;
  const before = history.myelograms.filter((m) => hasLeak(m) && m.performedOn <= p.performedOn).at(-1);
  return before ? leaksOf(before).filter(isLocalisedLeak) : [];
}

// ---------------------------------------------------------------------------------------
// Follow-ups by procedure

/** Index of the procedure a check-in follows (-1: none); see the file comment on order. */
export function procedureIndexOf(history: ClinicalHistory, f: FollowUpRecord): number {
  if (f.procedureIndex !== undefined) return f.procedureIndex;
  const day = f.at.slice(0, 10);
  return history.procedures.findLastIndex((p) => p.performedOn <= day);
}

/** The check-ins recorded after the most recent procedure (all of them before any procedure). */
export function followUpsSinceLastProcedure(history: ClinicalHistory): FollowUpRecord[] {
  const last = history.procedures.length - 1;
  return history.followUps.filter((f) => procedureIndexOf(history, f) === last);
}

const FAILURE_OUTCOMES: ReadonlySet<string> = new Set(['unchanged', 'worse']);

export type ResponseMeasure = 'headache_days' | 'hit6';

/**
 * R7 at month 3: the improvement from baseline, by headache days per month when both values
 * exist, else by HIT-6. HIT-6 cannot fall below 36 ("little or no impact"), so its improvement
 * is measured over the span above that floor: 68 -> 52 is (68 - 52) / (68 - 36) = 50 %.
 */
export function responseImprovement(history: ClinicalHistory, f: FollowUpRecord): { measure: ResponseMeasure; improvement: number } | undefined {
  const days0 = history.headacheDaysPerMonthBaseline;
  if (days0 !== undefined && days0 > 0 && f.headacheDaysPerMonth !== undefined) {
    return { measure: 'headache_days', improvement: (days0 - f.headacheDaysPerMonth) / days0 };
  }
  const hit0 = history.hit6Baseline;
  if (hit0 !== undefined && hit0 > 36 && f.hit6 !== undefined) {
    return { measure: 'hit6', improvement: (hit0 - f.hit6) / (hit0 - 36) };
  }
  return undefined;
}

/** R7: a month-3 check-in whose measured improvement is below the configured minimum (default 50 %). */
export function insufficientResponse(history: ClinicalHistory, f: FollowUpRecord, t: Thresholds): boolean {
  if (f.visit !== 'month3') return false;
  const r = responseImprovement(history, f);
  return r !== undefined && r.improvement < t.responseImprovementMin;
}

/**
 * Walks one procedure's check-ins in order and tells which count as a failure of it:
 * - never a day-1 contact (R7: a safety check, not a response assessment);
 * - `recurrence_same_site`, an explicit `procedureFailed`, or (R7) a month-3 improvement
 *   below the minimum; `unchanged`/`worse` too, except (R8) while a rebound reported since
 *   the procedure stands: then only a clinician's `procedureFailed` counts it;
 * - `rebound_hypertension` and `recurrence_new_site` are not failures of this procedure.
 */
function failingCheckIns(history: ClinicalHistory, followUps: readonly FollowUpRecord[], t: Thresholds): FollowUpRecord[] {
  let rebound = false;
  const out: FollowUpRecord[] = [];
  for (const f of followUps) {
    if (f.reboundResolved) rebound = false;
    const fails =
      f.visit !== 'day1' &&
      (f.procedureFailed === true ||
        f.outcome === 'recurrence_same_site' ||
        (!rebound && (FAILURE_OUTCOMES.has(f.outcome) || insufficientResponse(history, f, t))));
    if (fails) out.push(f);
    if (f.outcome === 'rebound_hypertension') rebound = true;
  }
  return out;
}

/**
 * R8: the latest check-in since the last procedure is `unchanged` or `worse` after a rebound
 * that still stood, and no clinician said it is a failed procedure: the team must decide.
 */
export function worseAfterRebound(history: ClinicalHistory): FollowUpRecord | undefined {
  const since = followUpsSinceLastProcedure(history);
  const last = since.at(-1);
  if (last === undefined || last.visit === 'day1' || !FAILURE_OUTCOMES.has(last.outcome) || last.procedureFailed || last.reboundResolved) return undefined;
  return reboundStanding(history, since.slice(0, -1)) ? last : undefined;
}

export interface ProcedureCourse {
  readonly index: number;
  readonly procedure: ProcedureRecord;
  readonly targets: readonly LeakIdentity[];
  readonly followUps: readonly FollowUpRecord[];
  readonly failed: boolean;
}

/** Every procedure with its targets, its check-ins and whether it failed (R6/R7). */
export function procedureCourses(history: ClinicalHistory, t: Thresholds): ProcedureCourse[] {
  const byProcedure = new Map<number, FollowUpRecord[]>();
  for (const f of history.followUps) {
    const i = procedureIndexOf(history, f);
    byProcedure.set(i, [...(byProcedure.get(i) ?? []), f]);
  }
  const recurred = failedByRecurrence(history);
  return history.procedures.map((procedure, index) => {
    const followUps = byProcedure.get(index) ?? [];
    const failed = procedure.technicalSuccess === false || recurred.has(index) || failingCheckIns(history, followUps, t).length > 0;
    return { index, procedure, targets: targetsOf(history, index), followUps, failed };
  });
}

/** R6: the failed targeted procedures aimed at one leak (type, level and side). */
export function failedProceduresForLeak(history: ClinicalHistory, leak: LeakIdentity, t: Thresholds): ProcedureRecord[] {
  const key = leakKey(leak);
  return procedureCourses(history, t)
    .filter((c) => c.failed && c.targets.some((x) => leakKey(x) === key))
    .map((c) => c.procedure);
}

/**
 * R6/R7: the failed procedures that count towards neurosurgery now. With localised leaks
 * known, those aimed at the current leak with the most failures (each leak keeps its own
 * count; a leak found elsewhere starts from zero). Without one, the failed procedures that
 * had no localised target, empirical non-targeted patches excepted (R6 counts targeted ones).
 */
export function failedProcedures(history: ClinicalHistory, t: Thresholds): ProcedureRecord[] {
  const leaks = currentLeaks(history);
  if (leaks.length > 0) {
    return leaks.map((l) => failedProceduresForLeak(history, l, t)).reduce((a, b) => (b.length > a.length ? b : a), [] as ProcedureRecord[]);
  }
  return procedureCourses(history, t)
    .filter((c) => c.failed && c.targets.length === 0 && c.procedure.procedure !== 'non_targeted_ebp')
    .map((c) => c.procedure);
}

/** The current leak with the most failed procedures, and their number. */
export function mostFailedLeak(history: ClinicalHistory, t: Thresholds): { leak: LeakFinding; failed: number } | undefined {
  let best: { leak: LeakFinding; failed: number } | undefined;
  for (const leak of currentLeaks(history)) {
    const failed = failedProceduresForLeak(history, leak, t).length;
    if (best === undefined || failed > best.failed) best = { leak, failed };
  }
  return best;
}

/** The rebound standing at the end of these check-ins (cleared by a resolution recorded after it). */
function reboundStanding(history: ClinicalHistory, followUps: readonly FollowUpRecord[]): FollowUpRecord | undefined {
  let rebound: FollowUpRecord | undefined;
  for (const f of followUps) {
    if (f.reboundResolved) rebound = undefined;
    if (f.outcome === 'rebound_hypertension') rebound = f;
  }
  if (rebound === undefined) return undefined;
  const at = history.followUps.indexOf(rebound);
  return history.reboundResolvedAt !== undefined && history.reboundResolvedAt > at ? undefined : rebound;
}

/**
 * R8: a rebound intracranial hypertension reported since the last procedure that the team
 * has not recorded as resolved (at a check-in, or at treatment planning).
 */
export function standingRebound(history: ClinicalHistory): FollowUpRecord | undefined {
  return reboundStanding(history, followUpsSinceLastProcedure(history));
}
