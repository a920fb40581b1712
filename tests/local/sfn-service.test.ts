import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startLocalSfn, type LocalSfn, type LocalSfnOptions } from '../../local/sfn-service.js';

// A toy pathway with the real one's patterns: a lambda:invoke task retried on a named
// transient error (backoff, full jitter) and caught into a recovery state, a
// waitForTaskToken decision, a Choice, and Succeed/Fail ends.
const FN = (name: string) => `arn:aws:lambda:us-east-1:000000000000:function:${name}`;
const TOY_ASL = JSON.stringify({
  Comment: 'Toy care pathway for the local Step Functions service tests',
  StartAt: 'RecordReferral',
  States: {
    RecordReferral: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: FN('persist-transition'),
        Payload: { 'patientId.$': '$.patientId', 'executionId.$': '$$.Execution.Id', stage: 'TRIAGE' },
      },
      ResultSelector: { 'stage.$': '$.Payload.stage' },
      ResultPath: '$.persisted',
      Retry: [
        {
          ErrorEquals: ['TransientStoreError'],
          IntervalSeconds: 1,
          MaxAttempts: 3,
          BackoffRate: 2,
          JitterStrategy: 'FULL',
        },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'RecordFailure' }],
      Next: 'AwaitTriageDecision',
    },
    AwaitTriageDecision: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: FN('await-decision'),
        Payload: { 'patientId.$': '$.patientId', stage: 'TRIAGE', 'taskToken.$': '$$.Task.Token' },
      },
      ResultPath: '$.decision',
      Catch: [{ ErrorEquals: ['DecisionRejected'], ResultPath: '$.failure', Next: 'RecordFailure' }],
      Next: 'RouteTriageDecision',
    },
    RouteTriageDecision: {
      Type: 'Choice',
      Choices: [{ Variable: '$.decision.outcome', StringEquals: 'accept', Next: 'NotifyImagingTeam' }],
      Default: 'TriageDeclined',
    },
    NotifyImagingTeam: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: 'notify-team',
        Payload: { 'patientId.$': '$.patientId', 'executionInput.$': '$$.Execution.Input' },
      },
      ResultPath: null,
      Next: 'PathwayAdvanced',
    },
    PathwayAdvanced: { Type: 'Succeed' },
    TriageDeclined: { Type: 'Fail', Error: 'TriageDeclined', Cause: 'The physician declined the referral' },
    RecordFailure: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      Parameters: {
        FunctionName: FN('record-failure'),
        Payload: { 'patientId.$': '$.patientId', 'failure.$': '$.failure' },
      },
      ResultPath: null,
      Next: 'PathwayFailed',
    },
    PathwayFailed: { Type: 'Fail', Error: 'PathwayFailed', Cause: 'A system failure that retries cannot fix' },
  },
});

const SM = 'care-pathway';
const INPUT = { patientId: 'p-0001', referralId: 'ref-0001' };

interface Call {
  readonly fn: string;
  readonly payload: Record<string, unknown>;
}

interface Harness {
  readonly sfn: LocalSfn;
  readonly client: SFNClient;
  readonly calls: Call[];
  readonly dataDir: string;
  readonly smArn: string;
  callsTo(fn: string): Call[];
  tokens(): string[];
  start(name?: string, input?: unknown): Promise<string>;
  describe(executionArn: string): Promise<DescribeExecutionCommandOutput>;
  history(executionArn: string): Promise<HistoryEvent[]>;
}

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  vi.restoreAllMocks();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'local-sfn-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function sfnClient(url: string): SFNClient {
  const client = new SFNClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  cleanups.push(() => client.destroy());
  return client;
}

async function startHarness(
  options: {
    dataDir?: string;
    calls?: Call[];
    injectFault?: LocalSfnOptions['injectFault'];
    lambdas?: Record<string, (payload: Record<string, unknown>) => unknown>;
    extraMachines?: LocalSfnOptions['stateMachines'];
  } = {},
): Promise<Harness> {
  const dataDir = options.dataDir ?? tempDir();
  const calls = options.calls ?? [];
  const sfn = await startLocalSfn({
    port: 0,
    dataDir,
    stateMachines: [{ name: SM, definition: TOY_ASL }, ...(options.extraMachines ?? [])],
    retryIntervalMs: 1,
    ...(options.injectFault ? { injectFault: options.injectFault } : {}),
    invokeLambda: async (fn, payload) => {
      const event = payload as Record<string, unknown>;
      calls.push({ fn, payload: event });
      const custom = options.lambdas?.[fn];
      if (custom) return custom(event);
      if (fn === 'persist-transition') return { stage: event.stage };
      return { ok: true };
    },
  });
  cleanups.push(() => sfn.close());
  const client = sfnClient(sfn.url);
  const smArn = sfn.stateMachineArns[SM] ?? '';
  const harness: Harness = {
    sfn,
    client,
    calls,
    dataDir,
    smArn,
    callsTo: (fn) => calls.filter((call) => call.fn === fn),
    tokens: () => calls.filter((c) => c.fn === 'await-decision').map((c) => String(c.payload.taskToken)),
    async start(name, input = INPUT) {
      const out = await client.send(
        new StartExecutionCommand({ stateMachineArn: smArn, ...(name ? { name } : {}), input: JSON.stringify(input) }),
      );
      return out.executionArn ?? '';
    },
    describe: (executionArn) => client.send(new DescribeExecutionCommand({ executionArn })),
    async history(executionArn) {
      const out = await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
      return out.events ?? [];
    },
  };
  return harness;
}

function enteredStates(events: HistoryEvent[]): string[] {
  return events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails?.name ?? '');
}

async function waitUntil(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('local Step Functions service', () => {
  it('a pathway waits at the decision task and advances once the decision token is answered', async () => {
    const h = await startHarness();

    const executionArn = await h.start('referral-ref-0001');
    await h.sfn.idle();

    expect(executionArn).toBe(`arn:aws:states:us-east-1:000000000000:execution:${SM}:referral-ref-0001`);
    expect((await h.describe(executionArn)).status).toBe('RUNNING');
    expect(h.callsTo('persist-transition')).toEqual([
      { fn: 'persist-transition', payload: { patientId: 'p-0001', executionId: executionArn, stage: 'TRIAGE' } },
    ]);
    const [token] = h.tokens();
    expect(token).toMatch(/^[A-Za-z0-9_-]{40,}$/);
    expect(h.callsTo('notify-team')).toHaveLength(0);

    await h.client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await h.client.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ outcome: 'accept' }) }));
    await h.sfn.idle();

    const done = await h.describe(executionArn);
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? 'null')).toEqual({
      ...INPUT,
      persisted: { stage: 'TRIAGE' },
      decision: { outcome: 'accept' },
    });
    expect(done.startDate).toBeInstanceOf(Date);
    expect(done.stopDate?.getTime()).toBeGreaterThanOrEqual(done.startDate?.getTime() ?? Infinity);
    expect(h.callsTo('notify-team')).toEqual([
      { fn: 'notify-team', payload: { patientId: 'p-0001', executionInput: INPUT } },
    ]);
    const events = await h.history(executionArn);
    expect(enteredStates(events)).toEqual([
      'RecordReferral',
      'AwaitTriageDecision',
      'RouteTriageDecision',
      'NotifyImagingTeam',
      'PathwayAdvanced',
    ]);
    expect(events[0]?.type).toBe('ExecutionStarted');
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
  });

  it('a transient store error is retried with backoff and the pathway carries on', async () => {
    let faults = 0;
    const h = await startHarness({
      injectFault: (fn) => {
        if (fn !== 'persist-transition' || faults >= 2) return undefined;
        faults += 1;
        return Object.assign(new Error('throttled'), { name: 'TransientStoreError' });
      },
    });

    const executionArn = await h.start();
    await h.sfn.idle();

    expect(faults).toBe(2);
    expect(h.callsTo('persist-transition')).toHaveLength(1);
    expect(h.tokens()).toHaveLength(1);
    const events = await h.history(executionArn);
    expect(events.filter((e) => e.type === 'TaskFailed').map((e) => e.taskFailedEventDetails?.error)).toEqual([
      'TransientStoreError',
      'TransientStoreError',
    ]);
    expect(events.filter((e) => e.type === 'TaskScheduled')).toHaveLength(4); // 3 attempts + the decision task
  });

  it('a transient error that outlasts its retries is caught into the recovery state', async () => {
    const h = await startHarness({
      injectFault: (fn) =>
        fn === 'persist-transition' ? Object.assign(new Error('still throttled'), { name: 'TransientStoreError' }) : undefined,
    });

    const executionArn = await h.start();
    await h.sfn.idle();

    const events = await h.history(executionArn);
    expect(events.filter((e) => e.type === 'TaskFailed')).toHaveLength(4); // first try + MaxAttempts 3
    const [recorded] = h.callsTo('record-failure');
    const failure = recorded?.payload.failure as { Error: string; Cause: string };
    expect(failure.Error).toBe('TransientStoreError');
    expect(JSON.parse(failure.Cause)).toEqual({ errorType: 'TransientStoreError', errorMessage: 'still throttled' });
    const done = await h.describe(executionArn);
    expect(done).toMatchObject({ status: 'FAILED', error: 'PathwayFailed', cause: 'A system failure that retries cannot fix' });
  });

  it('an error thrown by the Lambda itself is not retried unless named, and is caught', async () => {
    const h = await startHarness({
      lambdas: {
        'persist-transition': () => {
          throw Object.assign(new Error('stage conflict'), { name: 'ConflictError' });
        },
      },
    });

    const executionArn = await h.start();
    await h.sfn.idle();

    expect(h.callsTo('persist-transition')).toHaveLength(1);
    expect(h.callsTo('record-failure')[0]?.payload.failure).toMatchObject({ Error: 'ConflictError' });
    expect((await h.describe(executionArn)).status).toBe('FAILED');
  });

  it('a decision answered with SendTaskFailure is caught into the recovery state', async () => {
    const h = await startHarness();
    const executionArn = await h.start();
    await h.sfn.idle();

    await h.client.send(
      new SendTaskFailureCommand({ taskToken: h.tokens()[0], error: 'DecisionRejected', cause: 'not a CSF leak case' }),
    );
    await h.sfn.idle();

    expect(h.callsTo('record-failure')[0]?.payload.failure).toEqual({ Error: 'DecisionRejected', Cause: 'not a CSF leak case' });
    expect(await h.describe(executionArn)).toMatchObject({ status: 'FAILED', error: 'PathwayFailed' });
  });

  it('a declined triage takes the Choice default to the Fail state', async () => {
    const h = await startHarness();
    const executionArn = await h.start();
    await h.sfn.idle();

    await h.client.send(new SendTaskSuccessCommand({ taskToken: h.tokens()[0], output: '{"outcome":"decline"}' }));
    await h.sfn.idle();

    expect(await h.describe(executionArn)).toMatchObject({
      status: 'FAILED',
      error: 'TriageDeclined',
      cause: 'The physician declined the referral',
    });
    expect(h.callsTo('notify-team')).toHaveLength(0);
  });

  it('starting the same execution name again with the same input returns the running execution', async () => {
    const h = await startHarness();
    const first = await h.client.send(
      new StartExecutionCommand({ stateMachineArn: h.smArn, name: 'referral-42', input: JSON.stringify(INPUT) }),
    );
    const again = await h.client.send(
      new StartExecutionCommand({ stateMachineArn: h.smArn, name: 'referral-42', input: JSON.stringify(INPUT) }),
    );
    await h.sfn.idle();

    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
    expect(h.callsTo('persist-transition')).toHaveLength(1);
    await expect(
      h.client.send(new StartExecutionCommand({ stateMachineArn: h.smArn, name: 'referral-42', input: '{"patientId":"p-2"}' })),
    ).rejects.toMatchObject({ name: 'ExecutionAlreadyExists', $metadata: { httpStatusCode: 400 } });
  });

  it('an execution name cannot be reused once the execution has ended', async () => {
    const h = await startHarness();
    const executionArn = await h.start('referral-43');
    await h.sfn.idle();
    await h.client.send(new SendTaskSuccessCommand({ taskToken: h.tokens()[0], output: '{"outcome":"accept"}' }));
    await h.sfn.idle();
    expect((await h.describe(executionArn)).status).toBe('SUCCEEDED');

    await expect(h.start('referral-43')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
  });

  it('a stopped execution is aborted and its decision token no longer accepted', async () => {
    const h = await startHarness();
    const executionArn = await h.start();
    await h.sfn.idle();

    await h.client.send(new StopExecutionCommand({ executionArn, error: 'Withdrawn', cause: 'patient withdrew' }));
    await h.sfn.idle();

    expect(await h.describe(executionArn)).toMatchObject({ status: 'ABORTED', error: 'Withdrawn', cause: 'patient withdrew' });
    await expect(
      h.client.send(new SendTaskSuccessCommand({ taskToken: h.tokens()[0], output: '{"outcome":"accept"}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
    expect(h.callsTo('notify-team')).toHaveLength(0);
    const aborted = await h.client.send(
      new ListExecutionsCommand({ stateMachineArn: h.smArn, statusFilter: 'ABORTED' }),
    );
    expect(aborted.executions?.map((e) => e.executionArn)).toEqual([executionArn]);
  });

  it('unknown tokens, executions, state machines and bad names are refused with AWS error codes', async () => {
    const h = await startHarness();
    const executionArn = await h.start();
    await h.sfn.idle();
    const [token] = h.tokens();
    await h.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"outcome":"accept"}' }));
    await h.sfn.idle();

    await expect(
      h.client.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' })),
    ).rejects.toMatchObject({ name: 'InvalidToken' });
    await expect(
      h.client.send(new SendTaskFailureCommand({ taskToken: 'not-a-token', error: 'X' })),
    ).rejects.toMatchObject({ name: 'InvalidToken' });
    await expect(
      h.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"outcome":"accept"}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await expect(
      h.client.send(new DescribeExecutionCommand({ executionArn: `${executionArn}-missing` })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    await expect(
      h.client.send(new StartExecutionCommand({ stateMachineArn: `${h.smArn}-missing`, input: '{}' })),
    ).rejects.toMatchObject({ name: 'StateMachineDoesNotExist' });
    await expect(h.start('has space')).rejects.toMatchObject({ name: 'InvalidName' });
    await expect(
      h.client.send(new StartExecutionCommand({ stateMachineArn: h.smArn, input: '{not json' })),
    ).rejects.toMatchObject({ name: 'InvalidExecutionInput' });
  });

  it('lists and describes its state machines and executions through the unchanged SDK', async () => {
    const h = await startHarness();
    const older = await h.start('first');
    const newer = await h.start('second');
    await h.sfn.idle();

    const machines = await h.client.send(new ListStateMachinesCommand({}));
    expect(machines.stateMachines?.map((m) => [m.name, m.stateMachineArn, m.type])).toEqual([[SM, h.smArn, 'STANDARD']]);
    const described = await h.client.send(new DescribeStateMachineCommand({ stateMachineArn: h.smArn }));
    expect(described.definition).toBe(TOY_ASL);
    const running = await h.client.send(new ListExecutionsCommand({ stateMachineArn: h.smArn, statusFilter: 'RUNNING' }));
    expect(running.executions?.map((e) => e.executionArn)).toEqual([newer, older]);
    const paged = await h.client.send(new ListExecutionsCommand({ stateMachineArn: h.smArn, maxResults: 1 }));
    expect(paged.executions).toHaveLength(1);
    const rest = await h.client.send(
      new ListExecutionsCommand({ stateMachineArn: h.smArn, maxResults: 1, nextToken: paged.nextToken }),
    );
    expect(rest.executions?.[0]?.executionArn).toBe(older);
  });

  it('a decision task without TimeoutSeconds outlives 60 s and even the 24.8-day timer ceiling', async () => {
    // Only setTimeout is faked: setImmediate (idle tracking) and the sockets stay real.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    cleanups.push(() => {
      vi.useRealTimers();
    });
    const h = await startHarness();
    const executionArn = await h.start();
    await h.sfn.idle();

    await vi.advanceTimersByTimeAsync(61_000);
    await vi.advanceTimersByTimeAsync(2 ** 31); // past setTimeout's maximum: the wait re-arms
    await h.sfn.idle();

    expect((await h.describe(executionArn)).status).toBe('RUNNING');
    expect(h.tokens()).toHaveLength(1);
    await h.client.send(new SendTaskSuccessCommand({ taskToken: h.tokens()[0], output: '{"outcome":"accept"}' }));
    await h.sfn.idle();
    expect((await h.describe(executionArn)).status).toBe('SUCCEEDED');
    const events = await h.history(executionArn);
    expect(events.filter((e) => e.type === 'TaskTimedOut' || e.type === 'TaskFailed')).toEqual([]);
  });

  it('a decision task with TimeoutSeconds times out into its Catch and its token expires', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    cleanups.push(() => {
      vi.useRealTimers();
    });
    const timed = JSON.stringify({
      StartAt: 'AwaitDecision',
      States: {
        AwaitDecision: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          TimeoutSeconds: 3600,
          Parameters: { FunctionName: 'await-decision', Payload: { 'taskToken.$': '$$.Task.Token' } },
          Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.timeout', Next: 'Overdue' }],
          End: true,
        },
        Overdue: { Type: 'Pass', End: true },
      },
    });
    const h = await startHarness({ extraMachines: [{ name: 'timed-decision', definition: timed }] });
    const { executionArn } = await h.client.send(
      new StartExecutionCommand({ stateMachineArn: h.sfn.stateMachineArns['timed-decision'], input: '{}' }),
    );
    await h.sfn.idle();

    await vi.advanceTimersByTimeAsync(3600 * 1000);
    await h.sfn.idle();

    const done = await h.describe(executionArn ?? '');
    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output ?? '{}')).toMatchObject({ timeout: { Error: 'States.Timeout' } });
    await expect(
      h.client.send(new SendTaskSuccessCommand({ taskToken: h.tokens()[0], output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
  });

  it('is reachable through AWS_ENDPOINT_URL_SFN without an endpoint in code', async () => {
    const h = await startHarness();
    vi.stubEnv('AWS_ENDPOINT_URL_SFN', h.sfn.url);
    cleanups.push(() => {
      vi.unstubAllEnvs();
    });
    const client = new SFNClient({ region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    cleanups.push(() => client.destroy());

    const out = await client.send(new ListStateMachinesCommand({}));

    expect(out.stateMachines?.[0]?.stateMachineArn).toBe(h.smArn);
  });

  it('a restart resumes the waiting pathway and the old decision token still works', async () => {
    const logged = [
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'info'),
      vi.spyOn(console, 'warn'),
      vi.spyOn(console, 'error'),
      vi.spyOn(console, 'debug'),
    ];
    const calls: Call[] = [];
    const dataDir = tempDir();
    const patient = { patientId: 'p-0777', referralId: 'ref-0777', familyName: 'Sentinel-Surname' };
    const before = await startHarness({ dataDir, calls });
    const executionArn = await before.start('referral-ref-0777', patient);
    await before.sfn.idle();
    const [token] = before.tokens();
    await before.sfn.close();

    const after = await startHarness({ dataDir, calls });
    expect((await after.describe(executionArn)).status).toBe('RUNNING');
    await after.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"outcome":"accept"}' }));
    await after.sfn.idle();

    expect((await after.describe(executionArn)).status).toBe('SUCCEEDED');
    expect(calls.filter((c) => c.fn === 'await-decision')).toHaveLength(1);
    expect(calls.filter((c) => c.fn === 'persist-transition')).toHaveLength(1);
    // $$.Execution.Input is still the execution's input after resuming mid-way.
    expect(after.callsTo('notify-team')[0]?.payload.executionInput).toEqual(patient);
    expect(enteredStates(await after.history(executionArn))).toEqual([
      'RecordReferral',
      'AwaitTriageDecision',
      'RouteTriageDecision',
      'NotifyImagingTeam',
      'PathwayAdvanced',
    ]);
    const printed = logged.flatMap((spy) => spy.mock.calls.map((args) => args.map(String).join(' ')));
    expect(printed.filter((line) => line.includes('Sentinel-Surname') || line.includes('p-0777'))).toEqual([]);
  });

  it('a restart after the decision re-runs only the interrupted task, never the decision', async () => {
    const calls: Call[] = [];
    const dataDir = tempDir();
    let release: (value: unknown) => void = () => undefined;
    const before = await startHarness({
      dataDir,
      calls,
      // notify-team is still running when the service stops.
      lambdas: { 'notify-team': () => new Promise((r) => (release = r)) },
    });
    const executionArn = await before.start('referral-ref-0888');
    await before.sfn.idle();
    await before.client.send(new SendTaskSuccessCommand({ taskToken: before.tokens()[0], output: '{"outcome":"accept"}' }));
    await waitUntil(() => calls.some((c) => c.fn === 'notify-team'), 'notify-team');
    const closing = before.sfn.close();
    release({ ok: true });
    await closing;

    const after = await startHarness({ dataDir, calls });
    await after.sfn.idle();

    expect((await after.describe(executionArn)).status).toBe('SUCCEEDED');
    expect(calls.filter((c) => c.fn === 'await-decision')).toHaveLength(1);
    expect(calls.filter((c) => c.fn === 'notify-team')).toHaveLength(2); // at-least-once, like AWS
  });

  it('survives kill -9 while waiting: the saved token completes the pathway without a second notification', async () => {
    const dir = tempDir();
    const dataDir = join(dir, 'data');
    const logPath = join(dir, 'invocations.jsonl');
    const aslPath = join(dir, 'toy.asl.json');
    writeFileSync(aslPath, TOY_ASL);
    const script = join(dir, 'serve.mts');
    const servicePath = resolve(import.meta.dirname, '../../local/sfn-service.ts');
    writeFileSync(
      script,
      [
        `import { appendFileSync, readFileSync } from 'node:fs';`,
        `import { startLocalSfn } from ${JSON.stringify(servicePath)};`,
        `const sfn = await startLocalSfn({`,
        `  port: 0, dataDir: ${JSON.stringify(dataDir)},`,
        `  stateMachines: [{ name: ${JSON.stringify(SM)}, definition: readFileSync(${JSON.stringify(aslPath)}, 'utf8') }],`,
        `  invokeLambda: async (fn, payload) => {`,
        `    appendFileSync(${JSON.stringify(logPath)}, JSON.stringify({ fn, payload }) + '\\n');`,
        `    return fn === 'persist-transition' ? { stage: 'TRIAGE' } : { ok: true };`,
        `  },`,
        `});`,
        `process.stdout.write(sfn.url + '\\n');`,
      ].join('\n'),
    );
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: resolve(import.meta.dirname, '../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    cleanups.push(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const url = await new Promise<string>((resolveUrl, reject) => {
      child.once('exit', (code) => reject(new Error(`child exited early with ${code}`)));
      createInterface({ input: child.stdout! }).once('line', resolveUrl);
    });
    const childClient = sfnClient(url);
    const smArn = `arn:aws:states:us-east-1:000000000000:stateMachine:${SM}`;
    const started = await childClient.send(
      new StartExecutionCommand({ stateMachineArn: smArn, name: 'referral-ref-0999', input: JSON.stringify(INPUT) }),
    );
    const executionArn = started.executionArn ?? '';
    await waitUntil(async () => {
      const out = await childClient.send(new GetExecutionHistoryCommand({ executionArn }));
      return (out.events ?? []).some((e) => e.type === 'TaskSubmitted');
    }, 'the decision task to be waiting');

    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const childCalls = readFileSync(logPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Call);
    const token = String(childCalls.find((c) => c.fn === 'await-decision')?.payload.taskToken);

    const after = await startHarness({ dataDir });
    await after.client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"outcome":"accept"}' }));
    await after.sfn.idle();

    expect((await after.describe(executionArn)).status).toBe('SUCCEEDED');
    expect(childCalls.map((c) => c.fn)).toEqual(['persist-transition', 'await-decision']);
    expect(after.calls.map((c) => c.fn)).toEqual(['notify-team']);
    expect(existsSync(dataDir) && readdirSync(join(dataDir, 'executions')).some((f) => f.endsWith('.tmp'))).toBe(false);
  }, 60_000);
});
