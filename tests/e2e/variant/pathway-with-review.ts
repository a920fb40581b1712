// A variant of the care pathway with one extra stage, made by adding to the definition only: a
// multidisciplinary review of the plan between treatment planning and the procedure. The
// variant test generates its state machine from this module and runs the local stack on both.
import * as z from 'zod';
import { CARE_PATHWAY, type PathwayDefinition, type StageDefinition } from '../../../functions/domain/pathway.js';

const REVIEW = 'MULTIDISCIPLINARY_REVIEW';

const review: StageDefinition = {
  id: REVIEW,
  label: 'Multidisciplinary review',
  stateName: 'MultidisciplinaryReview',
  outcomes: {
    approve: { label: 'Approve the plan' },
    revise: { label: 'Send the plan back', requires: ['reason'] },
  },
  deciders: ['physician'],
  routes: [
    { outcomes: ['approve'], to: { stage: 'TARGETED_PATCH' } },
    { outcomes: ['revise'], to: { stage: 'TREATMENT_PLANNING' } },
  ],
  team: 'neurointerventional',
  action: 'Review the treatment plan with the multidisciplinary team and approve or revise it.',
  serviceLevel: { days: 5 },
  schema: z
    .strictObject({
      stage: z.literal(REVIEW),
      pendingDecisionId: z.string().min(1).max(64).optional(),
      outcome: z.enum(['approve', 'revise']),
      reason: z.string().trim().min(1).max(2000).optional(),
    })
    .refine((d) => d.outcome !== 'revise' || d.reason !== undefined, { path: ['reason'], message: 'is required to revise' }),
  recommends: false,
};

export const pathway: PathwayDefinition = {
  ...CARE_PATHWAY,
  name: 'CSF leak care pathway with multidisciplinary review',
  stages: CARE_PATHWAY.stages.flatMap((s) => {
    if (s.id !== 'TREATMENT_PLANNING') return [s];
    const planning: StageDefinition = {
      ...s,
      routes: s.routes.map((r) => (r.outcomes?.includes('targeted_patch') ? { ...r, to: { stage: REVIEW } } : r)),
    };
    return [planning, review];
  }),
};
