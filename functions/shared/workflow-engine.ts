// Step Functions behind a small port, as Mailer is for SES: start an execution, resume a waiting
// task with its token, stop an execution, describe one. The real adapter is sfn-engine.ts; tests
// hand in FakeWorkflowEngine.

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export interface WorkflowEngine {
  /** Start a named execution; resolves false if one of that name already exists (idempotent). */
  start(stateMachineArn: string, name: string, input: unknown): Promise<boolean>;
  /** Resume the task waiting on `token`. Throws TaskGoneError if the token is used or its task ended. */
  resume(token: string, output: unknown): Promise<void>;
  /** Stop an execution; an execution that no longer exists is already stopped. */
  stop(executionArn: string, error: string, cause: string): Promise<void>;
  /** Status and the state machine (version) of an execution; undefined if it does not exist. */
  describe(executionArn: string): Promise<{ status: ExecutionStatus; stateMachineArn: string } | undefined>;
}

/** The task token was already used, timed out, or its execution has ended. */
export class TaskGoneError extends Error {
  override readonly name = 'TaskGoneError';
}

/** In-memory engine for tests: records what it was asked, answers as scripted. */
export class FakeWorkflowEngine implements WorkflowEngine {
  readonly started: { stateMachineArn: string; name: string; input: unknown }[] = [];
  readonly resumed: { token: string; output: unknown }[] = [];
  readonly stopped: string[] = [];
  private readonly used = new Set<string>();
  statusOf: (executionArn: string) => ExecutionStatus | undefined = () => 'RUNNING';

  async start(stateMachineArn: string, name: string, input: unknown): Promise<boolean> {
    if (this.started.some((s) => s.name === name)) return false;
    this.started.push({ stateMachineArn, name, input });
    return true;
  }
  async resume(token: string, output: unknown): Promise<void> {
    if (this.used.has(token)) throw new TaskGoneError('Task Timed Out: Provided task does not exist anymore');
    this.used.add(token);
    this.resumed.push({ token, output });
  }
  async stop(executionArn: string): Promise<void> {
    this.stopped.push(executionArn);
  }
  async describe(executionArn: string) {
    const status = this.statusOf(executionArn);
    return status ? { status, stateMachineArn: executionArn.replace(':execution:', ':stateMachine:').replace(/:[^:]+$/, '') } : undefined;
  }
}
