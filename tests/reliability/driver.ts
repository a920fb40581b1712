// The reliability driver: many patients through their plans at once over HTTP, every decision
// sent twice at the same moment, surviving kill -9 of the whole stack. It keeps its own account
// of what it did (referrals, acknowledged decisions, holds, withdrawals) so the suite can compare
// the product's record of truth against it.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchGetCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Role } from '../../functions/domain/vocabulary.js';
import type { PatientRecord } from '../../functions/store/pathway-store.js';
import { keys } from '../../functions/store/table-layout.js';
import { referralBody } from '../support/fixtures.js';
import type { ApiResponse, LocalStackUnderTest } from '../support/local-stack.js';
import { planFor, type DecisionContext, type Plan } from './plans.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Deferred<T = void> {
  readonly promise: Promise<T>;
  resolve!: (v: T) => void;
  reject!: (e: Error) => void;
  constructor() {
    this.promise = new Promise<T>((res, rej) => {
      this.resolve = res;
      this.reject = rej;
    });
    this.promise.catch(() => undefined);
  }
}

class Semaphore {
  private queue: (() => void)[] = [];
  constructor(private free: number) {}
  async use<T>(fn: () => Promise<T>): Promise<T> {
    if (this.free > 0) this.free -= 1;
    else await new Promise<void>((r) => this.queue.push(r));
    try {
      return await fn();
    } finally {
      const next = this.queue.shift();
      if (next) next();
      else this.free += 1;
    }
  }
}

type Predicate = (p: PatientRecord) => boolean;

/** The fields waits look at: a projection keeps each poll a fraction of a full read. */
const WATCHED = 'patientId, #s, stage, pendingDecision, taskToken, decidedAt, lastStep, notified, executionArn';
interface Waiter {
  readonly what: string;
  readonly pred: Predicate;
  readonly done: Deferred<PatientRecord>;
  readonly deadline: number;
}

/**
 * Watches patient records straight from DynamoDB (test-only, so waiting is not an audited read):
 * one BatchGetItem per 100 waiting patients every tick instead of one GetItem per patient.
 */
export class RecordWatcher {
  private readonly doc: DynamoDBDocumentClient;
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly last = new Map<string, PatientRecord>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  /** Deadlines are pushed back while the stack is down. */
  private pausedSince: number | undefined;

  constructor(
    dynamodbPort: number,
    private readonly table: string,
    private readonly tickMs = 200,
  ) {
    this.doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: `http://127.0.0.1:${dynamodbPort}`,
        region: 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 2,
      }),
    );
  }

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.tick().catch(() => undefined);
        await sleep(this.tickMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    for (const set of this.waiters.values()) for (const w of set) w.done.reject(new Error(`stopped while waiting for ${w.what}`));
    this.waiters.clear();
    this.doc.destroy();
  }

  pause(): void {
    this.pausedSince ??= Date.now();
  }

  resume(): void {
    if (this.pausedSince === undefined) return;
    const shift = Date.now() - this.pausedSince;
    this.pausedSince = undefined;
    for (const set of this.waiters.values()) {
      for (const w of [...set]) {
        set.delete(w);
        set.add({ ...w, deadline: w.deadline + shift });
      }
    }
  }

  waitFor(patientId: string, what: string, pred: Predicate, timeoutMs = 120_000): Promise<PatientRecord> {
    const w: Waiter = { what, pred, done: new Deferred<PatientRecord>(), deadline: Date.now() + timeoutMs };
    const set = this.waiters.get(patientId) ?? new Set<Waiter>();
    set.add(w);
    this.waiters.set(patientId, set);
    return w.done.promise;
  }

  private async tick(): Promise<void> {
    const ids = [...this.waiters.keys()];
    for (let i = 0; i < ids.length; i += 100) {
      let pending: Record<string, unknown>[] = ids.slice(i, i + 100).map((id) => keys.patient(id));
      for (let round = 0; pending.length > 0 && round < 5; round++) {
        const out = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: WATCHED, ExpressionAttributeNames: { '#s': 'status' } } } }),
        );
        for (const item of out.Responses?.[this.table] ?? []) this.offer(item as unknown as PatientRecord);
        pending = (out.UnprocessedKeys?.[this.table]?.Keys as Record<string, unknown>[] | undefined) ?? [];
      }
    }
    if (this.pausedSince !== undefined) return;
    const now = Date.now();
    for (const [id, set] of this.waiters) {
      for (const w of set) {
        if (now <= w.deadline) continue;
        set.delete(w);
        const p = this.last.get(id);
        const seen = p
          ? `stage ${p.stage}, status ${p.status}, lastStep ${p.lastStep}, pending ${JSON.stringify(p.pendingDecision)}, decidedAt ${p.decidedAt}, token ${p.taskToken ? 'yes' : 'no'}, notified ${JSON.stringify(p.notified)}`
          : 'no record';
        w.done.reject(new Error(`timed out waiting for ${id} ${w.what} (last seen: ${seen})`));
      }
      if (set.size === 0) this.waiters.delete(id);
    }
  }

  private offer(p: PatientRecord): void {
    this.last.set(p.patientId, p);
    const set = this.waiters.get(p.patientId);
    if (!set) return;
    for (const w of set) {
      if (!w.pred(p)) continue;
      set.delete(w);
      w.done.resolve(p);
    }
    if (set.size === 0) this.waiters.delete(p.patientId);
  }
}

export interface DecisionMade {
  readonly stage: string;
  readonly outcome: string;
}

export interface PatientRun {
  readonly index: number;
  readonly plan: Plan;
  patientId?: string;
  caseRef?: string;
  /** Decisions the stack acknowledged (202), or recorded by a request cut off by a crash. */
  readonly decisions: DecisionMade[];
  holds: number;
  resumes: number;
  withdrawn: boolean;
  /** When the withdrawal was acknowledged (or found recorded after a crash), for diagnostics. */
  withdrawnAt?: number;
  withdrawalCutByCrash?: boolean;
  error?: string;
}

export interface PairOutcome {
  readonly patientId: string;
  readonly stage: string;
  readonly statuses: (number | 'connection-lost')[];
}

export interface Restart {
  readonly at: number;
  readonly atDecisions: number;
  /** Decision requests the driver had on the wire when the stack was killed. */
  readonly decisionRequestsInFlight: number;
  /** Emails that may have gone out unrecorded: executions checkpointed at a delivering state, times the emails of one transition. */
  readonly notificationsInFlight: number;
  readonly downMs: number;
}

/**
 * States of the ASL that deliver the outbox: a crash between the sends and their record repeats
 * that transition's emails (at most EMAILS_PER_TRANSITION of them).
 */
const sendsEmail = (state: string) => state.startsWith('Enter') || state.startsWith('Close') || state === 'RecordPathwayFailure';
export const EMAILS_PER_TRANSITION = 3;

/** Running executions of the local engine, read from its files (what a restart resumes). */
export function runningCheckpoints(dataDir: string): { name: string; state: string | undefined; waiting: string | undefined }[] {
  const dir = join(dataDir, 'stepfunctions', 'executions');
  const out: { name: string; state: string | undefined; waiting: string | undefined }[] = [];
  let files: string[] = [];
  try {
    files = readdirSync(dir);
  } catch {
    return out;
  }
  for (const f of files) {
    if (!f.endsWith('.json')) continue;
    try {
      const rec = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { name: string; status: string; checkpoint?: { state: string }; waiting?: { state: string } };
      if (rec.status === 'RUNNING') out.push({ name: rec.name, state: rec.checkpoint?.state, waiting: rec.waiting?.state });
    } catch {
      // torn by the crash: the engine skips it too
    }
  }
  return out;
}

export interface DriverOptions {
  readonly patients: number;
  readonly seed: number;
  /** Fractions of the planned decisions at which to kill -9 and restart the stack. */
  readonly restartAt: readonly number[];
  readonly httpConcurrency?: number;
}

export class ReliabilityDriver {
  readonly runs: PatientRun[];
  readonly pairs: PairOutcome[] = [];
  readonly restarts: Restart[] = [];
  readonly anomalies: string[] = [];
  /** Responses with a 5xx status other than 503 while starting. */
  readonly serverErrors: { method: string; path: string; status: number; body: string }[] = [];
  connectionErrors = 0;
  /** Referrals a crash cut off after they were recorded but before their pathway started. */
  referralsRecordedNotStarted = 0;
  decisionsAcked = 0;
  readonly plannedDecisions: number;
  private decisionRequestsInFlight = 0;
  private gate = new Deferred();
  private readonly http: Semaphore;
  readonly watcher: RecordWatcher;

  constructor(
    private readonly stack: LocalStackUnderTest,
    private readonly opts: DriverOptions,
  ) {
    this.gate.resolve();
    this.http = new Semaphore(opts.httpConcurrency ?? 24);
    this.runs = Array.from({ length: opts.patients }, (_, index) => ({
      index,
      plan: planFor(index, opts.seed),
      decisions: [],
      holds: 0,
      resumes: 0,
      withdrawn: false,
    }));
    this.plannedDecisions = this.runs.reduce((n, r) => n + r.plan.steps.filter((s) => s.kind === 'decide').length, 0);
    this.watcher = new RecordWatcher(stack.ports.dynamodb, stack.tables.pathway);
  }

  async run(): Promise<void> {
    this.watcher.start();
    try {
      const flows = this.runs.map((r) =>
        this.runPatient(r).catch((err: Error) => {
          r.error = err.message;
        }),
      );
      const crashes = this.crashes();
      await Promise.all(flows);
      await crashes;
    } finally {
      await this.watcher.stop();
    }
  }

  // ---------------------------------------------------------------------------------------
  // Crashes

  private async crashes(): Promise<void> {
    for (const fraction of this.opts.restartAt) {
      const target = Math.floor(this.plannedDecisions * fraction);
      while (this.decisionsAcked < target && this.runs.some((r) => !r.error && !this.finished.has(r.index))) await sleep(20);
      if (this.runs.every((r) => r.error || this.finished.has(r.index))) return;
      // Kill while decisions are on the wire.
      const until = Date.now() + 10_000;
      while (this.decisionRequestsInFlight < 2 && Date.now() < until) await sleep(2);
      await this.restart();
    }
  }

  private readonly finished = new Set<number>();

  async restart(): Promise<Restart> {
    const gate = new Deferred();
    this.gate = gate;
    this.watcher.pause();
    const started = Date.now();
    const inFlight = this.decisionRequestsInFlight;
    await this.stack.kill9();
    const checkpoints = runningCheckpoints(this.stack.dataDir);
    const notificationsInFlight = EMAILS_PER_TRANSITION * checkpoints.filter((c) => c.state && sendsEmail(c.state)).length;
    await this.stack.boot();
    const r: Restart = { at: started, atDecisions: this.decisionsAcked, decisionRequestsInFlight: inFlight, notificationsInFlight, downMs: Date.now() - started };
    this.restarts.push(r);
    this.watcher.resume();
    gate.resolve();
    return r;
  }

  // ---------------------------------------------------------------------------------------
  // HTTP that survives a crash

  /** One request; undefined when the connection was lost or the stack was starting (503). */
  private async request(method: string, path: string, opts: { role: Role; body?: unknown }): Promise<ApiResponse | undefined> {
    await this.gate.promise;
    const decision = path.endsWith('/decisions');
    return this.http.use(async () => {
      if (decision) this.decisionRequestsInFlight += 1;
      try {
        const res = await this.stack.api(method, path, opts);
        if (res.status === 503) return this.lost();
        if (res.status >= 500) this.serverErrors.push({ method, path, status: res.status, body: res.text.slice(0, 300) });
        return res;
      } catch {
        return this.lost();
      } finally {
        if (decision) this.decisionRequestsInFlight -= 1;
      }
    });
  }

  private async lost(): Promise<undefined> {
    this.connectionErrors += 1;
    await sleep(100);
    await this.gate.promise;
    return undefined;
  }

  /** Send until an answer arrives (for idempotent requests). */
  private async persist(method: string, path: string, opts: { role: Role; body?: unknown }): Promise<ApiResponse> {
    for (let i = 0; i < 200; i++) {
      const res = await this.request(method, path, opts);
      if (res) return res;
    }
    throw new Error(`${method} ${path}: no answer after 200 tries`);
  }

  // ---------------------------------------------------------------------------------------
  // One patient

  private async runPatient(run: PatientRun): Promise<void> {
    const { plan } = run;
    const body = referralBody({ site: plan.site });
    // Idempotent on referralId: the same body again is answered with the same ids (and starts
    // the pathway if a crash came between recording the referral and starting it).
    let created: ApiResponse | undefined;
    for (let i = 0; i < 200 && !created; i++) {
      created = await this.request('POST', '/referrals', { role: 'coordinator', body });
      if (created) break;
      const guard = await this.stack.store().getReferral(body.referralId).catch(() => undefined);
      const p = guard ? await this.stack.store().getPatient(guard.patientId).catch(() => undefined) : undefined;
      if (p && !p.executionStarted) this.referralsRecordedNotStarted += 1;
    }
    if (!created) throw new Error('referral: no answer after 200 tries');
    if (created.status !== 201 && created.status !== 200) throw new Error(`referral answered ${created.status}: ${created.text}`);
    const id = created.body.patientId as string;
    run.patientId = id;
    run.caseRef = created.body.caseRef as string;

    let stage: string = 'TRIAGE';
    let lastStep = 0;
    const ctx: { recommended?: string; technique?: string } = {};
    const pendingAt = (s: string) =>
      this.watcher.waitFor(
        id,
        `pending ${s} after step ${lastStep}`,
        (p) => p.status === 'active' && p.pendingDecision?.stage === s && !!p.taskToken && !p.decidedAt && p.pendingDecision.step > lastStep,
      );

    for (const step of plan.steps) {
      if (step.kind === 'decide') {
        const rec = await pendingAt(step.stage);
        const pendingStep = rec.pendingDecision?.step ?? 0;
        if (step.needsRecommendation) {
          const detail = await this.persist('GET', `/patients/${id}`, { role: 'physician' });
          if (detail.status !== 200) throw new Error(`GET patient answered ${detail.status}`);
          ctx.recommended = detail.body.recommendation?.recommended as string;
        }
        const decision = step.body(ctx as DecisionContext);
        if (step.stage === 'IMAGING_SELECTION') ctx.technique = decision.technique as string;
        await this.decideTwice(run, step.role, decision);
        lastStep = pendingStep;
        if ('stage' in step.next) stage = step.next.stage;
      } else if (step.kind === 'hold') {
        await pendingAt(stage);
        await this.mutate(run, 'hold', { reason: step.reason }, (p) => p.status === 'on_hold');
        run.holds += 1;
      } else if (step.kind === 'resume') {
        await this.mutate(run, 'resume', {}, (p) => p.status === 'active');
        run.resumes += 1;
      } else {
        await pendingAt(stage);
        run.withdrawalCutByCrash = !(await this.mutate(run, 'withdraw', { reason: 'Patient moved out of the area' }, (p) => p.status === 'withdrawn'));
        run.withdrawn = true;
        run.withdrawnAt = Date.now();
      }
    }
    if (plan.final.status === 'active') await pendingAt(plan.final.stage);
    else {
      const want = plan.final.status;
      await this.watcher.waitFor(id, `status ${want}`, (p) => p.status === want);
    }
    this.finished.add(run.index);
  }

  /**
   * Hold, resume or withdraw: 202 (true), or (after a lost connection) the record shows it was
   * done (false: the request was cut off after its write).
   */
  private async mutate(run: PatientRun, action: string, body: Record<string, unknown>, applied: Predicate): Promise<boolean> {
    const id = run.patientId as string;
    for (let i = 0; i < 100; i++) {
      const res = await this.request('POST', `/patients/${id}/${action}`, { role: 'coordinator', body });
      if (res?.status === 202) return true;
      if (res) throw new Error(`${action} answered ${res.status}: ${res.text}`);
      const p = await this.stack.store().getPatient(id).catch(() => undefined);
      if (p && applied(p)) return false;
    }
    throw new Error(`${action}: no answer after 100 tries`);
  }

  /**
   * The same decision twice at the same moment: exactly one 202 and one 409 is the contract. If
   * the stack dies under the requests, the audit trail says whether it was recorded; if not, it
   * is sent again.
   */
  private async decideTwice(run: PatientRun, role: Role, body: Record<string, unknown>): Promise<void> {
    const id = run.patientId as string;
    const path = `/patients/${id}/decisions`;
    const made = { stage: String(body.stage), outcome: String(body.outcome) };
    const [a, b] = await Promise.all([this.request('POST', path, { role, body }), this.request('POST', path, { role, body })]);
    this.pairs.push({ patientId: id, stage: made.stage, statuses: [a?.status ?? 'connection-lost', b?.status ?? 'connection-lost'] });
    for (const r of [a, b]) {
      if (r && r.status !== 202 && r.status !== 409) this.anomalies.push(`${id} ${made.stage}: answered ${r.status} ${r.text.slice(0, 200)}`);
    }
    if (a?.status === 202 || b?.status === 202) {
      run.decisions.push(made);
      this.decisionsAcked += 1;
      return;
    }
    // Neither was acknowledged: the crash may have come after the write. The record of truth decides.
    for (let i = 0; i < 100; i++) {
      const recorded = (await this.stack.store().patientTimeline(id).catch(() => undefined))?.filter((e) => e.action === 'decision_recorded').length;
      if (recorded === undefined) {
        await sleep(200);
        continue;
      }
      if (recorded > run.decisions.length) {
        run.decisions.push(made);
        this.decisionsAcked += 1;
        return;
      }
      const again = await this.request('POST', path, { role, body });
      if (again?.status === 202) {
        run.decisions.push(made);
        this.decisionsAcked += 1;
        return;
      }
      if (again && again.status !== 409) throw new Error(`decision answered ${again.status}: ${again.text}`);
    }
    throw new Error(`decision ${made.stage} for ${id}: never acknowledged`);
  }

  /** Mark a patient finished once its own flow ended (used by the crash scheduler). */
  isFinished(index: number): boolean {
    return this.finished.has(index);
  }
}
