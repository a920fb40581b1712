// Test harness: runs `npm start`'s entry point as a real child process on free ports with its own
// data folder, so tests go through the real local servers and can kill -9 and restart it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { issueToken } from '../../local/auth.js';
import { referralBody } from './fixtures.js';
import type { Role } from '../../functions/domain/vocabulary.js';
import { PathwayStore, type PatientRecord } from '../../functions/store/pathway-store.js';
import { systemClock, ulidIds } from '../../functions/shared/clock.js';
import { freePort } from '../../local/free-port.js';
import { IAM_REPORT_FILE, STACK_OUTPUTS_FILE, type IamReport, type StackOutputs } from '../../local/stack.js';


export interface ApiResponse<T = any> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  readonly headers: Headers;
}

export interface Email {
  readonly messageId: string;
  readonly subject: string;
  readonly destination: { to: string[] };
  readonly body: { html?: string; text?: string };
  /** Thread headers the local SES noted (local/ses.ts). */
  readonly headers?: { readonly references: string | null; readonly inReplyTo: string | null; readonly notification: string | null };
}

export class LocalStackUnderTest {
  readonly dataDir: string;
  private child: ChildProcess | undefined;
  private output = '';
  private tokens = new Map<string, string>();
  readonly ports: { api: number; ses: number; dynamodb: number; sfn: number };
  private storeInstance: PathwayStore | undefined;

  private constructor(ports: { api: number; ses: number; dynamodb: number; sfn: number }, private env: Record<string, string>) {
    this.dataDir = mkdtempSync(join(tmpdir(), 'csf-e2e-'));
    this.ports = ports;
  }

  static async start(env: Record<string, string> = {}): Promise<LocalStackUnderTest> {
    const ports = { api: await freePort(), ses: await freePort(), dynamodb: await freePort(), sfn: await freePort() };
    const stack = new LocalStackUnderTest(ports, env);
    await stack.boot();
    return stack;
  }

  get apiUrl(): string {
    return `http://127.0.0.1:${this.ports.api}`;
  }

  async boot(): Promise<void> {
    this.output = '';
    this.child = spawn(process.execPath, ['--import', 'tsx', 'local/start.ts'], {
      env: {
        ...process.env,
        DATA_DIR: this.dataDir,
        API_PORT: String(this.ports.api),
        SES_PORT: String(this.ports.ses),
        DYNAMODB_PORT: String(this.ports.dynamodb),
        SFN_PORT: String(this.ports.sfn),
        LOCAL_RETRY_INTERVAL_MS: '20',
        LOCAL_PREWARM: '0',
        ...this.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`local stack exited early:\n${this.output}`);
      try {
        const res = await fetch(`${this.apiUrl}/health`);
        if (res.status === 200) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`local stack not healthy in 90 s:\n${this.output}`);
      await new Promise((r) => setTimeout(r, 150));
    }
  }

  /** Everything the stack printed (for PHI checks of its logs). */
  logs(): string {
    return this.output;
  }

  async kill9(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  /** The stack's own process id (undefined once it exited). */
  pid(): number | undefined {
    return this.child && this.child.exitCode === null ? this.child.pid : undefined;
  }

  /** The DynamoDB Local (Java) child's pid, from the pid file the stack writes. */
  dynamodbPid(): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.dataDir, 'dynamodb.pid'), 'utf8'));
      return Number.isInteger(pid) && pid > 1 ? pid : undefined;
    } catch {
      return undefined;
    }
  }

  /** kill -9 DynamoDB Local alone (the stack keeps running and should restart it). */
  killDynamoDb(): number {
    const pid = this.dynamodbPid();
    if (pid === undefined) throw new Error('no DynamoDB Local pid recorded');
    process.kill(pid, 'SIGKILL');
    return pid;
  }

  /** kill -9 the stack and its DynamoDB Local at the same instant (a power cut, as far as software can tell). */
  async kill9WithDatabase(): Promise<void> {
    const db = this.dynamodbPid();
    const child = this.child;
    const exited = child && child.exitCode === null ? new Promise((r) => child.once('exit', r)) : Promise.resolve();
    if (db !== undefined) {
      try {
        process.kill(db, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    child?.kill('SIGKILL');
    await exited;
  }

  async restart(env?: Record<string, string>): Promise<void> {
    await this.kill9();
    if (env) this.env = { ...this.env, ...env };
    await this.boot();
  }

  async stop(options: { keepData?: boolean } = {}): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
      if (child.exitCode === null) {
        // Too slow to stop (a loaded machine): kill it, and the DynamoDB Local child it would have stopped.
        await this.kill9WithDatabase();
      }
    }
    this.storeInstance = undefined;
    if (!options.keepData) rmSync(this.dataDir, { recursive: true, force: true });
  }

  /**
   * Stops the stack gracefully (SIGTERM), waiting up to `timeoutMs` for it to write its IAM report
   * (IAM_REPORT_FILE, the last thing it does), and answers the report; the data folder is removed.
   * A stack that does not exit in time is killed and this throws: a report is never guessed.
   */
  async stopWithIamReport(timeoutMs = 90_000): Promise<IamReport> {
    const child = this.child;
    if (!child || child.exitCode !== null) throw new Error('the stack is not running: no IAM report to read');
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, timeoutMs))]);
    try {
      if (child.exitCode === null) {
        await this.kill9WithDatabase();
        throw new Error(`the stack did not stop within ${timeoutMs} ms, so it wrote no IAM report:\n${this.output.slice(-4000)}`);
      }
      return JSON.parse(readFileSync(join(this.dataDir, IAM_REPORT_FILE), 'utf8')) as IamReport;
    } finally {
      this.storeInstance = undefined;
      rmSync(this.dataDir, { recursive: true, force: true });
    }
  }

  async token(role: Role, opts: { email?: string; site?: string } = {}): Promise<string> {
    const key = `${role}|${opts.email ?? ''}|${opts.site ?? ''}`;
    let t = this.tokens.get(key);
    if (!t) {
      t = await issueToken(this.dataDir, { role, ...opts });
      this.tokens.set(key, t);
    }
    return t;
  }

  async api<T = any>(method: string, path: string, opts: { role?: Role; body?: unknown; token?: string | null; email?: string; raw?: string; contentType?: string } = {}): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    const token = opts.token === undefined ? (opts.role ? await this.token(opts.role, opts.email ? { email: opts.email } : {}) : undefined) : opts.token;
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined) headers['content-type'] = opts.contentType ?? 'application/json';
    const res = await fetch(`${this.apiUrl}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // CSV or empty
    }
    return { status: res.status, body: parsed as T, text, headers: res.headers };
  }

  /** A coordinator refers a synthetic patient; returns the contract's answer and the body sent. */
  async refer(overrides: Record<string, unknown> = {}) {
    const body = referralBody(overrides);
    const res = await this.api('POST', '/referrals', { role: 'coordinator', body });
    if (res.status !== 201) throw new Error(`referral answered ${res.status}: ${res.text}`);
    return { ...(res.body as { patientId: string; caseRef: string; executionArn: string }), body };
  }

  async inbox(): Promise<Email[]> {
    const res = await fetch(`http://127.0.0.1:${this.ports.ses}/store`);
    const body = (await res.json()) as { emails: Email[] };
    return body.emails;
  }

  /** The tables' physical names, as the stack named them from the template (its outputs file). */
  get tables(): { pathway: string; audit: string } {
    return (JSON.parse(readFileSync(join(this.dataDir, STACK_OUTPUTS_FILE), 'utf8')) as StackOutputs).tables;
  }

  /** Direct read of the record of truth (test-only: waiting without auditing reads). */
  store(): PathwayStore {
    this.storeInstance ??= new PathwayStore(
      new DynamoDBClient({ endpoint: `http://127.0.0.1:${this.ports.dynamodb}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }),
      this.tables,
      systemClock,
      ulidIds,
    );
    return this.storeInstance;
  }

  async waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await probe();
      if (v) return v;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Wait until the patient awaits a decision for `stage` (token stored), or reaches `status`. */
  async waitForPending(patientId: string, stage: string): Promise<PatientRecord> {
    return this.waitFor(`${patientId} pending ${stage}`, async () => {
      const p = await this.store().getPatient(patientId);
      return p && p.pendingDecision?.stage === stage && p.taskToken && !p.decidedAt && p.status === 'active' ? p : undefined;
    });
  }

  async waitForStatus(patientId: string, status: string): Promise<PatientRecord> {
    return this.waitFor(`${patientId} status ${status}`, async () => {
      const p = await this.store().getPatient(patientId);
      return p && p.status === status && p.notified.step >= p.lastStep ? p : undefined;
    });
  }
}
