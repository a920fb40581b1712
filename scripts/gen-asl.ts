// Generates statemachines/care-pathway.asl.json from the pathway definition
// (functions/domain/pathway.ts). The ASL file is the reviewed artefact (committed, read by CDK
// and the local engine); a test keeps it equal to what this script writes.
//
// Per stage, two states: `Enter<Stage>` (one waitForTaskToken task: the record already moved
// in the transaction that recorded the decision; the task attaches the token and delivers the
// stage's emails) and `Route<Stage>Decision` (a Choice on the outcome and the facts the domain
// computed, in the definition's route order). Closing a pathway is one `Close<Status>` task.
// Run: npx tsx scripts/gen-asl.ts [--definition <module exporting `pathway`>] [--out <file>]
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { aslDiagram } from './asl-diagram.js';
import { CARE_PATHWAY, type Destination, type PathwayDefinition, type Route, type StageDefinition } from '../functions/domain/pathway.js';

type State = Record<string, unknown>;

// Transient errors only (functions/shared/transient.ts classifies SDK and network failures as
// TransientError); an outage of a few minutes is ridden out, then the reconciler takes over.
const TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'TransientError'];
const retry = [{ ErrorEquals: TRANSIENT, IntervalSeconds: 2, MaxAttempts: 8, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' }];
const closedCatch = { ErrorEquals: ['PathwayClosedError'], ResultPath: null, Next: 'PathwayClosed' };
const failCatch = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordPathwayFailure' };

const pascal = (s: string) => s.toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
export const closeStateOf = (status: string) => `Close${pascal(status)}`;
export const enterStateOf = (stage: StageDefinition) => `Enter${stage.stateName}`;
export const routeStateOf = (stage: StageDefinition) => `Route${stage.stateName}Decision`;

const invoke = (fn: string, payload: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: `\${${fn}}`, Payload: payload },
});

function targetOf(def: PathwayDefinition, to: Destination): string {
  if ('status' in to) return closeStateOf(to.status);
  const stage = def.stages.find((s) => s.id === to.stage);
  if (!stage) throw new Error(`a route leads to ${to.stage}, which is not a stage of ${def.name}`);
  return enterStateOf(stage);
}

function ruleOf(route: Route, next: string): State {
  const conditions: State[] = [];
  if (route.outcomes) {
    const eq = route.outcomes.map((o) => ({ Variable: '$.decision.outcome', StringEquals: o }));
    conditions.push(eq.length === 1 ? (eq[0] as State) : { Or: eq });
  }
  if (route.fact) conditions.push({ Variable: `$.decision.facts.${route.fact}`, BooleanEquals: true });
  if (conditions.length === 0) throw new Error('a route needs outcomes or a fact');
  return conditions.length === 1 ? { ...conditions[0], Next: next } : { And: conditions, Next: next };
}

export function definitionOf(def: PathwayDefinition) {
  const states: Record<string, State> = {};
  const first = def.stages.find((s) => s.id === def.firstStage);
  if (!first) throw new Error(`first stage ${def.firstStage} is not a stage of ${def.name}`);

  // A new pathway opens its first stage; a continuation (a new execution near Step Functions'
  // limits, or after the reconciler found the old one gone) waits where the record is.
  states.StartPathway = {
    Type: 'Choice',
    Choices: [{ Variable: '$.resumeAt', IsPresent: true, Next: 'ResumeWhereTheRecordIs' }],
    Default: enterStateOf(first),
  };
  states.ResumeWhereTheRecordIs = {
    Type: 'Choice',
    Choices: def.stages.map((s) => ({ Variable: '$.resumeAt', StringEquals: s.id, Next: enterStateOf(s) })),
    Default: 'UnexpectedDecision',
  };

  const closing = new Set<string>(['withdrawn']);
  for (const stage of def.stages) {
    states[enterStateOf(stage)] = {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: '${EnterStageFunctionArn}',
        Payload: { 'patientId.$': '$.patientId', stage: stage.id, 'step.$': '$.decision.step', 'taskToken.$': '$$.Task.Token' },
      },
      ResultPath: '$.decision',
      Retry: retry,
      Catch: [closedCatch, failCatch],
      Next: routeStateOf(stage),
    };
    for (const r of stage.routes) if ('status' in r.to) closing.add(r.to.status);
    states[routeStateOf(stage)] = {
      Type: 'Choice',
      Choices: [
        { Variable: '$.decision.control', IsPresent: true, Next: closeStateOf('withdrawn') },
        { Variable: '$.decision.continueAsNew', BooleanEquals: true, Next: 'ContinueInNewExecution' },
        ...stage.routes.map((r) => ruleOf(r, targetOf(def, r.to))),
      ],
      Default: 'UnexpectedDecision',
    };
  }

  for (const status of closing) {
    states[closeStateOf(status)] = {
      ...invoke('ClosePathwayFunctionArn', { 'patientId.$': '$.patientId', status }),
      ResultPath: null,
      Retry: retry,
      Catch: [failCatch],
      Next: 'PathwayClosed',
    };
  }

  states.ContinueInNewExecution = {
    ...invoke('ContinuePathwayFunctionArn', { 'patientId.$': '$.patientId', 'executionArn.$': '$$.Execution.Id' }),
    ResultPath: null,
    Retry: retry,
    Catch: [closedCatch, failCatch],
    Next: 'PathwayContinued',
  };
  states.PathwayContinued = { Type: 'Succeed', Comment: 'The pathway goes on in the new execution.' };
  states.UnexpectedDecision = {
    Type: 'Pass',
    Parameters: { Error: 'UnexpectedDecision', Cause: 'The decision matched no route of the pathway.' },
    ResultPath: '$.error',
    Next: 'RecordPathwayFailure',
  };
  states.RecordPathwayFailure = {
    ...invoke('RecordFailureFunctionArn', { 'patientId.$': '$.patientId', 'error.$': '$.error' }),
    ResultPath: null,
    Retry: retry,
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'PathwayFailed' }],
    Next: 'PathwayFailed',
  };
  states.PathwayFailed = { Type: 'Fail', Error: 'PathwayFailed', Cause: 'The pathway could not continue; administrators were alerted.' };
  states.PathwayClosed = { Type: 'Succeed' };

  return {
    Comment: `${def.name}: ${def.stages.map((s) => s.label.toLowerCase()).join(', ')}. Generated by scripts/gen-asl.ts from functions/domain/pathway.ts.`,
    StartAt: 'StartPathway',
    States: states,
  };
}

export function carePathwayDefinition() {
  return definitionOf(CARE_PATHWAY);
}

export const renderDefinition = (def: PathwayDefinition = CARE_PATHWAY) => `${JSON.stringify(definitionOf(def), null, 2)}\n`;

const target = fileURLToPath(new URL('../statemachines/care-pathway.asl.json', import.meta.url));

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const arg = (name: string) => {
    const i = process.argv.indexOf(name);
    return i > 0 ? process.argv[i + 1] : undefined;
  };
  const module = arg('--definition');
  const def = module ? ((await import(pathToFileURL(module).href)) as { pathway: PathwayDefinition }).pathway : CARE_PATHWAY;
  const out = arg('--out') ?? target;
  writeFileSync(out, renderDefinition(def));
  console.log(`wrote ${Object.keys(definitionOf(def).States).length} states to ${out}`);
  if (out === target) {
    // The README draws the committed state machine (tests/unit/readme.test.ts keeps it so).
    const readme = fileURLToPath(new URL('../README.md', import.meta.url));
    const text = readFileSync(readme, 'utf8');
    const drawn = text.replace(/```mermaid\n[\s\S]*?\n```/, () => `\`\`\`mermaid\n${aslDiagram(JSON.parse(renderDefinition(def)))}\n\`\`\``);
    if (drawn !== text) {
      writeFileSync(readme, drawn);
      console.log(`redrew the state machine in ${readme}`);
    }
  }
}
