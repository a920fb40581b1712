// Task: email the team that must act next (and the referring physician at milestones).
import * as z from 'zod';
import { notifyTeam } from '../app/engine.js';
import { workflowHandler } from './handler.js';

const schema = z.object({
  patientId: z.string().min(1),
  step: z.number().int().min(0),
});

export const handler = workflowHandler('notify-team', schema, notifyTeam);
