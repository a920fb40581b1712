import type { PathwayConfig } from '../domain/config.js';
import type { ClinicalHistory } from '../domain/patient.js';
import { recommend } from '../domain/recommendations.js';
import type { DecisionStage, Role } from '../domain/vocabulary.js';
import type { Caller } from '../shared/http.js';
import type { AuditActor } from '../store/pathway-store.js';

/** Who did it, as the audit trail records it. */
export function actorOf(caller: Caller, role: Role): AuditActor {
  return { sub: caller.sub, email: caller.email, role };
}

/** The recommendation for a stage under the configuration in force. */
export function recommendationFor(config: PathwayConfig, stage: DecisionStage, history: ClinicalHistory) {
  return recommend(stage, history, config.thresholds, config.followUpSchedule.map((v) => v.visit));
}
