// Scheduled (EventBridge in the cloud, a timer in the local stack): remind, escalate, and
// reconcile what a crash or an outage left half done (functions/app/sweep.ts).
import { z } from 'zod';
import { sweepOverdue, type SweepResult } from '../app/sweep.js';
import { sweepBookings } from '../app/team-bookings.js';
import { logger } from '../shared/logger.js';
import { runtimeDeps } from '../shared/runtime.js';
// The transitions this handler delivers also reach FHIR subscribers and the event bus.
import '../fhir/pathway-event-sink.js';

// The schedule sends EventBridge's scheduled event; an operator restoring service after an outage
// invokes it with {"reconcileNow": true} (the local stack does the same when it starts).
const operatorEvent = z.object({ reconcileNow: z.literal(true) });

export const handler = async (event?: unknown): Promise<SweepResult> => {
  const deps = await runtimeDeps();
  const result = await sweepOverdue(deps, { withoutGrace: operatorEvent.safeParse(event).success });
  Object.assign(result, await sweepBookings(deps, new Date()));
  logger.info('overdue sweep', { ...result });
  return result;
};
