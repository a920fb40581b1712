// Task: record a failure that retries could not fix and alert the administrators.
import * as z from 'zod';
import { recordFailure } from '../app/failures.js';
import { workflowHandler } from './handler.js';
// The transitions this handler delivers also reach FHIR subscribers and the event bus.
import '../fhir/pathway-event-sink.js';

const schema = z.object({
  patientId: z.string().min(1),
  error: z.object({ Error: z.string().optional(), Cause: z.string().optional() }).loose().nullable(),
});

export const handler = workflowHandler('record-failure', schema, recordFailure);
