// Scheduled (EventBridge in the cloud, a timer in the local stack): remind, escalate, and hand
// recorded-but-undelivered decisions back to the engine.
import { sweepOverdue, type SweepResult } from '../app/engine.js';
import { sweepBookings } from '../app/team-bookings.js'; // TEAM wiring
import { logger } from '../shared/logger.js';
import { runtimeDeps } from '../shared/runtime.js';

export const handler = async (): Promise<SweepResult> => {
  const result = await sweepOverdue(runtimeDeps());
  Object.assign(result, await sweepBookings(runtimeDeps(), new Date())); // TEAM wiring
  logger.info('overdue sweep', { ...result });
  return result;
};
