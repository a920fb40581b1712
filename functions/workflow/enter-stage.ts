// Task (waitForTaskToken), one per stage: attach the execution's token to the stage the record
// is at, and deliver the stage's announcements (functions/app/enter-stage.ts).
import * as z from 'zod';
import { enterStage } from '../app/enter-stage.js';
import { workflowHandler } from './handler.js';
// The transitions this handler delivers also reach FHIR subscribers and the event bus.
import '../fhir/pathway-event-sink.js';

const schema = z.object({
  patientId: z.string().min(1),
  stage: z.string().min(1),
  step: z.number().int().min(0),
  taskToken: z.string().min(1),
});

export const handler = workflowHandler('enter-stage', schema, enterStage);
