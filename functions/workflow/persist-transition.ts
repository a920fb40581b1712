// Task: persist one transition (patient state + audit event + counters in one transaction).
import * as z from 'zod';
import { persistTransition } from '../app/engine.js';
import { DECISION_STAGES } from '../domain/vocabulary.js';
import { workflowHandler } from './handler.js';

const schema = z.object({
  patientId: z.string().min(1),
  step: z.number().int().min(0),
  to: z.object({
    stage: z.enum(DECISION_STAGES as [string, ...string[]]).optional(),
    status: z.enum(['completed', 'discharged', 'withdrawn', 'lost_to_follow_up', 'failed']).optional(),
  }),
  cause: z.object({ stage: z.string().optional(), outcome: z.string().optional() }).loose().nullable().optional(),
});

export const handler = workflowHandler('persist-transition', schema, (deps, input) =>
  persistTransition(deps, { ...input, cause: input.cause ?? null } as Parameters<typeof persistTransition>[1]),
);
