// R9: "Recurrence at any time reopens the pathway (same site -> treatment planning; new site ->
// imaging selection)." After completion the patient keeps one record and one history; a
// recurrence opens a new episode instead of needing a new referral. Pure: the engine decides
// when to call it (a completed pathway and a recurrence report) and starts the pathway again at
// the stage returned here.
//
// What a new episode means to the rules:
// - same site: the leak found before is still the target; the procedure that last treated it
//   counts as failed (a same-site recurrence, R6/R7), so the count towards surgery goes on;
// - new site: a new search. Negative studies and known leaks from earlier episodes no longer
//   steer technique choice or treatment (until a study in this episode finds the new leak);
// - everything recorded before stays in the history, and each episode records where the
//   history's lists stood when it opened.
import type { ClinicalHistory, EpisodeRecord } from './history.js';

export type Recurrence = 'recurrence_same_site' | 'recurrence_new_site';

const FIRST: Omit<EpisodeRecord, 'openedAt'> = { number: 1, cause: 'referral', startsAt: { myelograms: 0, procedures: 0, followUps: 0 } };

/** The episode now open (histories from before episodes are one episode, opened by the referral). */
export function currentEpisode(history: ClinicalHistory): EpisodeRecord {
  return history.episodes?.at(-1) ?? { ...FIRST, openedAt: '' };
}

/** The stage a recurrence of this kind reopens the pathway at (R9). */
export function reopenStage(recurrence: Recurrence): 'TREATMENT_PLANNING' | 'IMAGING_SELECTION' {
  return recurrence === 'recurrence_same_site' ? 'TREATMENT_PLANNING' : 'IMAGING_SELECTION';
}

/**
 * Close the current episode as `closedAs` (e.g. `completed`) and open the next one for a
 * recurrence. Returns the new history and the stage the pathway restarts at.
 */
export function reopenPathway(
  history: ClinicalHistory,
  recurrence: Recurrence,
  now: Date,
  closedAs = 'completed',
): { history: ClinicalHistory; stage: 'TREATMENT_PLANNING' | 'IMAGING_SELECTION'; episode: number } {
  const at = now.toISOString();
  const earlier = history.episodes ?? [{ ...FIRST, openedAt: '' }];
  const closed = earlier.map((e, i) => (i === earlier.length - 1 && e.closedAt === undefined ? { ...e, closedAt: at, closedAs } : e));
  const number = (earlier.at(-1)?.number ?? 1) + 1;
  const opened: EpisodeRecord = {
    number,
    openedAt: at,
    cause: recurrence,
    startsAt: { myelograms: history.myelograms.length, procedures: history.procedures.length, followUps: history.followUps.length },
  };
  const { selectedTechnique: _previousChoice, lastPlan: _previousPlan, ...rest } = history;
  return { history: { ...rest, episodes: [...closed, opened] }, stage: reopenStage(recurrence), episode: number };
}

/** Index of the first myelogram of a new-site search (0 when no episode restarted the search). */
export function searchStartsAt(history: ClinicalHistory): number {
  const e = currentEpisode(history);
  return e.cause === 'recurrence_new_site' ? e.startsAt.myelograms : 0;
}

/** Procedures that a same-site recurrence after completion marks as failed: the last one before each such episode. */
export function failedByRecurrence(history: ClinicalHistory): ReadonlySet<number> {
  return new Set((history.episodes ?? []).filter((e) => e.cause === 'recurrence_same_site' && e.startsAt.procedures > 0).map((e) => e.startsAt.procedures - 1));
}
