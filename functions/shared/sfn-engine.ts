// The WorkflowEngine port on AWS Step Functions (locally: the local Step Functions service, via
// AWS_ENDPOINT_URL_SFN). Only the handlers that resume, start or stop executions import this.
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { TaskGoneError, type ExecutionStatus, type WorkflowEngine } from './workflow-engine.js';

const GONE = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export class StepFunctionsEngine implements WorkflowEngine {
  constructor(private readonly sfn: SFNClient = new SFNClient({})) {}

  async start(stateMachineArn: string, name: string, input: unknown): Promise<boolean> {
    try {
      await this.sfn.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }));
      return true;
    } catch (err) {
      // Same name and same input is idempotent in Step Functions; "already exists" means started.
      if (err instanceof ExecutionAlreadyExists) return false;
      throw err;
    }
  }

  async resume(token: string, output: unknown): Promise<void> {
    try {
      await this.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }));
    } catch (err) {
      if (GONE.has((err as Error).name)) throw new TaskGoneError((err as Error).message);
      throw err;
    }
  }

  async stop(executionArn: string, error: string, cause: string): Promise<void> {
    try {
      await this.sfn.send(new StopExecutionCommand({ executionArn, error, cause }));
    } catch (err) {
      if ((err as Error).name !== 'ExecutionDoesNotExist') throw err;
    }
  }

  async describe(executionArn: string) {
    try {
      const out = await this.sfn.send(new DescribeExecutionCommand({ executionArn }));
      return { status: (out.status ?? 'RUNNING') as ExecutionStatus, stateMachineArn: out.stateMachineVersionArn ?? out.stateMachineArn ?? '' };
    } catch (err) {
      if ((err as Error).name === 'ExecutionDoesNotExist') return undefined;
      throw err;
    }
  }
}
