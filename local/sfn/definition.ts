// The local Step Functions service's vocabulary: the JSON and record types shared by its parts,
// small helpers, and how a state machine definition is prepared to run on aws-local-stepfunctions
// (timeouts, re-arm retriers, rewritten context paths). The service's behaviour and its known gaps
// versus AWS are described in ../sfn-service.ts.
import { StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';

export interface LocalSfnOptions {
  readonly port: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Persisted executions live here (JSON files, atomic write: tmp + rename). */
  readonly dataDir: string;
  /** Default us-east-1. */
  readonly region?: string;
  /** Default 000000000000. */
  readonly accountId?: string;
  /** ASL JSON text, ARNs already substituted. */
  readonly stateMachines: readonly { readonly name: string; readonly definition: string }[];
  /**
   * Invoke the Lambda named by a FunctionName/ARN (the function name: the segment after
   * `function:` in an ARN, ignoring a version or alias qualifier, else the last ':'-segment,
   * else the name). Throw an Error whose .name is the Lambda errorType to fail the task.
   */
  readonly invokeLambda: (functionName: string, payload: unknown) => Promise<unknown>;
  /** Optional: override retry intervals (ms) for every retryable state, so tests run fast. */
  readonly retryIntervalMs?: number;
  /**
   * ARNs that stand for a registered state machine, as a version alias or the unqualified ARN of
   * a versioned machine do in AWS (e.g. `<machine>:live` -> `<machine>:3`).
   */
  readonly aliases?: Readonly<Record<string, string>>;
  /** The state machine's execution role (named in the history, as AWS does). */
  readonly roleArn?: string;
  /**
   * Authorizes an API call of the caller the SigV4 access key names (IAM); answers the refusal to
   * send, or undefined to go on. `stateMachineOfToken` names the machine a task token belongs to.
   */
  readonly authorize?: (
    call: { readonly accessKeyId: string | undefined; readonly action: string; readonly body: Readonly<Record<string, unknown>> },
    stateMachineOfToken: (token: string) => string | undefined,
  ) => Promise<{ readonly status: number; readonly headers: Readonly<Record<string, string>>; readonly body: string } | undefined>;
  /** Optional test-only fault injection: return an Error to throw instead of invoking. */
  readonly injectFault?: (functionName: string, payload: unknown) => Error | undefined;
}

// ---------------------------------------------------------------------------------------
// Types

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
export type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
export type RunContext = NonNullable<RunOptions['context']>;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export type TaskKind = 'invoke' | 'waitForToken' | 'lambdaArn';

/** How a token wait ended: SendTaskSuccess (output) or SendTaskFailure (error, cause). */
export interface TaskOutcome {
  readonly failed: boolean;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

export interface WaitingCheckpoint {
  readonly state: string;
  /** The raw state input (before InputPath/Parameters), to re-enter the state. */
  readonly input: Json;
  readonly token: string;
  readonly payload: Json;
  /** True once the Lambda that receives the token has returned. */
  submitted: boolean;
  readonly since: number;
  readonly timeoutAt?: number;
  outcome?: TaskOutcome;
}

export interface ExecutionRecord {
  readonly version: 1;
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly name: string;
  readonly input: string;
  status: ExecutionStatus;
  readonly startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  /** The last top-level state entered and its raw input. Absent: start from StartAt. */
  checkpoint?: { readonly state: string; readonly input: Json; readonly at: number };
  waiting?: WaitingCheckpoint;
  /** Tokens that were issued and are no longer accepted (answer TaskTimedOut, not InvalidToken). */
  closedTokens: string[];
}

export interface StoredHistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  readonly details?: JsonObject;
}

export interface PreparedMachine {
  readonly name: string;
  readonly arn: string;
  readonly definitionText: string;
  readonly creationDate: number;
  /** Parsed definition with our in-memory adjustments (timeouts, re-arm retriers, paths). */
  readonly runDefinition: JsonObject;
  readonly topLevelStates: ReadonlySet<string>;
  readonly taskKinds: ReadonlyMap<string, { readonly kind: TaskKind; readonly resource: string }>;
  /** Top-level waitForTaskToken states without a timeout: States.Timeout re-arms the wait. */
  readonly rearmStates: ReadonlySet<string>;
  readonly retryableStates: readonly string[];
  /** Explicit TimeoutSeconds of top-level waitForTaskToken states (to resume the countdown). */
  readonly waitTimeouts: ReadonlyMap<string, number>;
  readonly timeoutSeconds?: number;
}

export class Deferred<T> {
  readonly promise: Promise<T>;
  resolve!: (value: T) => void;
  reject!: (reason: Error) => void;
  constructor() {
    this.promise = new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // A wait may be settled before anyone awaits it (a token answered during a resume).
    this.promise.catch(() => undefined);
  }
}

export interface PendingWait {
  readonly token: string;
  readonly run: Run;
  readonly state: string;
  readonly topLevel: boolean;
  readonly deferred: Deferred<Json>;
  submitted: boolean;
  settled: boolean;
  /** A task handler is awaiting it (the run is parked on this token). */
  attached: boolean;
  reported: boolean;
}

export interface Run {
  readonly rec: ExecutionRecord;
  readonly machine: PreparedMachine;
  abort: () => void;
  stopped: boolean;
  settled: boolean;
  readonly waits: Set<PendingWait>;
  lastEntered?: { readonly name: string; readonly input: Json };
  /** On a resume at a waiting task: skip the duplicate StateEntered of that state. */
  suppressEnteredFor?: string;
}

export class SfnError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = code;
  }
}

// ---------------------------------------------------------------------------------------
// Constants and small helpers

/** setTimeout's ceiling: 2^31-1 ms; above it Node fires after 1 ms. */
export const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
export const TOKEN_PLACEHOLDER = '__LOCAL_SFN_TASK_TOKEN__';
export const LOCAL_CONTEXT_KEY = 'LocalSfnExecution';
export const REARM_RETRIER: JsonObject = {
  ErrorEquals: ['States.Timeout'],
  IntervalSeconds: 0,
  MaxAttempts: 99_999_999,
  BackoffRate: 1,
};
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_INPUT_BYTES = 256 * 1024;
export const LAMBDA_INVOKE = /^arn:[^:]+:states:::lambda:invoke$/;
export const LAMBDA_INVOKE_WAIT = /^arn:[^:]+:states:::lambda:invoke\.waitForTaskToken$/;
export const LAMBDA_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/;
/** AWS: 1-80 chars, no whitespace, brackets, wildcards, special or control characters. */
export const INVALID_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

export function isValidExecutionName(name: string): boolean {
  if (name.length === 0 || name.length > 80 || INVALID_NAME_CHARS.test(name)) return false;
  return ![...name].some((char) => {
    const code = char.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function jsonRoundTrip(value: unknown): Json {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

export function flushEvents(): Promise<void> {
  // The library's event log is consumed through microtasks; a macrotask turn lets our
  // consumer record (and checkpoint) everything dispatched so far.
  return new Promise((resolve) => setImmediate(resolve));
}

export function mapStrings(value: Json, fn: (text: string) => string): Json {
  if (typeof value === 'string') return fn(value);
  if (Array.isArray(value)) return value.map((item) => mapStrings(item, fn));
  if (isObject(value)) {
    const out: JsonObject = {};
    for (const [key, item] of Object.entries(value)) out[key] = mapStrings(item, fn);
    return out;
  }
  return value;
}

/** The function name in a Lambda ARN (without qualifier), or the last ':'-segment. */
export function lambdaFunctionName(ref: string): string {
  const match = /(?:^|:)function:([^:]+)/.exec(ref);
  if (match?.[1]) return match[1];
  const segments = ref.split(':');
  return segments[segments.length - 1] ?? ref;
}

export function seconds(ms: number): number {
  return ms / 1000;
}

export function clampTimeout(value: number): number {
  return Math.max(1, Math.min(MAX_TIMEOUT_SECONDS, Math.ceil(value)));
}

export function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** An error the library neither retries nor catches: used once a run has been stopped. */
export function haltError(): Error {
  const error = namedError('LocalSfn.Halted', 'Execution was stopped');
  Object.defineProperty(error, 'isRetryable', { value: false });
  Object.defineProperty(error, 'isCatchable', { value: false });
  return error;
}

/** Like AWS, a Lambda failure's Cause is the JSON of the function error. */
export function lambdaError(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return namedError(name, JSON.stringify({ errorType: name, errorMessage: message }));
}

export function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  try {
    return JSON.stringify(cause) ?? '';
  } catch {
    return String(cause);
  }
}

export function walkStates(
  definition: JsonObject,
  visit: (name: string, state: JsonObject, nested: boolean) => void,
  nested = false,
): void {
  const states = definition.States;
  if (!isObject(states)) throw new Error('definition has no States object');
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state)) throw new Error(`state ${name} is not an object`);
    visit(name, state, nested);
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      for (const branch of state.Branches) if (isObject(branch)) walkStates(branch, visit, true);
    }
    if (state.Type === 'Map') {
      const processor = isObject(state.ItemProcessor) ? state.ItemProcessor : state.Iterator;
      if (isObject(processor)) walkStates(processor, visit, true);
    }
  }
}

export function classifyResource(resource: Json | undefined): TaskKind | undefined {
  if (typeof resource !== 'string') return undefined;
  if (LAMBDA_INVOKE.test(resource)) return 'invoke';
  if (LAMBDA_INVOKE_WAIT.test(resource)) return 'waitForToken';
  if (LAMBDA_ARN.test(resource)) return 'lambdaArn';
  return undefined;
}

export function prepareMachine(
  source: { readonly name: string; readonly definition: string },
  arn: string,
): PreparedMachine {
  const where = `state machine ${source.name}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(source.definition);
  } catch {
    throw new Error(`${where}: definition is not valid JSON`);
  }
  if (!isObject(parsed)) throw new Error(`${where}: definition must be a JSON object`);
  try {
    new StateMachine(parsed as unknown as StateMachineDefinition, {
      validationOptions: { checkArn: false, checkPaths: false },
    });
  } catch (error) {
    throw new Error(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }

  // The library replaces $$.Execution.Input/StartTime with the run's own values; a resumed
  // run starts from a checkpoint, so read them from a context key it leaves alone.
  const runDefinition = mapStrings(structuredClone(parsed), (text) =>
    text.replace(/\$\$\.Execution\.(Input|StartTime)(?![A-Za-z0-9_])/g, `$$$$.${LOCAL_CONTEXT_KEY}.$1`),
  ) as JsonObject;

  const states = runDefinition.States;
  const topLevelStates = new Set(isObject(states) ? Object.keys(states) : []);
  const taskKinds = new Map<string, { kind: TaskKind; resource: string }>();
  const rearmStates = new Set<string>();
  const retryable = new Set<string>();
  const waitTimeouts = new Map<string, number>();
  const seen = new Set<string>();

  walkStates(runDefinition, (name, state, nested) => {
    if (seen.has(name)) throw new Error(`${where}: state name ${name} is used twice`);
    seen.add(name);
    if (Array.isArray(state.Retry) && state.Retry.length > 0) retryable.add(name);
    if (state.Type === 'Wait' && typeof state.Seconds === 'number' && state.Seconds > MAX_TIMEOUT_SECONDS) {
      throw new Error(`${where}: Wait state ${name} exceeds the local timer limit of ${MAX_TIMEOUT_SECONDS} s`);
    }
    if (state.Type !== 'Task') return;
    const kind = classifyResource(state.Resource);
    if (!kind) {
      throw new Error(`${where}: Task ${name} uses a resource the local service cannot run: ${String(state.Resource)}`);
    }
    taskKinds.set(name, { kind, resource: String(state.Resource) });
    if (typeof state.TimeoutSeconds === 'number' && state.TimeoutSeconds > MAX_TIMEOUT_SECONDS) {
      state.TimeoutSeconds = MAX_TIMEOUT_SECONDS;
    }
    if (kind !== 'waitForToken') return;
    if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
      // The library's default Task timeout is 60 s; AWS waits up to the execution's year.
      // Give it setTimeout's maximum (~24.8 days) and, at top level, a hidden retrier that
      // re-arms the same token when that maximum elapses (handled in the task handler).
      state.TimeoutSeconds = MAX_TIMEOUT_SECONDS;
      if (!nested) {
        rearmStates.add(name);
        state.Retry = [REARM_RETRIER, ...(Array.isArray(state.Retry) ? state.Retry : [])];
        retryable.add(name);
      }
    } else if (!nested && typeof state.TimeoutSeconds === 'number') {
      waitTimeouts.set(name, state.TimeoutSeconds);
    }
  });

  const timeoutSeconds = typeof runDefinition.TimeoutSeconds === 'number' ? runDefinition.TimeoutSeconds : undefined;
  if (timeoutSeconds !== undefined) runDefinition.TimeoutSeconds = clampTimeout(timeoutSeconds);

  return {
    name: source.name,
    arn,
    definitionText: source.definition,
    creationDate: Date.now(),
    runDefinition,
    topLevelStates,
    taskKinds,
    rearmStates,
    retryableStates: [...retryable],
    waitTimeouts,
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
  };
}

export function historyDetailsKey(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

