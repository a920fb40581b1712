// Figure 1, the engine rate: patients driven through whole pathways over HTTP on the local
// stack (Step Functions service + Lambda handlers + DynamoDB Local + SES), measuring
// transitions per second and the latency from an accepted decision (202) to the next pending
// decision being visible in the record of truth. Beside it, on the same DynamoDB Local, the raw
// rate of the transaction one transition writes (PathwayStore.savePatient: patient put with rev
// condition + audit put + counter updates).
import type { DecisionStage } from '../functions/domain/vocabulary.js';
import { DECISION_STAGES } from '../functions/domain/vocabulary.js';
import { ConcurrentUpdateError } from '../functions/shared/errors.js';
import { monthOf, ulidIds } from '../functions/shared/clock.js';
import { SYSTEM_ACTOR, type AuditEventInput, type CounterIncrement, type PatientRecord } from '../functions/store/pathway-store.js';
import { usageBetween, type CapacityUsage } from './capacity.js';
import { HAPPY_PATH, referralBody, type ScriptStep } from './pathway-script.js';
import { progressBar } from './progress.js';
import type { BenchStack } from './stack.js';
import { RecordWatcher } from './watcher.js';
import { mapLimit, nowMs, summarize, type Summary } from './stats.js';

export interface EngineOptions {
  readonly patients: number;
  readonly concurrency: number;
  /** Interval between reads of the record while waiting for the next pending decision. */
  readonly pollMs: number;
  readonly rawOps: number;
  readonly quiet: boolean;
  readonly runTag: string;
}

export interface DrivenPatient {
  readonly patientId: string;
  readonly caseRef: string;
  readonly executionArn: string;
  readonly transitions: number;
}

export interface ApiCallStats {
  count: number;
  totalMs: number;
}

export interface RawRate {
  /** Items each raw transaction writes (patient record, audit event, counter items). */
  readonly itemsPerTransaction: number;
  readonly transactions: number;
  readonly conflicts: number;
  readonly wallMs: number;
  readonly perSecond: number;
  readonly latencyMs: Summary;
}

export interface EngineRep {
  readonly patients: number;
  readonly concurrency: number;
  readonly wallMs: number;
  readonly transitions: number;
  readonly transitionsPerSecond: number;
  /** Accepted decision (202) -> next pending decision visible. */
  readonly decisionToPendingMs: Summary;
  /** Referral accepted (201) -> TRIAGE pending visible. */
  readonly referralToPendingMs: Summary;
  readonly decisionToPendingSamples: number[];
  readonly raw: RawRate;
  /** transitionsPerSecond / raw.perSecond */
  readonly ratio: number;
  /** BatchGetItem requests/s the bench itself made while waiting (its share of the load). */
  readonly benchReadsPerSecond: number;
  /** DynamoDB capacity consumed by the product during the driven pathways (not the raw run). */
  readonly usage: CapacityUsage;
  readonly apiCalls: Record<string, ApiCallStats>;
  readonly driven: DrivenPatient[];
}

type Predicate = (p: PatientRecord) => boolean;

const pendingFor = (stage: DecisionStage, afterStep: number, visit?: string): Predicate => (p) =>
  p.status === 'active' &&
  !!p.taskToken &&
  !p.decidedAt &&
  p.pendingDecision?.stage === stage &&
  p.pendingDecision.step > afterStep &&
  (visit === undefined || p.pendingDecision.visit === visit);

const closedAs = (status: string): Predicate => (p) => p.status === status && p.notified.step >= p.lastStep;

function countCall(calls: Record<string, ApiCallStats>, key: string, ms: number): void {
  const c = (calls[key] ??= { count: 0, totalMs: 0 });
  c.count += 1;
  c.totalMs += ms;
}

async function drivePatient(
  stack: BenchStack,
  watcher: RecordWatcher,
  opts: EngineOptions,
  n: number,
  latencies: number[],
  intake: number[],
  calls: Record<string, ApiCallStats>,
): Promise<DrivenPatient> {
  const referral = await stack.api<{ patientId: string; caseRef: string; executionArn: string }>('POST', '/referrals', 'coordinator', referralBody(opts.runTag, n));
  countCall(calls, 'POST /referrals', referral.ms);
  if (referral.status !== 201) throw new Error(`referral answered ${referral.status}: ${JSON.stringify(referral.body)}`);
  const { patientId, caseRef, executionArn } = referral.body;
  const t0 = nowMs();
  let current = await watcher.wait(patientId, 'TRIAGE pending', pendingFor('TRIAGE', 0));
  intake.push(nowMs() - t0);

  for (const step of HAPPY_PATH) {
    const technique = step.needsRecommendation ? await recommendedTechnique(stack, patientId, calls) : (current.history.selectedTechnique ?? '');
    const decidedStep = current.pendingDecision?.step ?? 0;
    const res = await stack.api('POST', `/patients/${patientId}/decisions`, step.role, step.body(technique));
    countCall(calls, 'POST /patients/{id}/decisions', res.ms);
    if (res.status !== 202) throw new Error(`${step.stage} decision answered ${res.status}: ${JSON.stringify(res.body)}`);
    const accepted = nowMs();
    current = await waitForNext(watcher, patientId, step, decidedStep);
    if ('stage' in step.next) latencies.push(nowMs() - accepted);
  }
  return { patientId, caseRef, executionArn, transitions: current.lastStep - 1 };
}

function waitForNext(watcher: RecordWatcher, patientId: string, step: ScriptStep, decidedStep: number): Promise<PatientRecord> {
  const next = step.next;
  if ('status' in next) return watcher.wait(patientId, `status ${next.status}`, closedAs(next.status));
  return watcher.wait(patientId, `${next.stage} pending`, pendingFor(next.stage, decidedStep, next.visit));
}

async function recommendedTechnique(stack: BenchStack, patientId: string, calls: Record<string, ApiCallStats>): Promise<string> {
  const detail = await stack.api<{ recommendation: { recommended: string } | null }>('GET', `/patients/${patientId}`, 'physician');
  countCall(calls, 'GET /patients/{id}', detail.ms);
  const technique = detail.body.recommendation?.recommended;
  if (detail.status !== 200 || !technique) throw new Error(`GET /patients/${patientId} gave no recommendation (${detail.status})`);
  return technique;
}

/** One repetition: N patients through whole pathways, then the raw transaction rate. */
export async function runEngineRep(stack: BenchStack, opts: EngineOptions, label: string): Promise<EngineRep> {
  const latencies: number[] = [];
  const intake: number[] = [];
  const calls: Record<string, ApiCallStats> = {};
  const before = await stack.usage();
  const bar = progressBar(opts.quiet, `${label}: patients`, opts.patients);
  const watcher = new RecordWatcher(stack.doc(), stack.tables.pathway, opts.pollMs);
  const started = nowMs();
  let driven: DrivenPatient[];
  try {
    driven = await mapLimit(
      Array.from({ length: opts.patients }, (_, i) => i + 1),
      opts.concurrency,
      async (n) => {
        const d = await drivePatient(stack, watcher, opts, n, latencies, intake, calls);
        bar.increment();
        return d;
      },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- the stack's last output ---\n${stack.logs().slice(-4000)}`, { cause: err });
  } finally {
    bar.stop();
    watcher.stop();
  }
  const wallMs = nowMs() - started;
  const usage = usageBetween(before, await stack.usage());
  const transitions = driven.reduce((a, d) => a + d.transitions, 0);
  const transitionsPerSecond = transitions / (wallMs / 1000);

  const template = await stack.store().getPatient((driven[0] as DrivenPatient).patientId);
  if (!template) throw new Error('no patient record to take the item shape from');
  const raw = await rawTransactRate(stack, template, { ops: opts.rawOps, concurrency: opts.concurrency, quiet: opts.quiet, label, runTag: opts.runTag });
  return {
    patients: opts.patients,
    concurrency: opts.concurrency,
    wallMs,
    transitions,
    transitionsPerSecond,
    decisionToPendingMs: summarize(latencies),
    referralToPendingMs: summarize(intake),
    decisionToPendingSamples: latencies,
    raw,
    ratio: transitionsPerSecond / raw.perSecond,
    usage,
    benchReadsPerSecond: watcher.reads / (wallMs / 1000),
    apiCalls: calls,
    driven,
  };
}

/**
 * The raw rate of the transaction a transition writes, straight through the repository on the
 * same DynamoDB Local: savePatient(next, rev, [stage_entered], [exit counter, entry counter]),
 * the shapes persistTransition writes, with as many writers in flight as the engine had patients.
 */
export async function rawTransactRate(
  stack: BenchStack,
  template: PatientRecord,
  opts: { ops: number; concurrency: number; quiet: boolean; label: string; runTag: string },
): Promise<RawRate> {
  const store = stack.store();
  const lanes = Math.max(1, Math.min(opts.concurrency, opts.ops));
  const now = new Date();
  const records: PatientRecord[] = [];
  for (let i = 0; i < lanes; i++) {
    const patientId = ulidIds.next();
    const rec: PatientRecord = {
      ...template,
      rev: 1,
      patientId,
      referralId: `BENCH-RAW-${opts.runTag}-${patientId}`,
      caseRef: `RAW-${opts.runTag}-${i}`,
      executionArn: `${template.executionArn.replace(/:[^:]+$/, '')}:${patientId}`,
      status: 'active',
      stage: 'TRIAGE',
      lastStep: 2,
    };
    await store.savePatient(rec, 'new');
    records.push(rec);
  }
  const latencies: number[] = [];
  let issued = 0;
  let conflicts = 0;
  let itemsPerTransaction = 0;
  const bar = progressBar(opts.quiet, `${opts.label}: raw TransactWriteItems`, opts.ops);
  const started = nowMs();
  try {
    await Promise.all(
      records.map(async (first) => {
        let p = first;
        while (issued < opts.ops) {
          issued += 1;
          const stage = DECISION_STAGES[(DECISION_STAGES.indexOf(p.stage as DecisionStage) + 1) % DECISION_STAGES.length] as DecisionStage;
          const at = new Date().toISOString();
          const dueAt = new Date(now.getTime() + 7 * 86_400_000).toISOString();
          const next: PatientRecord = { ...p, rev: p.rev + 1, lastStep: p.lastStep + 1, stage, stageEnteredAt: at, dueAt, awaiting: { stage, role: 'physician' } };
          const events: AuditEventInput[] = [{ action: 'stage_entered', patientId: p.patientId, stage, actor: SYSTEM_ACTOR, details: { from: p.stage, causeOutcome: 'bench', dueAt } }];
          const counters: CounterIncrement[] = [
            { month: monthOf(at), item: { kind: 'stage', stage: p.stage }, add: { exited: 1, d0: 1 } },
            { month: monthOf(at), item: { kind: 'stage', stage }, add: { entered: 1 } },
          ];
          // The patient record, its audit event and one update per counter item (two stages: two items).
          itemsPerTransaction = 1 + events.length + counters.length;
          for (;;) {
            const t = nowMs();
            try {
              await store.savePatient(next, p.rev, events, counters);
              latencies.push(nowMs() - t);
              break;
            } catch (err) {
              if (!(err instanceof ConcurrentUpdateError)) throw err;
              conflicts += 1; // two writers touched the same counter item at once: retry, as the engine does
            }
          }
          p = next;
          bar.increment();
        }
      }),
    );
  } finally {
    bar.stop();
  }
  const wallMs = nowMs() - started;
  return { transactions: latencies.length, conflicts, wallMs, perSecond: latencies.length / (wallMs / 1000), latencyMs: summarize(latencies), itemsPerTransaction };
}
