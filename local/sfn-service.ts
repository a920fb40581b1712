/**
 * Local AWS Step Functions service: the Step Functions JSON 1.0 API (the subset the code and
 * the tests use) over `node:http`, so the unchanged `@aws-sdk/client-sfn` works against it
 * through `AWS_ENDPOINT_URL_SFN` or `endpoint`. Executions run with `aws-local-stepfunctions`;
 * Lambda tasks are delegated to `invokeLambda` (the handlers, in-process).
 *
 * Parts: `sfn/protocol.ts` (the JSON API over http), `sfn/journal.ts` (the on-disk execution
 * records and history), `sfn/runner.ts` (runs executions with aws-local-stepfunctions),
 * `sfn/definition.ts` (shared types and the prepared definition).
 *
 * Durability: every execution is a JSON file under `<dataDir>/executions/` (atomic tmp +
 * rename) holding its status and a checkpoint written before each state acts; its history is
 * an append-only JSONL file beside it. StartExecution, StopExecution and SendTaskSuccess/Failure
 * answer only once their write is fsync'd. After a restart, or a `kill -9`, every RUNNING
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
import type { LocalSfnOptions } from './sfn/definition.js';
import { SfnProtocol } from './sfn/protocol.js';
import { ExecutionRunner } from './sfn/runner.js';

export type { LocalSfnOptions } from './sfn/definition.js';
export { lambdaFunctionName } from './sfn/definition.js';

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
  const runner = new ExecutionRunner(options);
  const protocol = new SfnProtocol(runner, options.authorize);
  const toResume = runner.load();
  await protocol.listen(options.port, options.host ?? '127.0.0.1');
  for (const run of toResume) runner.launch(run);
  let closing: Promise<void> | undefined;
  return {
    url: protocol.url,
    stateMachineArns: runner.stateMachineArns,
    idle: () => runner.idle(),
    close: () =>
      (closing ??= (async () => {
        runner.halt();
        await protocol.close();
        await runner.drain();
      })()),
  };
}
