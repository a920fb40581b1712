// The ASL file: valid, current with its generator, and routing every outcome exactly where the
// contract says (the contract's routes, written out below, walked through the ASL's Choices and
// through the pathway definition's own routing).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import type { DecisionFacts } from '../../functions/domain/history.js';
import { CARE_PATHWAY, destinationOf, outcomesOf, stageOf } from '../../functions/domain/pathway.js';
import { OUTCOMES } from '../../functions/domain/vocabulary.js';
import { closeStateOf, enterStateOf, renderDefinition, routeStateOf } from '../../scripts/gen-asl.js';

const file = fileURLToPath(new URL('../../statemachines/care-pathway.asl.json', import.meta.url));
const text = readFileSync(file, 'utf8');
type State = Record<string, any>;
const definition = JSON.parse(text) as { StartAt: string; States: Record<string, State> };

function get(obj: unknown, path: string): unknown {
  return path
    .replace(/^\$\.?/, '')
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);
}

function matches(rule: State, input: unknown): boolean {
  if (rule.And) return (rule.And as State[]).every((r) => matches(r, input));
  if (rule.Or) return (rule.Or as State[]).some((r) => matches(r, input));
  if (rule.Not) return !matches(rule.Not as State, input);
  const v = get(input, rule.Variable as string);
  if ('IsPresent' in rule) return (v !== undefined) === rule.IsPresent;
  if ('StringEquals' in rule) return v === rule.StringEquals;
  if ('BooleanEquals' in rule) return v === rule.BooleanEquals;
  throw new Error(`unsupported rule ${JSON.stringify(rule)}`);
}

function choose(stateName: string, input: unknown): string {
  const state = definition.States[stateName] as State;
  const hit = (state.Choices as State[]).find((c) => matches(c, input));
  return (hit?.Next as string | undefined) ?? (state.Default as string);
}

/** Where a state leads, in the contract's words: a stage entered, or a status closed. */
function landing(next: string) {
  const state = definition.States[next] as State;
  const payload = state?.Parameters?.Payload ?? {};
  if (next.startsWith('Enter') && payload.stage) return { stage: payload.stage as string };
  if (next.startsWith('Close') && payload.status) return { status: payload.status as string };
  return { state: next };
}

const none: DecisionFacts = { negativeLimitReached: false, lastVisit: false, neurosurgeryThresholdReached: false };
const facts = (f: Partial<DecisionFacts> = {}): DecisionFacts => ({ ...none, ...f });

// CONTRACT.md "Where each outcome leads", one row per route.
const CONTRACT: [stage: string, outcome: string, f: Partial<DecisionFacts>, to: { stage: string } | { status: string }][] = [
  ['TRIAGE', 'accept', {}, { stage: 'IMAGING_SELECTION' }],
  ['TRIAGE', 'decline', {}, { status: 'discharged' }],
  ['TRIAGE', 'request_info', {}, { stage: 'TRIAGE' }],
  ['IMAGING_SELECTION', 'confirm', {}, { stage: 'MYELOGRAPHY' }],
  ['IMAGING_SELECTION', 'override', {}, { stage: 'MYELOGRAPHY' }],
  ['MYELOGRAPHY', 'leak_found', {}, { stage: 'TREATMENT_PLANNING' }],
  ['MYELOGRAPHY', 'no_leak', {}, { stage: 'IMAGING_SELECTION' }],
  ['MYELOGRAPHY', 'equivocal', {}, { stage: 'IMAGING_SELECTION' }],
  ['MYELOGRAPHY', 'no_leak', { negativeLimitReached: true }, { stage: 'TREATMENT_PLANNING' }],
  ['MYELOGRAPHY', 'equivocal', { negativeLimitReached: true }, { stage: 'TREATMENT_PLANNING' }],
  ['TREATMENT_PLANNING', 'targeted_patch', {}, { stage: 'TARGETED_PATCH' }],
  ['TREATMENT_PLANNING', 'empirical_patch', {}, { stage: 'TARGETED_PATCH' }],
  ['TREATMENT_PLANNING', 'neurosurgery', {}, { stage: 'NEUROSURGICAL_ESCALATION' }],
  ['TREATMENT_PLANNING', 'repeat_imaging', {}, { stage: 'IMAGING_SELECTION' }],
  ['TREATMENT_PLANNING', 'discharge', {}, { status: 'discharged' }],
  ['TARGETED_PATCH', 'performed', {}, { stage: 'FOLLOW_UP' }],
  ['TARGETED_PATCH', 'not_performed', {}, { stage: 'TREATMENT_PLANNING' }],
  ['NEUROSURGICAL_ESCALATION', 'operated', {}, { stage: 'FOLLOW_UP' }],
  ['NEUROSURGICAL_ESCALATION', 'not_candidate', {}, { stage: 'TREATMENT_PLANNING' }],
  ['NEUROSURGICAL_ESCALATION', 'declined', {}, { stage: 'TREATMENT_PLANNING' }],
  ...['resolved', 'improved', 'rebound_hypertension'].flatMap((o): [string, string, Partial<DecisionFacts>, { stage: string } | { status: string }][] => [
    ['FOLLOW_UP', o, {}, { stage: 'FOLLOW_UP' }],
    ['FOLLOW_UP', o, { lastVisit: true }, { status: 'completed' }],
  ]),
  ['FOLLOW_UP', 'unchanged', {}, { stage: 'TREATMENT_PLANNING' }],
  ['FOLLOW_UP', 'worse', {}, { stage: 'TREATMENT_PLANNING' }],
  ['FOLLOW_UP', 'recurrence_same_site', { neurosurgeryThresholdReached: true }, { stage: 'TREATMENT_PLANNING' }],
  ['FOLLOW_UP', 'recurrence_new_site', {}, { stage: 'IMAGING_SELECTION' }],
  ['FOLLOW_UP', 'lost_to_follow_up', {}, { status: 'lost_to_follow_up' }],
];

describe('the care-pathway state machine', () => {
  it('is valid Amazon States Language', () => {
    const { isValid, errors } = aslValidator(definition as never, { checkPaths: true, checkArn: false });
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('is the file its generator writes from the pathway definition, so no hand edit drifts from it', () => {
    expect(text).toBe(renderDefinition());
  });

  it('has one waiting task and one Choice per stage, and stays within 30 state transitions for a completed pathway', () => {
    for (const stage of CARE_PATHWAY.stages) {
      const state = definition.States[enterStateOf(stage)] as State;
      expect(state.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(state.Parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
      expect(state.Retry[0]).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL' });
      expect(state.Retry[0].ErrorEquals).toContain('TransientError');
      expect(definition.States[routeStateOf(stage)]?.Type).toBe('Choice');
    }
    // The happy path of the e2e test: 9 decisions (each an Enter task and a Choice), start, close, end.
    const decisions = 9;
    expect(1 + decisions * 2 + 2).toBeLessThanOrEqual(30);
  });

  it('catches every task failure into an explicit state', () => {
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      expect((state.Catch as State[]).some((c) => (c.ErrorEquals as string[]).includes('States.ALL')), name).toBe(true);
    }
  });

  it('defines, for every stage, exactly the outcomes of the contract vocabulary', () => {
    for (const [stage, outcomes] of Object.entries(OUTCOMES)) expect(outcomesOf(CARE_PATHWAY, stage)).toEqual([...outcomes]);
  });

  for (const [stage, outcome, f, to] of CONTRACT) {
    it(`routes ${stage} ${outcome}${Object.keys(f).length ? ` (${Object.keys(f).join(', ')})` : ''} where the contract says, in the ASL and in the definition`, () => {
      const next = choose(routeStateOf(stageOf(CARE_PATHWAY, stage)), { decision: { stage, outcome, facts: facts(f) } });
      expect(landing(next)).toEqual(to);
      expect(destinationOf(CARE_PATHWAY, stage, outcome, facts(f))).toEqual(to);
    });
  }

  it('covers every outcome of every stage with a route', () => {
    for (const stage of CARE_PATHWAY.stages) {
      for (const outcome of Object.keys(stage.outcomes)) {
        expect(CONTRACT.some(([s, o]) => s === stage.id && o === outcome), `${stage.id} ${outcome}`).toBe(true);
      }
    }
  });

  it('closes the pathway from every stage when the coordinator withdraws', () => {
    for (const stage of CARE_PATHWAY.stages) {
      expect(choose(routeStateOf(stage), { decision: { control: 'withdraw' } })).toBe(closeStateOf('withdrawn'));
    }
  });

  it('continues in a new execution near the limits, and a continuation waits where the record is', () => {
    const triage = stageOf(CARE_PATHWAY, 'TRIAGE');
    expect(choose(routeStateOf(triage), { decision: { stage: 'TRIAGE', outcome: 'accept', facts: none, continueAsNew: true } })).toBe('ContinueInNewExecution');
    expect(choose('StartPathway', { decision: { step: 1 } })).toBe(enterStateOf(triage));
    expect(choose('ResumeWhereTheRecordIs', { resumeAt: 'MYELOGRAPHY' })).toBe(enterStateOf(stageOf(CARE_PATHWAY, 'MYELOGRAPHY')));
  });

  it('records an unrecoverable failure and alerts before failing the execution', () => {
    expect(definition.States.RecordPathwayFailure?.Next).toBe('PathwayFailed');
    expect(definition.States.PathwayFailed?.Type).toBe('Fail');
  });
});
