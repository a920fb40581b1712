// The local Lambda service: each function of the template runs in its own worker thread (its own
// module instances, its own environment and credentials), started on first use, replaced after it
// crashes or times out, as Lambda replaces an execution environment. Invocations of one function
// run concurrently in its worker (Lambda would use more environments; the module state is the same
// one function's either way).
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { LocalFunction } from '../assembly/wiring.js';
import type { FromWorker, ToWorker, WorkerData } from './worker.js';

const WORKER = new URL('./worker.ts', import.meta.url);

/** The error a failed invocation raises: its name is the Lambda errorType (what Step Functions retries on). */
export class LambdaInvocationError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface Environment {
  readonly worker: Worker;
  readonly pending: Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>;
  readonly loaded: Promise<number>;
}

export interface LambdaRuntimeOptions {
  readonly projectRoot: string;
  readonly functions: readonly LocalFunction[];
  /** The whole environment a function's worker sees (the template's variables and the local ones). */
  readonly environmentOf: (fn: LocalFunction) => Record<string, string>;
}

export class LambdaRuntime {
  private readonly byArn = new Map<string, LocalFunction>();
  private readonly envs = new Map<string, Environment>();
  private nextId = 1;
  private stopped = false;

  constructor(private readonly options: LambdaRuntimeOptions) {
    for (const fn of options.functions) this.byArn.set(fn.arn, fn);
  }

  /** The function an ARN names (unqualified or qualified), or a bare function name. */
  find(arnOrName: string): LocalFunction | undefined {
    const m = /^arn:aws:lambda:[^:]+:\d+:function:([^:]+)(?::[^:]+)?$/.exec(arnOrName);
    const name = m ? m[1] : arnOrName;
    return this.options.functions.find((f) => f.name === name);
  }

  private environment(fn: LocalFunction): Environment {
    const existing = this.envs.get(fn.arn);
    if (existing) return existing;
    const worker = new Worker(WORKER, {
      env: this.options.environmentOf(fn),
      workerData: { entry: join(this.options.projectRoot, fn.entry), functionName: fn.name, functionArn: fn.arn, timeoutMs: fn.timeoutSeconds * 1000 } satisfies WorkerData,
    });
    const pending: Environment['pending'] = new Map();
    let onLoaded: (ms: number) => void = () => undefined;
    const loaded = new Promise<number>((r) => (onLoaded = r));
    const env: Environment = { worker, pending, loaded };
    const retire = (error: Error) => {
      if (this.envs.get(fn.arn) === env) this.envs.delete(fn.arn);
      for (const p of pending.values()) {
        clearTimeout(p.timer);
        p.reject(error);
      }
      pending.clear();
      onLoaded(-1);
    };
    worker.on('message', (msg: FromWorker) => {
      if (msg.type === 'loaded') return onLoaded(msg.ms);
      const p = pending.get(msg.id);
      if (!p) return;
      pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.value === undefined ? null : JSON.parse(msg.value));
      else p.reject(new LambdaInvocationError(msg.error.name, msg.error.message));
    });
    worker.on('error', (err) => retire(new LambdaInvocationError('Runtime.ExitError', `${fn.name}: the execution environment crashed (${err.name})`)));
    worker.on('exit', () => retire(new LambdaInvocationError('Runtime.ExitError', `${fn.name}: the execution environment exited`)));
    worker.unref();
    this.envs.set(fn.arn, env);
    return env;
  }

  /** Runs the function as a synchronous (RequestResponse) invocation; rejects with the function's error. */
  invoke(arnOrName: string, event: unknown): Promise<unknown> {
    const fn = this.find(arnOrName);
    if (!fn) return Promise.reject(new LambdaInvocationError('ResourceNotFoundException', `Function not found: ${arnOrName}`));
    if (this.stopped) return Promise.reject(new LambdaInvocationError('ServiceException', 'The local Lambda service is stopping'));
    const env = this.environment(fn);
    const id = this.nextId++;
    const timeoutMs = fn.timeoutSeconds * 1000;
    return new Promise((resolve, reject) => {
      // Lambda stops a function at its configured timeout and discards that environment.
      const timer = setTimeout(() => {
        env.pending.delete(id);
        reject(new LambdaInvocationError('Sandbox.Timedout', `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`));
        if (this.envs.get(fn.arn) === env) this.envs.delete(fn.arn);
        void env.worker.terminate();
      }, timeoutMs);
      env.pending.set(id, { resolve, reject, timer });
      // Events cross as JSON, as they do into Lambda.
      env.worker.postMessage({ type: 'invoke', id, event: JSON.parse(JSON.stringify(event ?? null)), deadline: Date.now() + timeoutMs } satisfies ToWorker);
    });
  }

  /** Starts every function's environment and loads its handler, one after another (cold starts off the request path). */
  async prewarm(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const fn of this.options.functions) {
      if (this.stopped) break;
      const env = this.environment(fn);
      env.worker.postMessage({ type: 'load' } satisfies ToWorker);
      out[fn.logicalId] = await env.loaded;
    }
    return out;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const envs = [...this.envs.values()];
    this.envs.clear();
    await Promise.all(envs.map((e) => e.worker.terminate()));
  }
}
