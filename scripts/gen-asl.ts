// Generates statemachines/care-pathway.asl.json. The ASL file is the reviewed artefact (it is
// committed and read by CDK and the local engine); this script only keeps its 40-odd states
// consistent: same retry policy, same catch, same payload shape on every task.
// Run: npx tsx scripts/gen-asl.ts
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type State = Record<string, unknown>;
const states: Record<string, State> = {};

const TRANSIENT = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException', 'TransientError'];
const retry = [
  { ErrorEquals: TRANSIENT, IntervalSeconds: 2, MaxAttempts: 6, BackoffRate: 2, MaxDelaySeconds: 60, JitterStrategy: 'FULL' },
];
const notifyRetry = [
  { ErrorEquals: [...TRANSIENT, 'MailThrottledError'], IntervalSeconds: 2, MaxAttempts: 4, BackoffRate: 2, MaxDelaySeconds: 30, JitterStrategy: 'FULL' },
];
const closedCatch = { ErrorEquals: ['PathwayClosedError'], ResultPath: null, Next: 'PathwayClosed' };
const failCatch = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'RecordPathwayFailure' };

const invoke = (fn: string, payload: Record<string, unknown>) => ({
  Type: 'Task',
  Resource: 'arn:aws:states:::lambda:invoke',
  Parameters: { FunctionName: `\${${fn}}`, Payload: payload },
});

export const STAGE_STATE_NAMES = {
  TRIAGE: 'Triage',
  IMAGING_SELECTION: 'ImagingSelection',
  MYELOGRAPHY: 'Myelography',
  TREATMENT_PLANNING: 'TreatmentPlanning',
  TARGETED_PATCH: 'TargetedPatch',
  NEUROSURGICAL_ESCALATION: 'NeurosurgicalEscalation',
  FOLLOW_UP: 'FollowUp',
} as const;
type StageKey = keyof typeof STAGE_STATE_NAMES;

function persist(to: Record<string, string>, next: string): State {
  return {
    ...invoke('PersistTransitionFunctionArn', {
      'patientId.$': '$.patientId',
      'step.$': '$.transition.step',
      to,
      'cause.$': '$.decision',
    }),
    ResultSelector: {
      'step.$': '$.Payload.step',
      'stage.$': '$.Payload.stage',
      'status.$': '$.Payload.status',
      'continueAsNew.$': '$.Payload.continueAsNew',
    },
    ResultPath: '$.transition',
    Retry: retry,
    Catch: [closedCatch, failCatch],
    Next: next,
  };
}

// A new pathway starts with the referral; a continuation (a pathway carried over into a new
// execution before Step Functions' one-year / 25,000-event limits) resumes where it was.
states.StartPathway = {
  Type: 'Choice',
  Choices: [{ Variable: '$.continuation', IsPresent: true, Next: 'ContinueAfterNotification' }],
  // Intake has already recorded REFERRAL (step 1): announce it, then open triage.
  Default: 'NotifyTeam',
};

for (const [stage, name] of Object.entries(STAGE_STATE_NAMES) as [StageKey, string][]) {
  states[`Enter${name}`] = persist({ stage }, 'NotifyTeam');
  states[`Await${name}Decision`] = {
    Type: 'Task',
    Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
    Parameters: {
      FunctionName: '${AwaitDecisionFunctionArn}',
      Payload: { 'patientId.$': '$.patientId', stage, 'step.$': '$.transition.step', 'taskToken.$': '$$.Task.Token' },
    },
    ResultPath: '$.decision',
    Retry: retry,
    Catch: [closedCatch, failCatch],
    Next: `Route${name}Decision`,
  };
}

const outcome = (value: string, next: string) => ({ Variable: '$.decision.outcome', StringEquals: value, Next: next });
const withdrawRule = { Variable: '$.decision.control', IsPresent: true, Next: 'WithdrawPathway' };
const route = (name: string, choices: unknown[]) => {
  states[`Route${name}Decision`] = { Type: 'Choice', Choices: [withdrawRule, ...choices], Default: 'UnexpectedDecision' };
};

route('Triage', [
  outcome('accept', 'EnterImagingSelection'),
  outcome('decline', 'DischargePatient'),
  // request_info: triage again; the notification asks the referring physician.
  outcome('request_info', 'EnterTriage'),
]);
route('ImagingSelection', [outcome('confirm', 'EnterMyelography'), outcome('override', 'EnterMyelography')]);
route('Myelography', [
  outcome('leak_found', 'EnterTreatmentPlanning'),
  // R4: after the configured number of negative studies, multidisciplinary review.
  { Variable: '$.decision.facts.negativeLimitReached', BooleanEquals: true, Next: 'EnterTreatmentPlanning' },
  outcome('no_leak', 'EnterImagingSelection'),
  outcome('equivocal', 'EnterImagingSelection'),
]);
route('TreatmentPlanning', [
  outcome('targeted_patch', 'EnterTargetedPatch'),
  outcome('empirical_patch', 'EnterTargetedPatch'),
  outcome('neurosurgery', 'EnterNeurosurgicalEscalation'),
  outcome('repeat_imaging', 'EnterImagingSelection'),
  outcome('discharge', 'DischargePatient'),
]);
route('TargetedPatch', [outcome('performed', 'EnterFollowUp'), outcome('not_performed', 'EnterTreatmentPlanning')]);
route('NeurosurgicalEscalation', [
  outcome('operated', 'EnterFollowUp'),
  outcome('not_candidate', 'EnterTreatmentPlanning'),
  outcome('declined', 'EnterTreatmentPlanning'),
]);
const visitDone = (value: string) => ({
  And: [
    { Variable: '$.decision.outcome', StringEquals: value },
    { Variable: '$.decision.facts.lastVisit', BooleanEquals: true },
  ],
  Next: 'CompletePathway',
});
route('FollowUp', [
  visitDone('resolved'),
  visitDone('improved'),
  visitDone('rebound_hypertension'),
  outcome('resolved', 'EnterFollowUp'),
  outcome('improved', 'EnterFollowUp'),
  outcome('rebound_hypertension', 'EnterFollowUp'),
  outcome('unchanged', 'EnterTreatmentPlanning'),
  outcome('worse', 'EnterTreatmentPlanning'),
  outcome('recurrence_same_site', 'EnterTreatmentPlanning'),
  outcome('recurrence_new_site', 'EnterImagingSelection'),
  outcome('lost_to_follow_up', 'MarkLostToFollowUp'),
]);

// One notification step for every transition; mail never blocks care: a failure that retries
// cannot fix is recorded and alerted, then the pathway moves on.
states.NotifyTeam = {
  ...invoke('NotifyTeamFunctionArn', { 'patientId.$': '$.patientId', 'step.$': '$.transition.step' }),
  ResultPath: null,
  Retry: notifyRetry,
  Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.notificationError', Next: 'RecordNotificationFailure' }],
  Next: 'ContinueAfterNotification',
};
states.RecordNotificationFailure = {
  ...invoke('RecordFailureFunctionArn', {
    kind: 'notification',
    'patientId.$': '$.patientId',
    'step.$': '$.transition.step',
    'error.$': '$.notificationError',
  }),
  ResultPath: null,
  Retry: retry,
  Catch: [failCatch],
  Next: 'ContinueAfterNotification',
};
states.ContinueAfterNotification = {
  Type: 'Choice',
  Choices: [
    { Not: { Variable: '$.transition.status', StringEquals: 'active' }, Next: 'PathwayClosed' },
    { Variable: '$.transition.stage', StringEquals: 'REFERRAL', Next: 'EnterTriage' },
    { Variable: '$.transition.continueAsNew', BooleanEquals: true, Next: 'ContinueInNewExecution' },
    ...Object.entries(STAGE_STATE_NAMES).map(([stage, name]) => ({ Variable: '$.transition.stage', StringEquals: stage, Next: `Await${name}Decision` })),
  ],
  Default: 'UnexpectedDecision',
};

states.ContinueInNewExecution = {
  ...invoke('ContinuePathwayFunctionArn', {
    'patientId.$': '$.patientId',
    'step.$': '$.transition.step',
    'executionArn.$': '$$.Execution.Id',
  }),
  ResultPath: null,
  Retry: retry,
  Catch: [closedCatch, failCatch],
  Next: 'PathwayContinued',
};
states.PathwayContinued = { Type: 'Succeed', Comment: 'The pathway goes on in the new execution.' };

states.DischargePatient = persist({ status: 'discharged' }, 'NotifyTeam');
states.CompletePathway = persist({ status: 'completed' }, 'NotifyTeam');
states.MarkLostToFollowUp = persist({ status: 'lost_to_follow_up' }, 'NotifyTeam');
// The API has already recorded the withdrawal; this records the engine's side and tells the team.
states.WithdrawPathway = persist({ status: 'withdrawn' }, 'NotifyTeam');

states.UnexpectedDecision = {
  Type: 'Pass',
  Parameters: { Error: 'UnexpectedDecision', Cause: 'The decision matched no route of the pathway.' },
  ResultPath: '$.error',
  Next: 'RecordPathwayFailure',
};
states.RecordPathwayFailure = {
  ...invoke('RecordFailureFunctionArn', {
    kind: 'pathway',
    'patientId.$': '$.patientId',
    'step.$': '$.transition.step',
    'error.$': '$.error',
  }),
  ResultPath: null,
  Retry: retry,
  Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: null, Next: 'PathwayFailed' }],
  Next: 'PathwayFailed',
};
states.PathwayFailed = { Type: 'Fail', Error: 'PathwayFailed', Cause: 'The pathway could not continue; administrators were alerted.' };
states.PathwayClosed = { Type: 'Succeed' };

const definition = {
  Comment:
    'CSF leak care pathway: referral, triage, imaging selection, myelography, treatment planning, targeted patch or neurosurgical escalation, follow-up. Generated by scripts/gen-asl.ts.',
  StartAt: 'StartPathway',
  States: states,
};

export function carePathwayDefinition() {
  return definition;
}

const target = fileURLToPath(new URL('../statemachines/care-pathway.asl.json', import.meta.url));
export const renderDefinition = () => `${JSON.stringify(carePathwayDefinition(), null, 2)}\n`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(target, renderDefinition());
  console.log(`wrote ${Object.keys(carePathwayDefinition().States).length} states to ${target}`);
}
