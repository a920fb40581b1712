// The WorkflowEngine port on AWS Step Functions (locally: the local Step Functions service, via
// AWS_ENDPOINT_URL_SFN). Only the handlers that resume, start or stop executions import this, and
// the SDK module is imported by `stepFunctionsEngine` on first use, never statically (a bundler
// hoists a static import of an external package to the top of every handler that bundles it).
import type * as Sfn from '@aws-sdk/client-sfn';
import type { AccessDeclaration } from './aws-access.js';
import { TaskGoneError, type ExecutionStatus, type WorkflowEngine } from './workflow-engine.js';

const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

type Commands = Pick<typeof Sfn, 'DescribeExecutionCommand' | 'SendTaskSuccessCommand' | 'StartExecutionCommand' | 'StopExecutionCommand'>;

/** The engine on Step Functions, with the SDK imported now (`client` for tests: another endpoint). */
export async function stepFunctionsEngine(client?: Sfn.SFNClient): Promise<StepFunctionsEngine> {
  const sdk = await import('@aws-sdk/client-sfn');
  return new StepFunctionsEngine(client ?? new sdk.SFNClient({}), sdk);
}

/**
 * The AWS calls of StepFunctionsEngine, by capability (functions/shared/aws-access.ts). `start` is
 * two capabilities: Step Functions authorizes a start through an alias or version against the
 * unqualified machine with the qualifier as a condition key, and which one a handler starts on
 * is its own (the live alias for new referrals; an execution's own version to continue).
 */
export const SFN_ENGINE_ACCESS = {
  /** start, through the live alias */
  startOnLiveAlias: { stateMachine: ['states:StartExecution'], startQualifier: 'liveAlias' },
  /** start, on a version or the unqualified machine, never through the live alias */
  startOnVersion: { stateMachine: ['states:StartExecution'], startQualifier: 'notLiveAlias' },
  /** resume: SendTaskSuccess only (nothing here fails or heartbeats a task) */
  resume: { stateMachine: ['states:SendTaskSuccess'] },
  /** stop */
  stop: { executions: ['states:StopExecution'] },
  /** describe */
  describe: { executions: ['states:DescribeExecution'] },
} as const satisfies AccessDeclaration;

export class StepFunctionsEngine implements WorkflowEngine {
  constructor(
    private readonly sfn: Sfn.SFNClient,
    private readonly sdk: Commands,
  ) {}

  async start(stateMachineArn: string, name: string, input: unknown): Promise<boolean> {
    try {
      await this.sfn.send(new this.sdk.StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      return true;
    } catch (err) {
      // Same name and same input is idempotent in Step Functions; "already exists" means started.
      if ((err as Error).name === 'ExecutionAlreadyExists') return false;
      throw err;
    }
  }

  async resume(token: string, output: unknown): Promise<void> {
    try {
      await this.sfn.send(new this.sdk.SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
    } catch (err) {
      if (GONE.has((err as Error).name)) throw new TaskGoneError((err as Error).message);
      throw err;
    }
  }

  async stop(executionArn: string, error: string, cause: string): Promise<void> {
    try {
      await this.sfn.send(new this.sdk.StopExecutionCommand({ executionArn, error, cause }));
    } catch (err) {
      if ((err as Error).name !== 'ExecutionDoesNotExist') throw err;
    }
  }

  async describe(executionArn: string) {
    try {
      const out = await this.sfn.send(new this.sdk.DescribeExecutionCommand({ executionArn }));
      return { status: (out.status ?? 'RUNNING') as ExecutionStatus, stateMachineArn: out.stateMachineVersionArn ?? out.stateMachineArn ?? '' };
    } catch (err) {
      if ((err as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw err;
    }
  }
}
