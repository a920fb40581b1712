// Task: the record closed the pathway; announce it and end the execution.
import * as z from 'zod';
import { closePathway } from '../app/close-pathway.js';
import { workflowHandler } from './handler.js';
// The transitions this handler delivers also reach FHIR subscribers and the event bus.
import '../fhir/pathway-event-sink.js';

const schema = z.object({ patientId: z.string().min(1), status: z.string().min(1) });

export const handler = workflowHandler('close-pathway', schema, closePathway);
