// The ASL file: valid, current with its generator, and routing every outcome exactly where the
// contract (as encoded in the pure domain's destinationOf) says it goes.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import aslValidator from 'asl-validator';
import { describe, expect, it } from 'vitest';
import { destinationOf, type DecisionFacts } from '../../functions/domain/pathway.js';
import { OUTCOMES, DECISION_STAGES, type DecisionStage } from '../../functions/domain/vocabulary.js';
import { STAGE_STATE_NAMES, renderDefinition } from '../../scripts/gen-asl.js';

const file = fileURLToPath(new URL('../../statemachines/care-pathway.asl.json', import.meta.url));
const text = readFileSync(file, 'utf8');
type State = Record<string, any>;
const definition = JSON.parse(text) as { StartAt: string; States: Record<string, State> };

const PASCAL: Record<DecisionStage, string> = STAGE_STATE_NAMES;

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

const STATUS_STATES: Record<string, string> = {
  DischargePatient: 'discharged',
  CompletePathway: 'completed',
  MarkLostToFollowUp: 'lost_to_follow_up',
  WithdrawPathway: 'withdrawn',
};

function landing(next: string) {
  if (STATUS_STATES[next]) return { status: STATUS_STATES[next] };
  const entered = definition.States[next]?.Parameters?.Payload?.to?.stage as string | undefined;
  if (next.startsWith('Enter') && entered) return { stage: entered };
  return { state: next };
}

describe('the care-pathway state machine', () => {
  it('is valid Amazon States Language', () => {
    const { isValid, errors } = aslValidator(definition as never, { checkPaths: true, checkArn: false });
    expect(errors).toEqual([]);
    expect(isValid).toBe(true);
  });

  it('is the file its generator writes, so no hand edit drifts from the shared retry policy', () => {
    expect(text).toBe(renderDefinition());
  });

  it('waits for each human decision with a task token and retries transient errors with backoff and jitter', () => {
    for (const stage of DECISION_STAGES) {
      const state = definition.States[`Await${PASCAL[stage]}Decision`] as State;
      expect(state.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      expect(state.Parameters.Payload['taskToken.$']).toBe('$$.Task.Token');
      expect(state.Retry[0]).toMatchObject({ BackoffRate: 2, JitterStrategy: 'FULL' });
      expect(state.Catch.at(-1)).toMatchObject({ ErrorEquals: ['States.ALL'], Next: 'RecordPathwayFailure' });
    }
  });

  it('catches every task failure into an explicit state', () => {
    for (const [name, state] of Object.entries(definition.States)) {
      if (state.Type !== 'Task') continue;
      expect(state.Catch, name).toBeDefined();
      expect((state.Catch as State[]).some((c) => (c.ErrorEquals as string[]).includes('States.ALL')), name).toBe(true);
    }
  });

  const factCombos: DecisionFacts[] = [false, true].flatMap((negativeLimitReached) =>
    [false, true].map((lastVisit) => ({ negativeLimitReached, lastVisit, neurosurgeryThresholdReached: false })),
  );

  for (const stage of DECISION_STAGES) {
    for (const outcome of OUTCOMES[stage]) {
      it(`routes ${stage} ${outcome} where the contract says`, () => {
        for (const facts of factCombos) {
          const next = choose(`Route${PASCAL[stage]}Decision`, { decision: { stage, outcome, facts } });
          expect(landing(next), JSON.stringify(facts)).toEqual(destinationOf(stage, outcome, facts));
        }
      });
    }
    it(`withdraws from ${stage} when the coordinator withdraws`, () => {
      expect(choose(`Route${PASCAL[stage]}Decision`, { decision: { control: 'withdraw' } })).toBe('WithdrawPathway');
    });
  }

  it('after notifying, waits on the stage just entered, or closes a pathway that has ended', () => {
    for (const stage of DECISION_STAGES) {
      expect(choose('ContinueAfterNotification', { transition: { stage, status: 'active' } })).toBe(`Await${PASCAL[stage]}Decision`);
    }
    expect(choose('ContinueAfterNotification', { transition: { stage: 'FOLLOW_UP', status: 'completed' } })).toBe('PathwayClosed');
    expect(choose('ContinueAfterNotification', { transition: { stage: 'REFERRAL', status: 'active' } })).toBe('EnterTriage');
    expect(choose('ContinueAfterNotification', { transition: { stage: 'MYELOGRAPHY', status: 'active', continueAsNew: true } })).toBe('ContinueInNewExecution');
  });

  it('records an unrecoverable failure and alerts before failing the execution', () => {
    expect(definition.States.RecordPathwayFailure?.Parameters.Payload.kind).toBe('pathway');
    expect(definition.States.RecordPathwayFailure?.Next).toBe('PathwayFailed');
    expect(definition.States.PathwayFailed?.Type).toBe('Fail');
  });
});
