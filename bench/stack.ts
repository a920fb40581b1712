// The bench's handle on a local stack: runs bench/stack-worker.ts (the `npm start` stack plus
// a DynamoDB capacity meter) as a child process on free ports with its own data folder, issues
// tokens, calls the HTTP API, reads the record of truth directly, and asks the child for the
// capacity it has consumed. Ideas from tests/support/local-stack.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { issueToken } from '../local/auth.js';
import { reapStale } from '../local/dynamodb.js';
import type { Role } from '../functions/domain/vocabulary.js';
import { systemClock, ulidIds } from '../functions/shared/clock.js';
import { PathwayStore } from '../functions/store/pathway-store.js';
import type { CapacityUsage } from './capacity.js';
export { freePort };
import { freePort } from '../local/free-port.js';
import { STACK_OUTPUTS_FILE, type StackOutputs } from '../local/stack.js';

export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Table names the local stack creates (local/stack.ts). */
const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };


export function localDynamoClient(port: number): DynamoDBClient {
  return new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: LOCAL_CREDENTIALS, maxAttempts: 10 });
}

export interface ApiResponse<T = unknown> {
  readonly status: number;
  readonly body: T;
  /** Round trip as the client saw it (ms). */
  readonly ms: number;
}

export interface SesEmail {
  readonly subject: string;
  readonly destination: { readonly to: readonly string[] };
}

export class BenchStack {
  readonly ports: { api: number; ses: number; dynamodb: number; sfn: number };
  private child: ChildProcess | undefined;
  private output = '';
  private readonly tokens = new Map<Role, string>();
  private usageSeq = 0;
  private readonly usageWaiters = new Map<number, (u: CapacityUsage) => void>();
  private storeInstance: PathwayStore | undefined;
  private sfnInstance: SFNClient | undefined;
  private docInstance: DynamoDBDocumentClient | undefined;
  private clientInstance: DynamoDBClient | undefined;

  private constructor(
    readonly dataDir: string,
    ports: { api: number; ses: number; dynamodb: number; sfn: number },
  ) {
    this.ports = ports;
  }

  static async start(opts: { parentDir: string; env?: Record<string, string> }): Promise<BenchStack> {
    mkdirSync(opts.parentDir, { recursive: true });
    const dataDir = mkdtempSync(join(opts.parentDir, 'stack-'));
    const ports = { api: await freePort(), ses: await freePort(), dynamodb: await freePort(), sfn: await freePort() };
    const stack = new BenchStack(dataDir, ports);
    try {
      await stack.boot(opts.env ?? {});
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  /** The tables' physical names, as the stack named them from the template (its outputs file). */
  get tables(): { pathway: string; audit: string } {
    return (JSON.parse(readFileSync(join(this.dataDir, STACK_OUTPUTS_FILE), 'utf8')) as StackOutputs).tables;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }
  get sesUrl(): string {
    return `http://127.0.0.1:${this.ports.ses}`;
  }

  private async boot(env: Record<string, string>): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bench', 'stack-worker.ts')], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        DATA_DIR: this.dataDir,
        API_PORT: String(this.ports.api),
        SES_PORT: String(this.ports.ses),
        DYNAMODB_PORT: String(this.ports.dynamodb),
        SFN_PORT: String(this.ports.sfn),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    const keep = (d: Buffer) => {
      this.output = (this.output + d.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.on('message', (m: { type?: string; id?: number; usage?: CapacityUsage }) => {
      if (m.type === 'usage' && m.id !== undefined && m.usage) {
        this.usageWaiters.get(m.id)?.(m.usage);
        this.usageWaiters.delete(m.id);
      }
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`local stack not ready in 120 s:\n${this.output}`)), 120_000);
      child.on('message', (m: { type?: string }) => {
        if (m.type === 'ready') {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`local stack exited early (code ${code}):\n${this.output}`));
      });
    });
  }

  /** What the stack printed lately (for error messages). */
  logs(): string {
    return this.output;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    // The stack stops its DynamoDB Local; should a JVM outlive a crash, reap it by its pid file.
    await reapStale(join(this.dataDir, 'dynamodb.pid'), join(this.dataDir, 'dynamodb'));
    this.storeInstance = undefined;
    this.sfnInstance?.destroy();
    this.clientInstance?.destroy();
    this.clientInstance = undefined;
    this.docInstance = undefined;
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  async token(role: Role): Promise<string> {
    let t = this.tokens.get(role);
    if (!t) {
      t = await issueToken(this.dataDir, { role });
      this.tokens.set(role, t);
    }
    return t;
  }

  async api<T = unknown>(method: 'GET' | 'POST', path: string, role: Role, body?: unknown): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { authorization: `Bearer ${await this.token(role)}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const started = performance.now();
    const res = await fetch(`${this.apiUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    const ms = performance.now() - started;
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed as T, ms };
  }

  async inbox(): Promise<SesEmail[]> {
    const res = await fetch(`${this.sesUrl}/store`);
    return ((await res.json()) as { emails: SesEmail[] }).emails;
  }

  /** The repository on this stack's DynamoDB Local, for reads the API would audit. */
  store(): PathwayStore {
    this.storeInstance ??= new PathwayStore(this.client(), this.tables, systemClock, ulidIds);
    return this.storeInstance;
  }

  private client(): DynamoDBClient {
    this.clientInstance ??= localDynamoClient(this.ports.dynamodb);
    return this.clientInstance;
  }

  /** A DocumentClient on this stack's DynamoDB Local (the bench's own reads). */
  doc(): DynamoDBDocumentClient {
    this.docInstance ??= DynamoDBDocumentClient.from(this.client());
    return this.docInstance;
  }

  sfn(): SFNClient {
    this.sfnInstance ??= new SFNClient({ endpoint: `http://127.0.0.1:${this.ports.sfn}`, region: 'us-east-1', credentials: LOCAL_CREDENTIALS });
    return this.sfnInstance;
  }

  /** DynamoDB capacity consumed so far by the product inside the stack. */
  usage(): Promise<CapacityUsage> {
    const child = this.child;
    if (!child?.connected) return Promise.reject(new Error('local stack is not running'));
    const id = ++this.usageSeq;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no capacity figures from the stack in 10 s')), 10_000);
      this.usageWaiters.set(id, (u) => {
        clearTimeout(timer);
        resolve(u);
      });
      child.send({ type: 'usage', id });
    });
  }
}
