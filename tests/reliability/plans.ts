// Care pathways for the reliability driver: each plan is the list of things people do to one
// patient (decisions, holds, a withdrawal) with, written out by hand, where each decision must
// lead. The expectations are independent of the product's routing code on purpose: the driver
// compares what the product did against these.
import type { DecisionStage, Status } from '../../functions/domain/vocabulary.js';
import { seededRandom } from '../../local/faults.js';
import { completeCheck } from '../support/fixtures.js';

export type Terminal = Exclude<Status, 'active' | 'on_hold'>;
export type Next = { readonly stage: DecisionStage } | { readonly status: Terminal };

/** What a decision body may depend on at the moment it is sent. */
export interface DecisionContext {
  /** recommendation.recommended from GET /patients/{id} (IMAGING_SELECTION confirm). */
  readonly recommended?: string;
  /** The technique chosen at the latest IMAGING_SELECTION (the myelogram uses it). */
  readonly technique?: string;
}

export interface DecideStep {
  readonly kind: 'decide';
  readonly stage: DecisionStage;
  readonly role: 'physician' | 'coordinator';
  readonly body: (ctx: DecisionContext) => Record<string, unknown>;
  readonly next: Next;
  /** Read the patient's recommendation first (GET /patients/{id}). */
  readonly needsRecommendation?: boolean;
}
export type Step =
  | DecideStep
  | { readonly kind: 'hold'; readonly reason: string }
  | { readonly kind: 'resume' }
  | { readonly kind: 'withdraw' };

export interface Plan {
  readonly kind: string;
  readonly site: 'santa-clara' | 'roseville-sacramento';
  readonly steps: readonly Step[];
  /** Where the patient ends: a terminal status, or active and waiting on `stage`. */
  readonly final: { readonly status: Terminal | 'active'; readonly stage: DecisionStage };
}

/** mulberry32: plans are reproducible from a seed. */
export const rng = seededRandom;

const daysAgo = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString().slice(0, 10);
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;

const brainMri = {
  venousSinusEngorgement: true,
  pachymeningealEnhancement: true,
  subduralFluid: false,
  suprasellarCisternMm: 3.5,
  prepontineCisternMm: 4.5,
  mamillopontineDistanceMm: 6.0,
};

const D = (stage: DecisionStage, body: DecideStep['body'], next: Next, extra: Partial<DecideStep> = {}): DecideStep => ({
  kind: 'decide',
  stage,
  role: 'physician',
  body,
  next,
  ...extra,
});

const accept = (slec: 'present' | 'absent' | 'indeterminate') =>
  D('TRIAGE', () => ({ stage: 'TRIAGE', outcome: 'accept', brainMri, spineMri: { slec, ...(slec === 'present' ? { slecLocation: 'ventral' } : {}) }, ichd3: 'met' }), {
    stage: 'IMAGING_SELECTION',
  });
const requestInfo = () => D('TRIAGE', () => ({ stage: 'TRIAGE', outcome: 'request_info', reason: 'Please send the outside spine MRI' }), { stage: 'TRIAGE' });
const decline = () => D('TRIAGE', () => ({ stage: 'TRIAGE', outcome: 'decline', reason: 'Alternative diagnosis' }), { status: 'discharged' });

/** IMAGING_SELECTION: confirm the recommended technique (read from the API), or override it. */
const select = (r: () => number) =>
  r() < 0.85
    ? D('IMAGING_SELECTION', (c) => ({ stage: 'IMAGING_SELECTION', outcome: 'confirm', technique: c.recommended }), { stage: 'MYELOGRAPHY' }, { needsRecommendation: true })
    : D('IMAGING_SELECTION', () => ({ stage: 'IMAGING_SELECTION', outcome: 'override', technique: 'conventional_delayed_ctm', reason: 'Scanner availability' }), { stage: 'MYELOGRAPHY' });

const leakFound = () =>
  D(
    'MYELOGRAPHY',
    (c) => ({
      stage: 'MYELOGRAPHY',
      outcome: 'leak_found',
      technique: c.technique,
      performedOn: daysAgo(4),
      leak: { type: 'ventral_dural_tear', level: 'T7-T8', side: 'ventral', speed: 'fast' },
    }),
    { stage: 'TREATMENT_PLANNING' },
  );
const negative = (r: () => number, next: Next) =>
  D('MYELOGRAPHY', (c) => ({ stage: 'MYELOGRAPHY', outcome: pick(r, ['no_leak', 'equivocal'] as const), technique: c.technique, performedOn: daysAgo(4) }), next);

const plan = (outcome: string, next: Next) => D('TREATMENT_PLANNING', () => ({ stage: 'TREATMENT_PLANNING', outcome, reason: 'Multidisciplinary review' }), next);
const patch = () =>
  D(
    'TARGETED_PATCH',
    () => ({ stage: 'TARGETED_PATCH', outcome: 'performed', procedure: 'targeted_ebp_ct', levels: ['T7-T8'], volumeMl: 12, technicalSuccess: true, performedOn: daysAgo(2), preProcedureCheck: completeCheck }),
    { stage: 'FOLLOW_UP' },
  );
const patchNotPerformed = () => D('TARGETED_PATCH', () => ({ stage: 'TARGETED_PATCH', outcome: 'not_performed', reason: 'Anticoagulated on the day' }), { stage: 'TREATMENT_PLANNING' });
const followUp = (r: () => number, visit: string, outcome: string, next: Next) =>
  D('FOLLOW_UP', () => ({ stage: 'FOLLOW_UP', outcome, visit, hit6: 44, pgic: 6 }), next, { role: pick(r, ['coordinator', 'physician'] as const) });

/** Through a localised leak to TREATMENT_PLANNING. */
const toPlanning = (r: () => number): DecideStep[] => [accept(pick(r, ['present', 'absent', 'indeterminate'] as const)), select(r), leakFound()];

/** The four scheduled visits after a procedure, ending completed. */
const fourVisits = (r: () => number): DecideStep[] => [
  followUp(r, 'day1', pick(r, ['improved', 'rebound_hypertension']), { stage: 'FOLLOW_UP' }),
  followUp(r, 'week1', 'improved', { stage: 'FOLLOW_UP' }),
  followUp(r, 'month3', 'improved', { stage: 'FOLLOW_UP' }),
  followUp(r, 'month12', pick(r, ['resolved', 'improved']), { status: 'completed' }),
];

function base(kind: string, r: () => number): Omit<Plan, 'steps' | 'final'> & { kind: string } {
  return { kind, site: pick(r, ['santa-clara', 'roseville-sacramento'] as const) };
}

/** The stage a patient waits at after `steps` (REFERRAL -> TRIAGE first). */
export function stageAfter(steps: readonly Step[]): DecisionStage {
  let stage: DecisionStage = 'TRIAGE';
  for (const s of steps) if (s.kind === 'decide' && 'stage' in s.next) stage = s.next.stage;
  return stage;
}

const KINDS: readonly [string, number, (r: () => number) => Pick<Plan, 'steps' | 'final'>][] = [
  [
    'completed',
    3,
    (r) => ({ steps: [...toPlanning(r), plan('targeted_patch', { stage: 'TARGETED_PATCH' }), patch(), ...fourVisits(r)], final: { status: 'completed', stage: 'FOLLOW_UP' } }),
  ],
  ['discharged-at-triage', 1, () => ({ steps: [decline()], final: { status: 'discharged', stage: 'TRIAGE' } })],
  [
    'request-info',
    1.5,
    (r) => {
      const loops = Array.from({ length: 1 + Math.floor(r() * 2) }, requestInfo);
      return r() < 0.5
        ? { steps: [...loops, decline()], final: { status: 'discharged', stage: 'TRIAGE' } }
        : { steps: [...loops, accept('present'), select(r)], final: { status: 'active', stage: 'MYELOGRAPHY' } };
    },
  ],
  [
    'negative-myelograms',
    1.5,
    (r) => {
      // Three negative studies (the configured default) send the patient to planning.
      const search: DecideStep[] = [];
      for (let i = 0; i < 3; i++) search.push(select(r), negative(r, i < 2 ? { stage: 'IMAGING_SELECTION' } : { stage: 'TREATMENT_PLANNING' }));
      return r() < 0.5
        ? { steps: [accept('absent'), ...search, plan('discharge', { status: 'discharged' })], final: { status: 'discharged', stage: 'TREATMENT_PLANNING' } }
        : { steps: [accept('absent'), select(r), negative(r, { stage: 'IMAGING_SELECTION' }), select(r), leakFound()], final: { status: 'active', stage: 'TREATMENT_PLANNING' } };
    },
  ],
  [
    'neurosurgery',
    1.5,
    (r) => ({
      steps: [
        ...toPlanning(r),
        plan('neurosurgery', { stage: 'NEUROSURGICAL_ESCALATION' }),
        D('NEUROSURGICAL_ESCALATION', () => ({ stage: 'NEUROSURGICAL_ESCALATION', outcome: pick(r, ['not_candidate', 'declined']), reason: 'Comorbidities' }), { stage: 'TREATMENT_PLANNING' }),
        plan('neurosurgery', { stage: 'NEUROSURGICAL_ESCALATION' }),
        D(
          'NEUROSURGICAL_ESCALATION',
          () => ({ stage: 'NEUROSURGICAL_ESCALATION', outcome: 'operated', procedure: 'ventral_repair_microspur', performedOn: daysAgo(2), preProcedureCheck: completeCheck }),
          { stage: 'FOLLOW_UP' },
        ),
        followUp(r, 'day1', 'improved', { stage: 'FOLLOW_UP' }),
      ],
      final: { status: 'active', stage: 'FOLLOW_UP' },
    }),
  ],
  [
    'withdrawn',
    1,
    (r) => {
      const full = [...toPlanning(r), plan('targeted_patch', { stage: 'TARGETED_PATCH' }), patch()];
      const steps: Step[] = full.slice(0, Math.floor(r() * (full.length + 1)));
      return { steps: [...steps, { kind: 'withdraw' }], final: { status: 'withdrawn', stage: stageAfter(steps) } };
    },
  ],
  [
    'lost-to-follow-up',
    1,
    (r) => ({
      steps: [...toPlanning(r), plan('targeted_patch', { stage: 'TARGETED_PATCH' }), patch(), followUp(r, 'day1', 'lost_to_follow_up', { status: 'lost_to_follow_up' })],
      final: { status: 'lost_to_follow_up', stage: 'FOLLOW_UP' },
    }),
  ],
  [
    'patch-fails',
    1,
    (r) => ({
      steps: [
        ...toPlanning(r),
        plan('targeted_patch', { stage: 'TARGETED_PATCH' }),
        patchNotPerformed(),
        plan('targeted_patch', { stage: 'TARGETED_PATCH' }),
        patch(),
        followUp(r, 'day1', pick(r, ['unchanged', 'worse', 'recurrence_same_site']), { stage: 'TREATMENT_PLANNING' }),
        plan('repeat_imaging', { stage: 'IMAGING_SELECTION' }),
      ],
      final: { status: 'active', stage: 'IMAGING_SELECTION' },
    }),
  ],
];

/** Plan number `i` of a run: a kind by weight, then (for about a third) a hold and resume at a random point. */
export function planFor(i: number, seed: number): Plan {
  const r = rng(seed * 1_000_003 + i);
  const total = KINDS.reduce((a, [, w]) => a + w, 0);
  let x = r() * total;
  let chosen = KINDS[0] as (typeof KINDS)[number];
  for (const k of KINDS) {
    x -= k[1];
    if (x < 0) {
      chosen = k;
      break;
    }
  }
  const b = base(chosen[0], r);
  const { steps, final } = chosen[2](r);
  if (r() < 0.33) {
    // "On hold then resumed": at a random point while waiting on a decision.
    const at = Math.floor(r() * (steps.filter((s) => s.kind === 'decide').length + (final.status === 'active' ? 1 : 0)));
    const out: Step[] = [];
    let seen = 0;
    let inserted = false;
    for (const s of steps) {
      if (s.kind === 'decide' && seen++ === at && !inserted) {
        out.push({ kind: 'hold', reason: pick(r, ['patient_request', 'travel', 'scanner_capacity', 'awaiting_records']) }, { kind: 'resume' });
        inserted = true;
      }
      out.push(s);
    }
    if (!inserted && final.status === 'active') out.push({ kind: 'hold', reason: 'travel' }, { kind: 'resume' });
    return { ...b, kind: `${b.kind}+hold`, steps: out, final };
  }
  return { ...b, steps, final };
}

/** The stages the patient enters, in order (REFERRAL, TRIAGE, then each decision's destination). */
export function expectedStages(p: Plan): string[] {
  const out: string[] = ['REFERRAL', 'TRIAGE'];
  for (const s of p.steps) if (s.kind === 'decide' && 'stage' in s.next) out.push(s.next.stage);
  return out;
}
