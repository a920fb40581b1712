// Checks of a decision against the patient's history and the pending decision, beyond what the
// stage's schema can see on its own. Pure: the decision service calls it before recording, and
// a non-empty answer is a 400 naming each field.
import { CHECKLIST_ITEMS, CHECKLIST_LABEL, type ChecklistItem } from './clinical-facts.js';
import type { PathwayConfig } from './config.js';
import type { ClinicalHistory } from './history.js';
import type { PendingDecision } from './patient.js';
import { recommend } from './recommendations.js';
import type { Decision, PreProcedureCheck } from './schemas.js';
import type { DecisionStage } from './vocabulary.js';

export interface DecisionIssue {
  readonly path: string;
  readonly message: string;
}

/** The recommendation for a stage under the configuration in force. */
export function recommendationFor(config: PathwayConfig, stage: DecisionStage, history: ClinicalHistory) {
  return recommend(stage, history, config.thresholds, config.followUpSchedule.map((v) => v.visit));
}

export function checkDecision(
  history: ClinicalHistory,
  pending: PendingDecision | null,
  decision: Decision,
  config: PathwayConfig,
): DecisionIssue[] {
  const issues: DecisionIssue[] = [];
  if (decision.stage === 'FOLLOW_UP' && pending?.visit && decision.visit !== pending.visit) {
    issues.push({ path: 'visit', message: `must be ${pending.visit}, the visit now due` });
  }
  if (decision.stage === 'IMAGING_SELECTION' && decision.outcome === 'confirm') {
    const rec = recommendationFor(config, 'IMAGING_SELECTION', history);
    if (rec.recommended !== decision.technique) {
      issues.push({
        path: 'technique',
        message: `confirm must use the recommended technique ${rec.recommended}; use override with a reason to choose another`,
      });
    }
  }
  if (decision.stage === 'TREATMENT_PLANNING' && !decision.reason) {
    const rec = recommendationFor(config, 'TREATMENT_PLANNING', history);
    if (rec.recommended !== decision.outcome) {
      issues.push({ path: 'reason', message: `is required when the plan differs from the recommendation (${rec.recommended})` });
    }
  }
  if ((decision.stage === 'TARGETED_PATCH' && decision.outcome === 'performed') || (decision.stage === 'NEUROSURGICAL_ESCALATION' && decision.outcome === 'operated')) {
    issues.push(...checklistIssues(decision.preProcedureCheck));
  }
  return issues;
}

/** R12: the items of the pre-procedure check not confirmed (pregnancy may be not applicable). */
export function missingChecklistItems(check: PreProcedureCheck | undefined): ChecklistItem[] {
  return CHECKLIST_ITEMS.filter((item) => {
    const v = check?.[item];
    return item === 'pregnancyExcluded' ? v !== true && v !== 'not_applicable' : v !== true;
  });
}

/**
 * R12: a procedure is recorded as done only with every pre-procedure item confirmed, or with
 * the clinician's reason for proceeding without them (kept in the audit trail with the decision).
 */
function checklistIssues(check: PreProcedureCheck | undefined): DecisionIssue[] {
  if (check?.overrideReason) return [];
  return missingChecklistItems(check).map((item) => ({
    path: `preProcedureCheck.${item}`,
    message: `must be confirmed before the procedure is recorded (${CHECKLIST_LABEL[item].toLowerCase()}), or give a reason for proceeding without a complete check`,
  }));
}
