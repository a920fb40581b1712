// One Lambda function's execution environment: a worker thread with its own module instances and
// its own process.env (the function's environment from the template and its role's credentials),
// so one function's SDK client can never serve another's call, as in Lambda.
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

export interface WorkerData {
  readonly entry: string;
  readonly functionName: string;
  readonly functionArn: string;
  readonly timeoutMs: number;
}

export type ToWorker = { readonly type: 'load' } | { readonly type: 'invoke'; readonly id: number; readonly event: unknown; readonly deadline: number };
export type FromWorker =
  | { readonly type: 'loaded'; readonly ms: number }
  | { readonly type: 'result'; readonly id: number; readonly ok: true; readonly value: string | undefined }
  | { readonly type: 'result'; readonly id: number; readonly ok: false; readonly error: { readonly name: string; readonly message: string } };

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

const data = workerData as WorkerData;
const port = parentPort;
if (!port) throw new Error('local/lambda/worker.ts runs only as a worker thread');

let handler: Promise<Handler> | undefined;
const load = () =>
  (handler ??= import(pathToFileURL(data.entry).href).then((m: { handler?: unknown }) => {
    if (typeof m.handler !== 'function') throw new Error(`${data.entry} exports no handler`);
    return m.handler as Handler;
  }));

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'load') {
    const started = Date.now();
    void load().then(
      () => port.postMessage({ type: 'loaded', ms: Date.now() - started } satisfies FromWorker),
      () => port.postMessage({ type: 'loaded', ms: -1 } satisfies FromWorker),
    );
    return;
  }
  void (async () => {
    try {
      const fn = await load();
      const context = {
        functionName: data.functionName,
        functionVersion: '$LATEST',
        invokedFunctionArn: data.functionArn,
        memoryLimitInMB: '512',
        awsRequestId: randomUUID(),
        logGroupName: `/aws/lambda/${data.functionName}`,
        logStreamName: 'local',
        callbackWaitsForEmptyEventLoop: true,
        getRemainingTimeInMillis: () => Math.max(0, msg.deadline - Date.now()),
      };
      const value = await fn(msg.event, context);
      // A Lambda's result leaves as JSON.
      port.postMessage({ type: 'result', id: msg.id, ok: true, value: value === undefined ? undefined : JSON.stringify(value) } satisfies FromWorker);
    } catch (err) {
      const e = err instanceof Error ? err : new Error(String(err));
      port.postMessage({ type: 'result', id: msg.id, ok: false, error: { name: e.name, message: e.message } } satisfies FromWorker);
    }
  })();
});
