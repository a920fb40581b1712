// When each pending decision is due: the stage's service level from the pathway definition
// (configurable), or for a stage on the R9 visit schedule, the date of the visit now due.
import type { PathwayConfig } from './config.js';
import type { ClinicalHistory } from './history.js';
import { followUpDueAt, nextFollowUpVisit } from './history.js';
import { serviceLevelDays, type PathwayDefinition } from './pathway.js';

export function dueAtFor(def: PathwayDefinition, stage: string, history: ClinicalHistory, config: PathwayConfig, stageEnteredAt: Date, holdDays = 0): string {
  const level = serviceLevelDays(def, config, stage);
  if (level === 'followUpSchedule') {
    const visit = nextFollowUpVisit(history, config) ?? config.followUpSchedule.at(-1)?.visit ?? 'month12';
    const due = new Date(followUpDueAt(history, visit, config, stageEnteredAt));
    return new Date(due.getTime() + holdDays * 86_400_000).toISOString();
  }
  return new Date(stageEnteredAt.getTime() + (level + holdDays) * 86_400_000).toISOString();
}
