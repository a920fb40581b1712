// When each pending decision is due (issue: service levels per stage, configurable).
import type { PathwayConfig } from './config.js';
import type { ClinicalHistory } from './patient.js';
import { followUpDueAt, nextFollowUpVisit } from './history.js';
import type { DecisionStage } from './vocabulary.js';

export function dueAtFor(stage: DecisionStage, history: ClinicalHistory, config: PathwayConfig, stageEnteredAt: Date, holdDays = 0): string {
  if (stage === 'FOLLOW_UP') {
    const visit = nextFollowUpVisit(history, config) ?? config.followUpSchedule.at(-1)?.visit ?? 'month12';
    const due = new Date(followUpDueAt(history, visit, config, stageEnteredAt));
    return new Date(due.getTime() + holdDays * 86_400_000).toISOString();
  }
  const days = config.serviceLevelDays[stage] + holdDays;
  return new Date(stageEnteredAt.getTime() + days * 86_400_000).toISOString();
}
