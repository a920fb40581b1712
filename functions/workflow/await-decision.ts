// Task (waitForTaskToken): store the task token of the pending decision.
import * as z from 'zod';
import { awaitDecision } from '../app/engine.js';
import { DECISION_STAGES, type DecisionStage } from '../domain/vocabulary.js';
import { workflowHandler } from './handler.js';

const schema = z.object({
  patientId: z.string().min(1),
  stage: z.enum(DECISION_STAGES as [DecisionStage, ...DecisionStage[]]),
  step: z.number().int().min(0),
  taskToken: z.string().min(1),
});

export const handler = workflowHandler('await-decision', schema, awaitDecision);
