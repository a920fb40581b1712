// Scheduled (EventBridge in the cloud, a timer in the local stack): remind, escalate, and hand
// recorded-but-undelivered decisions back to the engine.
import { sweepOverdue, type SweepResult } from '../app/engine.js';
import { logger } from '../shared/logger.js';
import { runtimeDeps } from '../shared/runtime.js';

export const handler = async (): Promise<SweepResult> => {
  const result = await sweepOverdue(runtimeDeps());
  logger.info('overdue sweep', { ...result });
  return result;
};
