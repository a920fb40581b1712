// The pathway the bench drives each patient through (the e2e happy path): referral, triage
// accepted, imaging selection confirming the recommended technique, a leak found, a targeted
// patch planned and performed, and four follow-up visits to `completed`. Synthetic data only:
// names, MRNs and addresses are invented (example.org).
import type { DecisionStage, FollowUpVisit, Role } from '../functions/domain/vocabulary.js';
import { acceptTriage, completeCheck } from '../tests/support/fixtures.js';

let counter = 0;

export const daysAgo = (days: number, from = new Date()): string => new Date(from.getTime() - days * 86_400_000).toISOString().slice(0, 10);

export function referralBody(runTag: string, n = ++counter) {
  return {
    referralId: `BENCH-${runTag}-${n}`,
    patient: { mrn: `BEN${String(100000 + n)}`, givenName: 'Benchina', familyName: `Synthetica${n}`, birthDate: '1984-03-14', sex: 'female' as const },
    referringPhysician: { name: 'Dr. Example Referrer', email: 'referrer@example.org' },
    site: n % 2 === 0 ? ('santa-clara' as const) : ('roseville-sacramento' as const),
    symptomOnset: daysAgo(120),
    orthostaticPattern: 'classic_immediate' as const,
    duralPunctureWithin30Days: false,
    priorSpinalProcedure: false,
    hit6Baseline: 68,
    urgency: 'routine' as const,
  };
}

export interface ScriptStep {
  readonly stage: DecisionStage;
  readonly role: Role;
  /** Needs the recommended technique from GET /patients/{id} first. */
  readonly needsRecommendation?: boolean;
  readonly body: (technique: string) => Record<string, unknown>;
  /** Where the decision leads: the next pending decision (with its visit), or the closing status. */
  readonly next: { readonly stage: DecisionStage; readonly visit?: FollowUpVisit } | { readonly status: 'completed' };
}

const followUp = (visit: FollowUpVisit, outcome: string): Record<string, unknown> => ({ stage: 'FOLLOW_UP', outcome, visit, hit6: 44, pgic: 6 });

export const HAPPY_PATH: readonly ScriptStep[] = [
  {
    stage: 'TRIAGE',
    role: 'physician',
    body: () => acceptTriage('present'),
    next: { stage: 'IMAGING_SELECTION' },
  },
  {
    stage: 'IMAGING_SELECTION',
    role: 'physician',
    needsRecommendation: true,
    body: (technique) => ({ stage: 'IMAGING_SELECTION', outcome: 'confirm', technique }),
    next: { stage: 'MYELOGRAPHY' },
  },
  {
    stage: 'MYELOGRAPHY',
    role: 'physician',
    body: (technique) => ({
      stage: 'MYELOGRAPHY',
      outcome: 'leak_found',
      technique,
      performedOn: daysAgo(3),
      leak: { type: 'ventral_dural_tear', level: 'T7-T8', side: 'ventral', speed: 'fast' },
    }),
    next: { stage: 'TREATMENT_PLANNING' },
  },
  { stage: 'TREATMENT_PLANNING', role: 'physician', body: () => ({ stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' }), next: { stage: 'TARGETED_PATCH' } },
  {
    stage: 'TARGETED_PATCH',
    role: 'physician',
    body: () => ({
      stage: 'TARGETED_PATCH',
      outcome: 'performed',
      procedure: 'targeted_ebp_ct',
      levels: ['T7-T8'],
      volumeMl: 12,
      technicalSuccess: true,
      performedOn: daysAgo(2),
      preProcedureCheck: completeCheck,
    }),
    next: { stage: 'FOLLOW_UP', visit: 'day1' },
  },
  { stage: 'FOLLOW_UP', role: 'coordinator', body: () => followUp('day1', 'improved'), next: { stage: 'FOLLOW_UP', visit: 'week1' } },
  { stage: 'FOLLOW_UP', role: 'coordinator', body: () => followUp('week1', 'improved'), next: { stage: 'FOLLOW_UP', visit: 'month3' } },
  { stage: 'FOLLOW_UP', role: 'coordinator', body: () => followUp('month3', 'improved'), next: { stage: 'FOLLOW_UP', visit: 'month12' } },
  { stage: 'FOLLOW_UP', role: 'coordinator', body: () => followUp('month12', 'resolved'), next: { status: 'completed' } },
];
