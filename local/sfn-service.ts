/**
 * Local AWS Step Functions service: the Step Functions JSON 1.0 API (the subset the code and
 * the tests use) over `node:http`, so the unchanged `@aws-sdk/client-sfn` works against it
 * through `AWS_ENDPOINT_URL_SFN` or `endpoint`. Executions run with `aws-local-stepfunctions`;
 * Lambda tasks are delegated to `invokeLambda` (the handlers, in-process).
 *
 * Durability: every execution is a JSON file under `<dataDir>/executions/` (atomic tmp +
 * rename) holding its status and a checkpoint written before each state acts; its history is
 * an append-only JSONL file beside it. After a restart, or a `kill -9`, every RUNNING
 * execution resumes from its checkpoint: a task waiting for a token waits again for the SAME
 * token without re-invoking its Lambda; any other state is re-run (at-least-once, like AWS).
 *
 * Privacy: execution input and output may hold patient data. They go to the data files only,
 * never to the console.
 *
 * Known gaps versus AWS (the engine's, and ours):
 * - The library's Context object is static per execution: we provide `$$.Execution.*`,
 *   `$$.StateMachine.*` and `$$.Task.Token` (a placeholder we swap for a fresh token per
 *   waitForTaskToken invocation); there is no `$$.State.*`. The library overwrites
 *   `$$.Execution.Input` / `StartTime` with the run's own input, so we rewrite those paths in
 *   the in-memory definition to read a copy that survives a resume.
 * - Timers use setTimeout (max 2^31-1 ms, about 24.8 days). A top-level waitForTaskToken task
 *   without TimeoutSeconds gets that maximum plus a hidden Retry on States.Timeout that
 *   re-arms the wait with the same token, so it never times out (AWS: up to the one-year
 *   execution limit). Explicit TimeoutSeconds and nested tasks are capped at 24.8 days; a
 *   Wait state longer than that is refused at start-up (a literal Seconds) or would end early
 *   (a path), and a Wait state restarts from zero after a restart.
 * - HeartbeatSeconds is ignored (SendTaskHeartbeat only checks the token); TimeoutSecondsPath
 *   is resolved after Parameters (library behaviour). JSONPath only (no JSONata, no Assign).
 * - Checkpoints exist for top-level states only: after a restart a Parallel or Map state is
 *   re-run as a whole, including waitForTaskToken tasks inside it (new tokens).
 * - idle() treats an execution as waiting only when a top-level-style token wait is pending
 *   and no Lambda is running; a Parallel branch still running beside a waiting one may be
 *   missed.
 * - Lambda payloads and results go through a JSON round trip like the real service, but
 *   there is no 6 MB / 256 KB size check on them; plain Lambda tasks keep the library's 60 s
 *   default timeout (AWS: the function's own timeout).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type RunOptions,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';

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
  /** Optional test-only fault injection: return an Error to throw instead of invoking. */
  readonly injectFault?: (functionName: string, payload: unknown) => Error | undefined;
}

export interface LocalSfn {
  readonly url: string;
  /** State machine name -> ARN. */
  readonly stateMachineArns: Record<string, string>;
  /** Resolves when every execution has finished or is waiting for a task token. */
  idle(): Promise<void>;
  /** Stops the server and the in-memory runs; RUNNING executions stay RUNNING on disk. */
  close(): Promise<void>;
}

export async function startLocalSfn(options: LocalSfnOptions): Promise<LocalSfn> {
  const service = new LocalSfnService(options);
  await service.start();
  return service;
}

// ---------------------------------------------------------------------------------------
// Types

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type EventLog = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;
type TaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
type RunContext = NonNullable<RunOptions['context']>;

type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
type TaskKind = 'invoke' | 'waitForToken' | 'lambdaArn';

/** How a token wait ended: SendTaskSuccess (output) or SendTaskFailure (error, cause). */
interface TaskOutcome {
  readonly failed: boolean;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

interface WaitingCheckpoint {
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

interface ExecutionRecord {
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

interface StoredHistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  readonly details?: JsonObject;
}

interface PreparedMachine {
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

class Deferred<T> {
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

interface PendingWait {
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

interface Run {
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

class SfnError extends Error {
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
const MAX_TIMEOUT_SECONDS = Math.floor((2 ** 31 - 1) / 1000);
const TOKEN_PLACEHOLDER = '__LOCAL_SFN_TASK_TOKEN__';
const LOCAL_CONTEXT_KEY = 'LocalSfnExecution';
const REARM_RETRIER: JsonObject = {
  ErrorEquals: ['States.Timeout'],
  IntervalSeconds: 0,
  MaxAttempts: 99_999_999,
  BackoffRate: 1,
};
const MAX_BODY_BYTES = 1024 * 1024;
const MAX_INPUT_BYTES = 256 * 1024;
const LAMBDA_INVOKE = /^arn:[^:]+:states:::lambda:invoke$/;
const LAMBDA_INVOKE_WAIT = /^arn:[^:]+:states:::lambda:invoke\.waitForTaskToken$/;
const LAMBDA_ARN = /^arn:[^:]+:lambda:[^:]*:[^:]*:function:[^:]+(:[^:]+)?$/;
/** AWS: 1-80 chars, no whitespace, brackets, wildcards, special or control characters. */
const INVALID_NAME_CHARS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;

function isValidExecutionName(name: string): boolean {
  if (name.length === 0 || name.length > 80 || INVALID_NAME_CHARS.test(name)) return false;
  return ![...name].some((char) => {
    const code = char.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function jsonRoundTrip(value: unknown): Json {
  const text = JSON.stringify(value);
  return text === undefined ? null : (JSON.parse(text) as Json);
}

function flushEvents(): Promise<void> {
  // The library's event log is consumed through microtasks; a macrotask turn lets our
  // consumer record (and checkpoint) everything dispatched so far.
  return new Promise((resolve) => setImmediate(resolve));
}

function mapStrings(value: Json, fn: (text: string) => string): Json {
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

function seconds(ms: number): number {
  return ms / 1000;
}

function clampTimeout(value: number): number {
  return Math.max(1, Math.min(MAX_TIMEOUT_SECONDS, Math.ceil(value)));
}

function namedError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

/** An error the library neither retries nor catches: used once a run has been stopped. */
function haltError(): Error {
  const error = namedError('LocalSfn.Halted', 'Execution was stopped');
  Object.defineProperty(error, 'isRetryable', { value: false });
  Object.defineProperty(error, 'isCatchable', { value: false });
  return error;
}

/** Like AWS, a Lambda failure's Cause is the JSON of the function error. */
function lambdaError(error: unknown): Error {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return namedError(name, JSON.stringify({ errorType: name, errorMessage: message }));
}

function causeText(cause: unknown): string {
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  try {
    return JSON.stringify(cause) ?? '';
  } catch {
    return String(cause);
  }
}

function walkStates(
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

function classifyResource(resource: Json | undefined): TaskKind | undefined {
  if (typeof resource !== 'string') return undefined;
  if (LAMBDA_INVOKE.test(resource)) return 'invoke';
  if (LAMBDA_INVOKE_WAIT.test(resource)) return 'waitForToken';
  if (LAMBDA_ARN.test(resource)) return 'lambdaArn';
  return undefined;
}

function prepareMachine(
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

function historyDetailsKey(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

// ---------------------------------------------------------------------------------------
// The service

class LocalSfnService implements LocalSfn {
  url = '';
  readonly stateMachineArns: Record<string, string> = {};

  private readonly region: string;
  private readonly accountId: string;
  private readonly host: string;
  private readonly executionsDir: string;
  private readonly machines = new Map<string, PreparedMachine>();
  private readonly records = new Map<string, ExecutionRecord>();
  private readonly historyCounts = new Map<string, number>();
  private readonly runs = new Map<string, Run>();
  private readonly tokens = new Map<string, PendingWait>();
  private readonly closedTokens = new Set<string>();
  private readonly inflight = new Set<Promise<unknown>>();
  private readonly idleWaiters: (() => void)[] = [];
  private idleCheckScheduled = false;
  private closing = false;
  private closePromise: Promise<void> | undefined;
  private tmpCounter = 0;
  private readonly server = createServer((req, res) => {
    void this.handleHttp(req, res);
  });

  constructor(private readonly options: LocalSfnOptions) {
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.host = options.host ?? '127.0.0.1';
    this.executionsDir = join(options.dataDir, 'executions');
    for (const source of options.stateMachines) {
      const arn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${source.name}`;
      if (this.machines.has(arn)) throw new Error(`state machine ${source.name} is defined twice`);
      this.machines.set(arn, prepareMachine(source, arn));
      this.stateMachineArns[source.name] = arn;
    }
  }

  async start(): Promise<void> {
    mkdirSync(this.executionsDir, { recursive: true });
    this.loadRecords();
    // Tokens of waiting executions are registered before the port opens, so an answer that
    // arrives first is never refused; the runs themselves start once we listen.
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
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${port}`;
    for (const run of toResume) this.launch(run);
  }

  idle(): Promise<void> {
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.scheduleIdleCheck();
    });
  }

  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  private async shutdown(): Promise<void> {
    // From here on nothing is written: a RUNNING execution stays RUNNING on disk and resumes.
    this.closing = true;
    for (const run of this.runs.values()) run.abort();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    // Let Lambda invocations already under way finish, so callers can tear down after us.
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
  // Persistence

  private fileBase(executionArn: string): string {
    return join(this.executionsDir, `exec-${createHash('sha256').update(executionArn).digest('hex').slice(0, 40)}`);
  }

  private save(rec: ExecutionRecord): void {
    if (this.closing) return;
    const target = `${this.fileBase(rec.executionArn)}.json`;
    const tmp = `${target}.${process.pid}.${++this.tmpCounter}.tmp`;
    writeFileSync(tmp, JSON.stringify(rec));
    renameSync(tmp, target);
  }

  private appendHistory(rec: ExecutionRecord, type: string, details?: JsonObject): void {
    if (this.closing) return;
    const id = (this.historyCounts.get(rec.executionArn) ?? 0) + 1;
    const event: StoredHistoryEvent = {
      id,
      previousEventId: id - 1,
      timestamp: Date.now(),
      type,
      ...(details ? { details } : {}),
    };
    appendFileSync(`${this.fileBase(rec.executionArn)}.history.jsonl`, `${JSON.stringify(event)}\n`);
    this.historyCounts.set(rec.executionArn, id);
  }

  private readHistory(rec: ExecutionRecord): StoredHistoryEvent[] {
    const path = `${this.fileBase(rec.executionArn)}.history.jsonl`;
    if (!existsSync(path)) return [];
    const events: StoredHistoryEvent[] = [];
    for (const line of readFileSync(path, 'utf8').split('\n')) {
      if (!line) continue;
      try {
        events.push(JSON.parse(line) as StoredHistoryEvent);
      } catch {
        // A line torn by a crash mid-append.
      }
    }
    return events;
  }

  private loadRecords(): void {
    for (const file of readdirSync(this.executionsDir)) {
      const path = join(this.executionsDir, file);
      if (file.endsWith('.tmp')) {
        rmSync(path, { force: true });
        continue;
      }
      if (!file.endsWith('.json')) continue;
      let rec: ExecutionRecord;
      try {
        rec = JSON.parse(readFileSync(path, 'utf8')) as ExecutionRecord;
      } catch {
        console.warn(`local-sfn: skipping unreadable execution file ${file}`);
        continue;
      }
      if (typeof rec.executionArn !== 'string' || !Array.isArray(rec.closedTokens)) {
        console.warn(`local-sfn: skipping malformed execution file ${file}`);
        continue;
      }
      this.records.set(rec.executionArn, rec);
      for (const token of rec.closedTokens) this.closedTokens.add(token);
      const historyPath = `${this.fileBase(rec.executionArn)}.history.jsonl`;
      if (existsSync(historyPath)) {
        const text = readFileSync(historyPath, 'utf8');
        // Terminate a torn last line so the next append starts cleanly.
        if (text.length > 0 && !text.endsWith('\n')) appendFileSync(historyPath, '\n');
        this.historyCounts.set(rec.executionArn, this.readHistory(rec).reduce((max, e) => Math.max(max, e.id), 0));
      }
    }
  }

  // -------------------------------------------------------------------------------------
  // Runs

  private executionArn(machine: PreparedMachine, name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:execution:${machine.name}:${name}`;
  }

  private createRun(rec: ExecutionRecord, machine: PreparedMachine): Run {
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

  private launch(run: Run): void {
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
    if (!this.closing && !run.stopped && outcome.status !== 'ABORTED') {
      for (const wait of [...run.waits]) this.retireWait(wait);
      rec.status = outcome.status;
      rec.stopDate = Date.now();
      if (outcome.output !== undefined) rec.output = outcome.output;
      if (outcome.error !== undefined) rec.error = outcome.error;
      if (outcome.cause !== undefined) rec.cause = outcome.cause;
      delete rec.checkpoint;
      delete rec.waiting;
      this.save(rec);
      const type = {
        SUCCEEDED: 'ExecutionSucceeded',
        FAILED: 'ExecutionFailed',
        TIMED_OUT: 'ExecutionTimedOut',
        ABORTED: 'ExecutionAborted',
        RUNNING: 'ExecutionStarted',
      }[outcome.status];
      this.appendHistory(
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
        if (this.closing || run.stopped) continue;
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
          this.save(rec);
        }
        this.appendHistory(rec, `${type}StateEntered`, { name, input: JSON.stringify(input) });
        return;
      }
      case 'StateExited': {
        const { name, type, output } = event.state;
        if (machine.topLevelStates.has(name) && event.index === undefined) {
          for (const wait of [...run.waits]) if (wait.state === name) this.retireWait(wait);
        } else {
          for (const wait of [...run.waits]) if (wait.state === name && wait.settled) run.waits.delete(wait);
        }
        this.appendHistory(rec, `${type}StateExited`, { name, output: JSON.stringify(output ?? null) });
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
          this.appendHistory(rec, error === 'States.Timeout' ? 'TaskTimedOut' : 'TaskFailed', {
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
        this.appendHistory(rec, event.type, { name: event.parentState.name, index: event.index });
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
    if (this.closing || run.stopped) throw haltError();
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
    this.appendHistory(run.rec, 'TaskSucceeded', {
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
        this.save(rec); // before the Lambda sees the token
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
      if (this.closing || run.stopped) throw haltError();
      wait.submitted = true;
      if (rec.waiting?.token === wait.token) {
        rec.waiting.submitted = true;
        this.save(rec);
      }
      this.appendHistory(rec, 'TaskSubmitted', {
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
      this.appendHistory(rec, 'TaskSucceeded', {
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
    this.appendHistory(run.rec, 'TaskScheduled', {
      resourceType: 'lambda',
      resource: label,
      region: this.region,
      parameters: JSON.stringify(params),
    });
    this.appendHistory(run.rec, 'TaskStarted', { resourceType: 'lambda', resource: label });
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
  private settleWait(wait: PendingWait, outcome: TaskOutcome, persist: boolean): void {
    if (wait.settled) return;
    wait.settled = true;
    this.closeToken(wait);
    const { rec } = wait.run;
    if (persist) {
      if (rec.waiting?.token === wait.token) rec.waiting.outcome = outcome;
      this.save(rec);
    }
    if (outcome.failed) {
      wait.deferred.reject(namedError(outcome.error ?? '', outcome.cause ?? ''));
    } else {
      wait.deferred.resolve(JSON.parse(outcome.output ?? 'null') as Json);
    }
  }

  /** The state has moved on (exited, failed, timed out, execution ended): close its wait. */
  private retireWait(wait: PendingWait): void {
    const { run } = wait;
    if (!wait.settled) {
      wait.settled = true;
      wait.deferred.reject(namedError('States.Timeout', 'The task is no longer waiting'));
    }
    this.closeToken(wait);
    run.waits.delete(wait);
    if (run.rec.waiting?.token === wait.token) delete run.rec.waiting;
    if (!run.stopped && !run.settled) this.save(run.rec);
  }

  // -------------------------------------------------------------------------------------
  // Idle tracking

  private scheduleIdleCheck(): void {
    if (this.idleCheckScheduled || this.idleWaiters.length === 0) return;
    this.idleCheckScheduled = true;
    setImmediate(() => {
      this.idleCheckScheduled = false;
      if (this.closing || this.isIdle()) {
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

  // -------------------------------------------------------------------------------------
  // HTTP

  private async handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let action = '';
    try {
      if (req.method === 'GET' && (req.url === '/health' || req.url === '/')) {
        this.send(res, 200, { status: 'ok' });
        return;
      }
      const target = req.headers['x-amz-target'];
      if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith('AWSStepFunctions.')) {
        req.resume();
        throw new SfnError('UnknownOperationException', 'Expected POST with X-Amz-Target: AWSStepFunctions.<Action>');
      }
      action = target.slice('AWSStepFunctions.'.length);
      const body = await this.readBody(req);
      let parsed: unknown = {};
      if (body.trim().length > 0) {
        try {
          parsed = JSON.parse(body);
        } catch {
          throw new SfnError('SerializationException', 'The request body is not valid JSON');
        }
      }
      if (!isObject(parsed)) throw new SfnError('SerializationException', 'The request body must be a JSON object');
      if (this.closing) throw new SfnError('ServiceUnavailable', 'The service is shutting down');
      this.send(res, 200, this.dispatch(action, parsed));
    } catch (error) {
      if (error instanceof SfnError) {
        this.send(res, error.code === 'ServiceUnavailable' ? 503 : 400, { __type: error.code, message: error.message }, error.code);
      } else {
        // The message may quote request data: name the failure only.
        console.error(`local-sfn: internal error in ${action || 'request'}: ${error instanceof Error ? error.name : 'error'}`);
        this.send(res, 500, { __type: 'InternalFailure', message: 'Internal failure' }, 'InternalFailure');
      }
    }
  }

  private readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          reject(new SfnError('ValidationException', 'Request body too large'));
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  private send(res: ServerResponse, status: number, body: unknown, errorType?: string): void {
    if (res.headersSent) return;
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
      'x-amzn-requestid': randomUUID(),
      ...(errorType ? { 'x-amzn-errortype': errorType } : {}),
    });
    res.end(text);
  }

  private dispatch(action: string, body: JsonObject): unknown {
    switch (action) {
      case 'StartExecution':
        return this.startExecution(body);
      case 'DescribeExecution':
        return this.describeExecution(body);
      case 'StopExecution':
        return this.stopExecution(body);
      case 'SendTaskSuccess':
        return this.sendTaskResult(body, false);
      case 'SendTaskFailure':
        return this.sendTaskResult(body, true);
      case 'SendTaskHeartbeat':
        this.liveWait(this.tokenParam(body));
        return {};
      case 'ListExecutions':
        return this.listExecutions(body);
      case 'ListStateMachines':
        return this.listStateMachines(body);
      case 'DescribeStateMachine':
        return this.describeStateMachine(body);
      case 'DescribeStateMachineForExecution':
        return this.describeStateMachineForExecution(body);
      case 'GetExecutionHistory':
        return this.getExecutionHistory(body);
      default:
        throw new SfnError('UnknownOperationException', `Unsupported action: ${action}`);
    }
  }

  // -------------------------------------------------------------------------------------
  // Actions

  private startExecution(body: JsonObject): unknown {
    const machine = this.machineParam(body);
    const name = body.name === undefined || body.name === null ? randomUUID() : body.name;
    if (typeof name !== 'string' || !isValidExecutionName(name)) {
      throw new SfnError('InvalidName', 'Invalid Name: execution names are 1-80 characters without whitespace or special characters');
    }
    const input = body.input === undefined || body.input === null ? '{}' : body.input;
    if (typeof input !== 'string' || Buffer.byteLength(input) > MAX_INPUT_BYTES) {
      throw new SfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input');
    }
    try {
      JSON.parse(input);
    } catch {
      throw new SfnError('InvalidExecutionInput', 'Invalid State Machine Execution Input: not valid JSON');
    }
    const executionArn = this.executionArn(machine, name);
    const existing = this.records.get(executionArn);
    if (existing) {
      // AWS: a repeat StartExecution of a running execution with the same input is a no-op.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn, startDate: seconds(existing.startDate) };
      }
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const rec: ExecutionRecord = {
      version: 1,
      executionArn,
      stateMachineArn: machine.arn,
      stateMachineName: machine.name,
      name,
      input,
      status: 'RUNNING',
      startDate: Date.now(),
      closedTokens: [],
    };
    this.save(rec);
    this.records.set(executionArn, rec);
    this.appendHistory(rec, 'ExecutionStarted', { input, roleArn: this.roleArn() });
    this.launch(this.createRun(rec, machine));
    return { executionArn, startDate: seconds(rec.startDate) };
  }

  private describeExecution(body: JsonObject): unknown {
    const rec = this.recordParam(body);
    return {
      executionArn: rec.executionArn,
      stateMachineArn: rec.stateMachineArn,
      name: rec.name,
      status: rec.status,
      startDate: seconds(rec.startDate),
      ...(rec.stopDate === undefined ? {} : { stopDate: seconds(rec.stopDate) }),
      input: rec.input,
      inputDetails: { included: true },
      ...(rec.output === undefined ? {} : { output: rec.output, outputDetails: { included: true } }),
      ...(rec.error === undefined ? {} : { error: rec.error }),
      ...(rec.cause === undefined ? {} : { cause: rec.cause }),
    };
  }

  private stopExecution(body: JsonObject): unknown {
    const rec = this.recordParam(body);
    if (rec.status !== 'RUNNING') return { stopDate: seconds(rec.stopDate ?? Date.now()) };
    const error = typeof body.error === 'string' ? body.error : undefined;
    const cause = typeof body.cause === 'string' ? body.cause : undefined;
    const run = this.runs.get(rec.executionArn);
    if (run) {
      run.stopped = true;
      for (const wait of [...run.waits]) this.retireWait(wait);
    }
    rec.status = 'ABORTED';
    rec.stopDate = Date.now();
    if (error !== undefined) rec.error = error;
    if (cause !== undefined) rec.cause = cause;
    delete rec.checkpoint;
    delete rec.waiting;
    this.save(rec);
    this.appendHistory(rec, 'ExecutionAborted', { ...(error ? { error } : {}), ...(cause ? { cause } : {}) });
    run?.abort();
    this.scheduleIdleCheck();
    return { stopDate: seconds(rec.stopDate) };
  }

  private sendTaskResult(body: JsonObject, failed: boolean): unknown {
    const wait = this.liveWait(this.tokenParam(body));
    let outcome: TaskOutcome;
    if (failed) {
      const error = body.error === undefined || body.error === null ? undefined : body.error;
      const cause = body.cause === undefined || body.cause === null ? undefined : body.cause;
      if ((error !== undefined && typeof error !== 'string') || (cause !== undefined && typeof cause !== 'string')) {
        throw new SfnError('ValidationException', 'error and cause must be strings');
      }
      outcome = { failed: true, ...(error === undefined ? {} : { error }), ...(cause === undefined ? {} : { cause }) };
    } else {
      const output = body.output;
      if (typeof output !== 'string') throw new SfnError('InvalidOutput', 'Invalid Output: output is required');
      try {
        JSON.parse(output);
      } catch {
        throw new SfnError('InvalidOutput', 'Invalid Output: not valid JSON');
      }
      outcome = { failed: false, output };
    }
    this.settleWait(wait, outcome, true);
    return {};
  }

  private listExecutions(body: JsonObject): unknown {
    const machine = this.machineParam(body);
    const filter = body.statusFilter;
    if (filter !== undefined && filter !== null && typeof filter !== 'string') {
      throw new SfnError('ValidationException', 'statusFilter must be a string');
    }
    const all = [...this.records.values()]
      .filter((rec) => rec.stateMachineArn === machine.arn && (!filter || rec.status === filter))
      .sort((a, b) => b.startDate - a.startDate);
    const { items, nextToken } = this.page(all, body, 100);
    return {
      executions: items.map((rec) => ({
        executionArn: rec.executionArn,
        stateMachineArn: rec.stateMachineArn,
        name: rec.name,
        status: rec.status,
        startDate: seconds(rec.startDate),
        ...(rec.stopDate === undefined ? {} : { stopDate: seconds(rec.stopDate) }),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  private listStateMachines(body: JsonObject): unknown {
    const { items, nextToken } = this.page([...this.machines.values()], body, 100);
    return {
      stateMachines: items.map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: 'STANDARD',
        creationDate: seconds(m.creationDate),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  private describeStateMachine(body: JsonObject): unknown {
    const machine = this.machineParam(body);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: machine.definitionText,
      roleArn: this.roleArn(),
      type: 'STANDARD',
      creationDate: seconds(machine.creationDate),
    };
  }

  private describeStateMachineForExecution(body: JsonObject): unknown {
    const rec = this.recordParam(body);
    const machine = this.machines.get(rec.stateMachineArn);
    if (!machine) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${rec.stateMachineArn}'`);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      definition: machine.definitionText,
      roleArn: this.roleArn(),
      updateDate: seconds(machine.creationDate),
    };
  }

  private getExecutionHistory(body: JsonObject): unknown {
    const rec = this.recordParam(body);
    const includeData = body.includeExecutionData !== false;
    const events = this.readHistory(rec);
    if (body.reverseOrder === true) events.reverse();
    const { items, nextToken } = this.page(events, body, 100);
    return {
      events: items.map((event) => {
        const details = event.details ? { ...event.details } : undefined;
        if (details && !includeData) {
          delete details.input;
          delete details.output;
          delete details.parameters;
        }
        return {
          timestamp: seconds(event.timestamp),
          type: event.type,
          id: event.id,
          previousEventId: event.previousEventId,
          ...(details ? { [historyDetailsKey(event.type)]: details } : {}),
        };
      }),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  // -------------------------------------------------------------------------------------
  // Parameter helpers

  private roleArn(): string {
    return `arn:aws:iam::${this.accountId}:role/local-step-functions`;
  }

  private machineParam(body: JsonObject): PreparedMachine {
    const arn = body.stateMachineArn;
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw new SfnError('InvalidArn', 'Invalid Arn: stateMachineArn');
    const machine = this.machines.get(arn);
    if (!machine) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private recordParam(body: JsonObject): ExecutionRecord {
    const arn = body.executionArn;
    if (typeof arn !== 'string' || !arn.startsWith('arn:')) throw new SfnError('InvalidArn', 'Invalid Arn: executionArn');
    const rec = this.records.get(arn);
    if (!rec) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return rec;
  }

  private tokenParam(body: JsonObject): string {
    const token = body.taskToken;
    if (typeof token !== 'string' || token.length === 0 || token.length > 2048) {
      throw new SfnError('InvalidToken', 'Invalid Token');
    }
    return token;
  }

  /** The waiting task for a token; a token that was issued and is closed answers TaskTimedOut, like AWS. */
  private liveWait(token: string): PendingWait {
    const wait = this.tokens.get(token);
    if (wait && !wait.settled && !wait.run.stopped) return wait;
    if (wait || this.closedTokens.has(token)) {
      throw new SfnError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
    }
    throw new SfnError('InvalidToken', 'Invalid Token');
  }

  private page<T>(all: readonly T[], body: JsonObject, defaultSize: number): { items: T[]; nextToken?: string } {
    const max = typeof body.maxResults === 'number' && body.maxResults > 0 ? Math.min(body.maxResults, 1000) : defaultSize;
    let offset = 0;
    if (typeof body.nextToken === 'string' && body.nextToken.length > 0) {
      const decoded = Number(Buffer.from(body.nextToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(decoded) || decoded < 0) throw new SfnError('InvalidToken', 'Invalid nextToken');
      offset = decoded;
    }
    const items = all.slice(offset, offset + max);
    const next = offset + max < all.length ? Buffer.from(String(offset + max)).toString('base64url') : undefined;
    return next ? { items, nextToken: next } : { items };
  }
}
