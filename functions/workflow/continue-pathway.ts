// Task: carry the pathway over into a new execution before Step Functions' limits.
import * as z from 'zod';
import { continuePathway } from '../app/continuation.js';
import { workflowHandler } from './handler.js';

const schema = z.object({
  patientId: z.string().min(1),
  executionArn: z.string().startsWith('arn:'),
});

export const handler = workflowHandler('continue-pathway', schema, continuePathway);
