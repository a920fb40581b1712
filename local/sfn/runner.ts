// The local Step Functions service's execution runner: runs each execution's definition with
// aws-local-stepfunctions, checkpoints it in the journal before each top-level state acts, parks
// waitForTaskToken tasks on their token, invokes the Lambda handlers, and resumes RUNNING
// executions after a restart (see ../sfn-service.ts for the guarantees and gaps).
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import {
  causeText,
  clampTimeout,
  Deferred,
  flushEvents,
  haltError,
  isObject,
  jsonRoundTrip,
  lambdaError,
  lambdaFunctionName,
  LOCAL_CONTEXT_KEY,
  mapStrings,
  namedError,
  prepareMachine,
  TOKEN_PLACEHOLDER,
  type EventLog,
  type ExecutionRecord,
  type ExecutionStatus,
  type Json,
  type JsonObject,
  type LocalSfnOptions,
  type PendingWait,
  type PreparedMachine,
  type Run,
  type RunContext,
  type TaskHandlers,
  type TaskKind,
  type TaskOutcome,
} from './definition.js';
import { ExecutionJournal } from './journal.js';

export class ExecutionRunner {
  readonly stateMachineArns: Record<string, string> = {};
  readonly region: string;
  readonly accountId: string;
  readonly journal: ExecutionJournal;
  readonly machines = new Map<string, PreparedMachine>();
  readonly records = new Map<string, ExecutionRecord>();
  readonly runs = new Map<string, Run>();
  readonly tokens = new Map<string, PendingWait>();
  readonly closedTokens = new Set<string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly idleWaiters: (() => void)[] = [];
  private idleCheckScheduled = false;

  constructor(private readonly options: LocalSfnOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.journal = new ExecutionJournal(join(options.dataDir, 'executions'));
    for (const source of options.stateMachines) {
      const arn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${source.name}`;
      if (this.machines.has(arn)) throw new Error(`state machine ${source.name} is defined twice`);
      this.machines.set(arn, prepareMachine(source, arn));
      this.stateMachineArns[source.name] = arn;
    }
  }

  /**
   * Loads every execution from the journal and registers the tokens of the waiting ones (so an
   * answer that arrives first is never refused); returns the runs to launch once the API listens.
   */
  load(): Run[] {
    for (const rec of this.journal.load()) {
      this.records.set(rec.executionArn, rec);
      for (const token of rec.closedTokens) this.closedTokens.add(token);
    }
    const toResume: Run[] = [];
    for (const rec of this.records.values()) {
      if (rec.status !== 'RUNNING') continue;
      const machine = this.machines.get(rec.stateMachineArn);
      if (!machine) {
        console.warn(`local-sfn: not resuming ${rec.executionArn}: its state machine is not configured`);
        continue;
      }
      toResume.push(this.createRun(rec, machine));
    }
    return toResume;
  }

  roleArn(): string {
    return this.options.roleArn ?? `arn:aws:iam::${this.accountId}:role/local-step-functions`;
  }

  /** The registered machine an ARN names: itself, or what it stands for (an alias, the unqualified ARN of a versioned machine). */
  machineFor(arn: string): PreparedMachine | undefined {
    return this.machines.get(this.options.aliases?.[arn] ?? arn);
  }

  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.scheduleIdleCheck();
    });
  }

  /** From here on nothing is written: a RUNNING execution stays RUNNING on disk and resumes. */
  halt(): void {
    this.journal.closing = true;
    for (const run of this.runs.values()) run.abort();
  }

  /** After halt(): let Lambda invocations already under way finish, so callers can tear down after us. */
  async drain(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inflight]),
      new Promise((resolve) => {
        timer = setTimeout(resolve, 10_000);
      }),
    ]);
    clearTimeout(timer);
    for (const wait of this.tokens.values()) wait.deferred.reject(haltError());
    this.tokens.clear();
    this.runs.clear();
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  // -------------------------------------------------------------------------------------
  // Runs

  executionArn(machine: PreparedMachine, name: string): string {
    // A version's executions are the machine's (AWS: execution:<machine>:<name>, whatever the version).
    return `arn:aws:states:${this.region}:${this.accountId}:execution:${machine.name.split(':')[0] ?? machine.name}:${name}`;
  }

  createRun(rec: ExecutionRecord, machine: PreparedMachine): Run {
    const run: Run = {
      rec,
      machine,
      abort: () => undefined,
      stopped: false,
      settled: false,
      waits: new Set(),
    };
    this.runs.set(rec.executionArn, run);
    const waiting = rec.waiting;
    if (waiting && machine.topLevelStates.has(waiting.state) && machine.taskKinds.get(waiting.state)?.kind === 'waitForToken') {
      const wait = this.registerWait(run, waiting.state, waiting.token, true);
      wait.submitted = waiting.submitted;
      if (waiting.outcome) this.settleWait(wait, waiting.outcome, false);
      run.suppressEnteredFor = waiting.state;
    }
    return run;
  }

  launch(run: Run): void {
    const { rec, machine } = run;
    const definition = structuredClone(machine.runDefinition);
    const states = definition.States as JsonObject;
    const executionInput = JSON.parse(rec.input) as Json;
    let startAt: string | undefined;
    let input: Json = executionInput;
    const waiting = run.suppressEnteredFor ? rec.waiting : undefined;
    if (waiting) {
      startAt = waiting.state;
      input = waiting.input;
      const state = states[waiting.state];
      if (waiting.timeoutAt !== undefined && isObject(state)) {
        state.TimeoutSeconds = clampTimeout((waiting.timeoutAt - Date.now()) / 1000);
      }
    } else if (rec.checkpoint) {
      startAt = rec.checkpoint.state;
      input = rec.checkpoint.input;
    }
    if (startAt !== undefined) {
      if (!isObject(states[startAt])) {
        this.finish(run, {
          status: 'FAILED',
          error: 'States.Runtime',
          cause: `The checkpointed state ${startAt} no longer exists in the state machine definition`,
        });
        return;
      }
      definition.StartAt = startAt;
    }
    if (machine.timeoutSeconds !== undefined) {
      definition.TimeoutSeconds = clampTimeout((rec.startDate + machine.timeoutSeconds * 1000 - Date.now()) / 1000);
    }

    const startTime = new Date(rec.startDate).toISOString();
    const context: RunContext = {
      Execution: {
        Id: rec.executionArn,
        Name: rec.name,
        RoleArn: this.roleArn(),
        StartTime: startTime,
        Input: executionInput,
      },
      StateMachine: { Id: machine.arn, Name: machine.name },
      Task: { Token: TOKEN_PLACEHOLDER },
      [LOCAL_CONTEXT_KEY]: { Input: executionInput, StartTime: startTime },
    };
    const handlers: TaskHandlers = {};
    for (const [stateName, task] of machine.taskKinds) {
      handlers[stateName] = (params: Json) => this.runTask(run, stateName, task.kind, task.resource, params);
    }
    const retryIntervalOverrides: Record<string, number> = {};
    if (this.options.retryIntervalMs !== undefined) {
      for (const stateName of machine.retryableStates) retryIntervalOverrides[stateName] = this.options.retryIntervalMs;
    }

    const stateMachine = new StateMachine(definition as unknown as StateMachineDefinition, {
      validationOptions: { noValidate: true },
    });
    const execution = stateMachine.run(input, {
      overrides: { taskResourceLocalHandlers: handlers, retryIntervalOverrides },
      context,
    });
    run.abort = execution.abort;
    const consumed = this.consumeEvents(run, execution.eventLogs);
    void this.awaitRun(run, execution.result, consumed);
  }

  private async awaitRun(run: Run, result: Promise<unknown>, consumed: Promise<void>): Promise<void> {
    let outcome: { status: ExecutionStatus; output?: string; error?: string; cause?: string };
    try {
      outcome = { status: 'SUCCEEDED', output: JSON.stringify((await result) ?? null) };
    } catch (error) {
      if (error instanceof ExecutionAbortedError) {
        outcome = { status: 'ABORTED' };
      } else if (error instanceof ExecutionTimeoutError) {
        outcome = { status: 'TIMED_OUT', error: 'States.Timeout', cause: 'The execution exceeded its TimeoutSeconds' };
      } else if (error instanceof ExecutionError && error.cause instanceof Error) {
        outcome = { status: 'FAILED', error: error.cause.name, cause: causeText(error.cause.message) };
      } else {
        outcome = { status: 'FAILED', error: 'States.Runtime', cause: error instanceof Error ? error.message : String(error) };
      }
    }
    await consumed;
    this.finish(run, outcome);
  }

  private finish(run: Run, outcome: { status: ExecutionStatus; output?: string; error?: string; cause?: string }): void {
    const { rec } = run;
    run.settled = true;
    this.runs.delete(rec.executionArn);
    if (!this.journal.closing && !run.stopped && outcome.status !== 'ABORTED') {
      for (const wait of [...run.waits]) this.retireWait(wait);
      rec.status = outcome.status;
      rec.stopDate = Date.now();
      if (outcome.output !== undefined) rec.output = outcome.output;
      if (outcome.error !== undefined) rec.error = outcome.error;
      if (outcome.cause !== undefined) rec.cause = outcome.cause;
      delete rec.checkpoint;
      delete rec.waiting;
      this.journal.save(rec);
      const type = {
        SUCCEEDED: 'ExecutionSucceeded',
        FAILED: 'ExecutionFailed',
        TIMED_OUT: 'ExecutionTimedOut',
        ABORTED: 'ExecutionAborted',
        RUNNING: 'ExecutionStarted',
      }[outcome.status];
      this.journal.appendHistory(
        rec,
        type,
        outcome.status === 'SUCCEEDED'
          ? { output: outcome.output ?? 'null' }
          : { error: outcome.error ?? '', cause: outcome.cause ?? '' },
      );
    }
    this.scheduleIdleCheck();
  }

  private async consumeEvents(run: Run, events: AsyncGenerator<EventLog>): Promise<void> {
    try {
      for await (const event of events) {
        if (this.journal.closing || run.stopped) continue;
        this.onEvent(run, event);
      }
    } catch (error) {
      console.error(`local-sfn: failed to record an event of ${run.rec.executionArn}: ${error instanceof Error ? error.name : 'error'}`);
    }
  }

  private onEvent(run: Run, event: EventLog): void {
    const { rec, machine } = run;
    switch (event.type) {
      case 'StateEntered': {
        const { name, type, input } = event.state;
        const topLevel = event.index === undefined && machine.topLevelStates.has(name);
        if (topLevel) {
          run.lastEntered = { name, input: input as Json };
          if (run.suppressEnteredFor === name) {
            // Re-entering the waiting task after a restart: the checkpoint already says so.
            run.suppressEnteredFor = undefined;
            return;
          }
          run.suppressEnteredFor = undefined;
          rec.checkpoint = { state: name, input: input as Json, at: event.timestamp };
          delete rec.waiting;
          this.journal.save(rec);
        }
        this.journal.appendHistory(rec, `${type}StateEntered`, { name, input: JSON.stringify(input) });
        return;
      }
      case 'StateExited': {
        const { name, type, output } = event.state;
        if (machine.topLevelStates.has(name) && event.index === undefined) {
          for (const wait of [...run.waits]) if (wait.state === name) this.retireWait(wait);
        } else {
          for (const wait of [...run.waits]) if (wait.state === name && wait.settled) run.waits.delete(wait);
        }
        this.journal.appendHistory(rec, `${type}StateExited`, { name, output: JSON.stringify(output ?? null) });
        return;
      }
      case 'StateFailed': {
        const { name, type } = event.state;
        const error = event.Error;
        const topLevel = machine.topLevelStates.has(name) && event.index === undefined;
        if (topLevel && machine.rearmStates.has(name) && error === 'States.Timeout') return; // re-armed
        if (topLevel) for (const wait of [...run.waits]) if (wait.state === name) this.retireWait(wait);
        if (type === 'Task') {
          const task = machine.taskKinds.get(name);
          this.journal.appendHistory(rec, error === 'States.Timeout' ? 'TaskTimedOut' : 'TaskFailed', {
            resourceType: 'lambda',
            resource: this.resourceLabel(task?.kind, task?.resource),
            error,
            cause: causeText(event.Cause),
          });
        }
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.journal.appendHistory(rec, event.type, { name: event.parentState.name, index: event.index });
        return;
      default:
        // ExecutionStarted is recorded by StartExecution, the end by awaitRun; AWS has no
        // retried/caught/branch events.
        return;
    }
  }

  private resourceLabel(kind: TaskKind | undefined, resource: string | undefined): string {
    if (kind === 'invoke') return 'invoke';
    if (kind === 'waitForToken') return 'invoke.waitForTaskToken';
    return resource ?? '';
  }

  // -------------------------------------------------------------------------------------
  // Tasks

  private async runTask(run: Run, stateName: string, kind: TaskKind, resource: string, params: Json): Promise<Json> {
    // The handler is called synchronously on state entry; wait for the entry checkpoint.
    await flushEvents();
    if (this.journal.closing || run.stopped) throw haltError();
    if (kind === 'waitForToken') return this.waitForToken(run, stateName, params);

    let functionName: string;
    let payload: Json;
    if (kind === 'lambdaArn') {
      functionName = lambdaFunctionName(resource);
      payload = params;
    } else {
      functionName = this.functionNameParam(params);
      payload = isObject(params) && params.Payload !== undefined ? params.Payload : {};
    }
    this.appendTaskStart(run, kind, resource, params);
    const result = await this.invoke(functionName, payload);
    const output: Json = kind === 'invoke' ? { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 } : result;
    this.journal.appendHistory(run.rec, 'TaskSucceeded', {
      resourceType: 'lambda',
      resource: this.resourceLabel(kind, resource),
      output: JSON.stringify(output),
    });
    return output;
  }

  private async waitForToken(run: Run, stateName: string, params: Json): Promise<Json> {
    const { rec, machine } = run;
    const topLevel = machine.topLevelStates.has(stateName);
    // Re-attach to a wait this state already owns: after a restart (the saved token) or when
    // the hidden re-arm retrier runs the state again after setTimeout's maximum.
    let wait = topLevel ? [...run.waits].find((w) => w.state === stateName) : undefined;
    if (!wait) {
      const token = randomBytes(48).toString('base64url');
      wait = this.registerWait(run, stateName, token, topLevel);
      if (topLevel && run.lastEntered?.name === stateName) {
        const timeout = machine.waitTimeouts.get(stateName);
        rec.waiting = {
          state: stateName,
          input: run.lastEntered.input,
          token,
          payload: this.tokenPayload(params, token),
          submitted: false,
          since: Date.now(),
          ...(timeout === undefined ? {} : { timeoutAt: Date.now() + timeout * 1000 }),
        };
        this.journal.save(rec); // before the Lambda sees the token
      }
    }
    if (!wait.submitted && !wait.settled) {
      this.appendTaskStart(run, 'waitForToken', '', params);
      try {
        await this.invoke(this.functionNameParam(params), this.tokenPayload(params, wait.token));
      } catch (error) {
        if (!wait.settled) {
          this.retireWait(wait);
          throw error;
        }
      }
      if (this.journal.closing || run.stopped) throw haltError();
      wait.submitted = true;
      if (rec.waiting?.token === wait.token) {
        rec.waiting.submitted = true;
        this.journal.save(rec);
      }
      this.journal.appendHistory(rec, 'TaskSubmitted', {
        resourceType: 'lambda',
        resource: 'invoke.waitForTaskToken',
        output: JSON.stringify({ StatusCode: 200 }),
      });
    }
    wait.attached = true;
    this.scheduleIdleCheck();
    const output = await wait.deferred.promise;
    if (!wait.reported) {
      wait.reported = true;
      this.journal.appendHistory(rec, 'TaskSucceeded', {
        resourceType: 'lambda',
        resource: 'invoke.waitForTaskToken',
        output: JSON.stringify(output),
      });
    }
    return output;
  }

  private functionNameParam(params: Json): string {
    const name = isObject(params) ? params.FunctionName : undefined;
    if (typeof name !== 'string' || name.length === 0) {
      throw namedError('States.Runtime', 'The lambda:invoke Parameters have no FunctionName');
    }
    return lambdaFunctionName(name);
  }

  private tokenPayload(params: Json, token: string): Json {
    const payload = isObject(params) && params.Payload !== undefined ? params.Payload : {};
    return mapStrings(payload, (text) => text.split(TOKEN_PLACEHOLDER).join(token));
  }

  private appendTaskStart(run: Run, kind: TaskKind, resource: string, params: Json): void {
    const label = this.resourceLabel(kind, resource);
    this.journal.appendHistory(run.rec, 'TaskScheduled', {
      resourceType: 'lambda',
      resource: label,
      region: this.region,
      parameters: JSON.stringify(params),
    });
    this.journal.appendHistory(run.rec, 'TaskStarted', { resourceType: 'lambda', resource: label });
  }

  private async invoke(functionName: string, payload: Json): Promise<Json> {
    const event = jsonRoundTrip(payload);
    const fault = this.options.injectFault?.(functionName, event);
    if (fault) throw lambdaError(fault);
    const call = this.options.invokeLambda(functionName, event);
    this.inflight.add(call);
    try {
      return jsonRoundTrip(await call);
    } catch (error) {
      throw lambdaError(error);
    } finally {
      this.inflight.delete(call);
      this.scheduleIdleCheck();
    }
  }

  private registerWait(run: Run, state: string, token: string, topLevel: boolean): PendingWait {
    const wait: PendingWait = {
      token,
      run,
      state,
      topLevel,
      deferred: new Deferred<Json>(),
      submitted: false,
      settled: false,
      attached: false,
      reported: false,
    };
    run.waits.add(wait);
    this.tokens.set(token, wait);
    return wait;
  }

  private closeToken(wait: PendingWait): void {
    this.tokens.delete(wait.token);
    if (!this.closedTokens.has(wait.token)) {
      this.closedTokens.add(wait.token);
      wait.run.rec.closedTokens.push(wait.token);
    }
  }

  /** Deliver SendTaskSuccess/SendTaskFailure; persisted before the caller hears back. */
  settleWait(wait: PendingWait, outcome: TaskOutcome, persist: boolean): void {
    if (wait.settled) return;
    wait.settled = true;
    this.closeToken(wait);
    const { rec } = wait.run;
    if (persist) {
      if (rec.waiting?.token === wait.token) rec.waiting.outcome = outcome;
      // SendTaskSuccess/Failure answers 200 only after this: the outcome survives a crash.
      this.journal.save(rec, { durable: true });
    }
    if (outcome.failed) {
      wait.deferred.reject(namedError(outcome.error ?? '', outcome.cause ?? ''));
    } else {
      wait.deferred.resolve(JSON.parse(outcome.output ?? 'null') as Json);
    }
  }

  /** The state has moved on (exited, failed, timed out, execution ended): close its wait. */
  retireWait(wait: PendingWait): void {
    const { run } = wait;
    if (!wait.settled) {
      wait.settled = true;
      wait.deferred.reject(namedError('States.Timeout', 'The task is no longer waiting'));
    }
    this.closeToken(wait);
    run.waits.delete(wait);
    if (run.rec.waiting?.token === wait.token) delete run.rec.waiting;
    if (!run.stopped && !run.settled) this.journal.save(run.rec);
  }

  // -------------------------------------------------------------------------------------
  // Idle tracking

  scheduleIdleCheck(): void {
    if (this.idleCheckScheduled || this.idleWaiters.length === 0) return;
    this.idleCheckScheduled = true;
    setImmediate(() => {
      this.idleCheckScheduled = false;
      if (this.journal.closing || this.isIdle()) {
        for (const resolve of this.idleWaiters.splice(0)) resolve();
      }
    });
  }

  private isIdle(): boolean {
    if (this.inflight.size > 0) return false;
    for (const run of this.runs.values()) {
      if (run.settled || run.stopped) continue;
      const parked = [...run.waits].some((w) => w.attached && w.submitted && !w.settled);
      if (!parked) return false;
    }
    return true;
  }

}
