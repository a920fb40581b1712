// Reliability under faults, end to end on the local stack: RELIABILITY_PATIENTS patients
// (default 200) through varied full pathways while the engine's Lambdas fail transiently, every
// decision is sent twice at once, and the whole stack is killed with -9 and restarted twice in
// the middle of the run. Then the record of truth is compared with what the driver did.
//
// Patients: RELIABILITY_PATIENTS, default 200 when this suite is run on its own (about 2-5 min
// on 2 cores, depending on load: the local DynamoDB's transaction rate is the limit). Inside
// `npm test` the default is 60, to keep the whole suite within its time budget; the README's
// figures come from the full run:
//   npx vitest run tests/reliability                       (200 patients)
//   RELIABILITY_PATIENTS=1000 RELIABILITY_SEED=7 npx vitest run tests/reliability/faults.test.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFaultLog, type InjectedFault } from '../../local/faults.js';
import { STAGES } from '../../functions/domain/vocabulary.js';
import type { AuditEvent, PatientRecord } from '../../functions/store/pathway-store.js';
import { monthsInRange } from '../../functions/store/pathway-store.js';
import { LocalStackUnderTest, type Email } from '../support/local-stack.js';
import { ReliabilityDriver, runningCheckpoints } from './driver.js';
import { expectedStages } from './plans.js';

const PATIENTS = Number(process.env.RELIABILITY_PATIENTS ?? (process.env.npm_lifecycle_event === 'test' ? 60 : 200));
const SEED = Number(process.env.RELIABILITY_SEED ?? 20261126);
const RESTART_AT = [0.3, 0.65];

// Transient failures of every task of the state machine (retried with backoff). Emails SES
// refuses are the outbox's business, tested without servers in tests/unit/engine.test.ts.
const FAULTS = [
  { function: 'enter-stage', error: 'TransientError', probability: 0.1 },
  { function: 'close-pathway', error: 'TransientError', probability: 0.1 },
];

let stack: LocalStackUnderTest;
let driver: ReliabilityDriver;
let faultDir: string;
let startedAt: number;
let runMs = 0;
const records = new Map<string, PatientRecord>();
const timelines = new Map<string, AuditEvent[]>();
let inbox: Email[] = [];
let faults: InjectedFault[] = [];
let metrics: Record<string, unknown>[] = [];
/** Closed pathways whose execution never ended: [description, withdrawal cut off by a crash]. */
const stillRunning: [string, boolean][] = [];
const figures: Record<string, unknown> = {};

beforeAll(async () => {
  startedAt = Date.now();
  faultDir = mkdtempSync(join(tmpdir(), 'csf-faults-'));
  stack = await LocalStackUnderTest.start({
    LOCAL_FAULTS: JSON.stringify(FAULTS),
    LOCAL_FAULTS_LOG: join(faultDir, 'faults.jsonl'),
    LOCAL_FAULTS_SEED: String(SEED),
  });
  driver = new ReliabilityDriver(stack, { patients: PATIENTS, seed: SEED, restartAt: RESTART_AT });
  const t0 = Date.now();
  await driver.run();
  runMs = Date.now() - t0;

  // Let every closed pathway's execution finish (its last emails go out before it ends).
  const sfn = new SFNClient({ endpoint: `http://127.0.0.1:${stack.ports.sfn}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const store = stack.store();
  for (const run of driver.runs) {
    if (!run.patientId) continue;
    const closed = run.plan.final.status !== 'active';
    const deadline = Date.now() + 30_000;
    for (;;) {
      const p = await store.getPatient(run.patientId);
      if (!p) break;
      records.set(run.patientId, p);
      if (!closed) break;
      const ex = await sfn.send(new DescribeExecutionCommand({ executionArn: p.executionArn }));
      if (ex.status !== 'RUNNING') break;
      if (Date.now() > deadline) {
        const engine = runningCheckpoints(stack.dataDir).find((c) => p.executionArn.endsWith(`:${c.name}`));
        const near = driver.restarts.map((r) => `${run.withdrawnAt ? run.withdrawnAt - r.at : '?'} ms after restart at ${r.at}`).join(', ');
        stillRunning.push([
          `${run.patientId} (${run.plan.kind}, ${p.status} at ${p.stage}; engine at ${engine?.state}/${engine?.waiting}; token ${p.taskToken ? 'kept' : 'cleared'}; ` +
            `withdrawal ${run.withdrawalCutByCrash ? 'cut off by a crash' : 'acknowledged'}, ${near})`,
          run.withdrawalCutByCrash === true && p.status === 'withdrawn',
        ]);
        break;
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    timelines.set(run.patientId, await store.patientTimeline(run.patientId));
  }
  sfn.destroy();
  inbox = await stack.inbox();
  faults = readFaultLog(readFileSync(join(faultDir, 'faults.jsonl'), 'utf8'));
  const months = monthsInRange(new Date(startedAt).toISOString().slice(0, 7), new Date().toISOString().slice(0, 7));
  metrics = (await Promise.all(months.map((m) => store.monthMetrics(m)))).flat();
}, 900_000);

afterAll(async () => {
  const byKind = new Map<string, number>();
  for (const f of faults) byKind.set(`${f.function}/${f.error}`, (byKind.get(`${f.function}/${f.error}`) ?? 0) + 1);
  const kinds = [...byKind.entries()].map(([k, n]) => `${k} ${n}`).join(', ');
  if (driver) {
    console.log(
      `RELIABILITY patients=${PATIENTS} decisions=${driver.decisionsAcked} (each sent twice) faults=${faults.length} [${kinds}] ` +
        `restarts=${driver.restarts.length} (decision requests in flight at kill: ${driver.restarts.map((r) => r.decisionRequestsInFlight).join('/')}; ` +
        `notifications in flight: ${driver.restarts.map((r) => r.notificationsInFlight).join('/')}) lost=${figures.lost ?? '?'} ` +
        `duplicated-emails=${figures.duplicates ?? '?'} (bound ${figures.bound ?? '?'}) emails=${inbox.length} notification-failed=${figures.notificationFailed ?? '?'} ` +
        `referrals-recorded-not-started-at-crash=${driver.referralsRecordedNotStarted} orphaned-withdrawals=${figures.orphaned ?? '?'} 5xx=${driver.serverErrors.length} ` +
        `connection-errors=${driver.connectionErrors} seed=${SEED} run=${(runMs / 1000).toFixed(1)}s`,
    );
  }
  await stack?.stop();
  if (faultDir) rmSync(faultDir, { recursive: true, force: true });
});

const events = () => [...timelines.values()].flat();
const count = <T>(xs: readonly T[], pred: (x: T) => boolean) => xs.reduce((n, x) => n + (pred(x) ? 1 : 0), 0);

describe(`reliability under faults and kill -9 (${PATIENTS} patients)`, () => {
  it('injects transient faults of every configured kind and restarts the whole stack twice while decisions are in flight', () => {
    const kinds = new Set(faults.map((f) => `${f.function}/${f.error}`));
    // (A very small run may draw no rare fault; from 40 patients on, every kind shows up.)
    if (PATIENTS >= 40) for (const rule of FAULTS) expect(kinds, `no ${rule.function}/${rule.error} fault was injected`).toContain(`${rule.function}/${rule.error}`);
    expect(faults.length).toBeGreaterThan(0);
    expect(driver.restarts).toHaveLength(RESTART_AT.length);
    expect(driver.restarts.every((r) => r.decisionRequestsInFlight > 0)).toBe(true);
  });

  it('brings every patient to the state its pathway leads to', () => {
    const wrong: string[] = [];
    for (const run of driver.runs) {
      if (run.error) {
        wrong.push(`#${run.index} ${run.plan.kind}: ${run.error}`);
        continue;
      }
      const p = records.get(run.patientId as string);
      const { status, stage } = run.plan.final;
      if (!p || p.status !== status || p.stage !== stage) wrong.push(`#${run.index} ${run.plan.kind}: want ${status} at ${stage}, got ${p?.status} at ${p?.stage}`);
      else if (status === 'active' && (p.pendingDecision?.stage !== stage || !p.taskToken)) wrong.push(`#${run.index} ${run.plan.kind}: not waiting on ${stage}`);
    }
    figures.lost = wrong.length;
    expect(wrong).toEqual([]);
    // KNOWN BUG (tests/reliability/withdrawal.test.ts): a withdrawal recorded just before a crash
    // is never handed to the waiting execution. Counted and reported; anything else fails.
    figures.orphaned = stillRunning.filter(([, known]) => known).length;
    expect(stillRunning.filter(([, known]) => !known).map(([d]) => d), 'executions of closed pathways still running').toEqual([]);
  });

  it('answers every pair of simultaneous identical decisions with exactly one 202 and one 409', () => {
    const answered = driver.pairs.filter((p) => p.statuses.every((s) => s !== 'connection-lost'));
    const bad = answered.filter((p) => [...p.statuses].sort().join(',') !== '202,409');
    expect(answered.length).toBeGreaterThan(driver.pairs.length * 0.9);
    expect(bad).toEqual([]);
    expect(driver.anomalies).toEqual([]);
  });

  it('records exactly one stage_entered per transition and one decision_recorded per acknowledged decision, losing none', () => {
    const wrong: string[] = [];
    let lostDecisions = 0;
    for (const run of driver.runs) {
      if (!run.patientId) continue;
      const tl = timelines.get(run.patientId) ?? [];
      const entered = tl.filter((e) => e.action === 'stage_entered').map((e) => e.stage);
      const want = expectedStages(run.plan);
      if (JSON.stringify(entered) !== JSON.stringify(want)) wrong.push(`#${run.index} ${run.plan.kind} stage_entered ${entered.join('>')} != ${want.join('>')}`);
      const decided = tl.filter((e) => e.action === 'decision_recorded').map((e) => `${e.stage}:${String(e.details.outcome)}`);
      const acked = run.decisions.map((d) => `${d.stage}:${d.outcome}`);
      if (JSON.stringify(decided) !== JSON.stringify(acked)) {
        wrong.push(`#${run.index} ${run.plan.kind} decision_recorded ${decided.join(',')} != acknowledged ${acked.join(',')}`);
        lostDecisions += Math.max(0, acked.length - decided.length);
      }
      const one = (action: string, n: number) => {
        const got = count(tl, (e) => e.action === action);
        if (got !== n) wrong.push(`#${run.index} ${run.plan.kind} ${action} x${got}, want ${n}`);
      };
      one('referral_received', 1);
      one('hold_started', run.holds);
      one('hold_ended', run.resumes);
      one('withdrawn', run.withdrawn ? 1 : 0);
      one('status_changed', run.plan.final.status === 'active' ? 0 : 1);
      one('pathway_failed', 0);
    }
    figures.lostDecisions = lostDecisions;
    expect(wrong).toEqual([]);
  });

  it('keeps the throughput counters equal to a recount from the audit trail', () => {
    const all = events();
    const sum = (sk: string, field: string) => metrics.filter((m) => m.SK === sk).reduce((n, m) => n + Number(m[field] ?? 0), 0);
    const decided = (stage: string, outcome?: string) => count(all, (e) => e.action === 'decision_recorded' && e.stage === stage && (!outcome || e.details.outcome === outcome));
    const closed = all.filter((e) => e.action === 'status_changed' && ['completed', 'discharged', 'withdrawn', 'lost_to_follow_up', 'failed'].includes(String(e.details.to)));
    const funnel = {
      referrals: count(all, (e) => e.action === 'referral_received'),
      accepted: decided('TRIAGE', 'accept'),
      myelographies: decided('MYELOGRAPHY'),
      localised: decided('MYELOGRAPHY', 'leak_found'),
      treated: decided('TARGETED_PATCH', 'performed') + decided('NEUROSURGICAL_ESCALATION', 'operated'),
      completed: count(closed, (e) => e.details.to === 'completed'),
    };
    const counted = Object.fromEntries(Object.keys(funnel).map((k) => [k, sum('FUNNEL', k)]));
    expect(counted).toEqual(funnel);
    const stages = Object.fromEntries(
      STAGES.map((s) => [
        s,
        {
          entered: count(all, (e) => e.action === 'stage_entered' && e.stage === s),
          exited: count(all, (e) => e.action === 'stage_entered' && e.details.from === s) + count(closed, (e) => e.stage === s),
        },
      ]),
    );
    const stageCounters = Object.fromEntries(STAGES.map((s) => [s, { entered: sum(`STAGE#${s}`, 'entered'), exited: sum(`STAGE#${s}`, 'exited') }]));
    expect(stageCounters).toEqual(stages);
  });

  it('records every email it sends, and repeats one only when a crash fell between sending it and recording it', () => {
    const sent = events().filter((e) => e.action === 'notification_sent');
    const recordedIds = new Set(sent.map((e) => String(e.details.messageId)));
    const inboxIds = new Set(inbox.map((m) => m.messageId));
    // Nothing recorded as sent that SES never saw.
    expect(sent.filter((e) => !inboxIds.has(String(e.details.messageId))).map((e) => `${e.patientId} ${String(e.details.template)}`)).toEqual([]);
    // Each template of each step recorded once.
    const perStep = new Map<string, number>();
    for (const e of sent) {
      if (e.details.step === undefined) continue;
      const k = `${e.patientId}|${String(e.details.step)}|${String(e.details.template)}`;
      perStep.set(k, (perStep.get(k) ?? 0) + 1);
    }
    expect([...perStep.entries()].filter(([, n]) => n > 1)).toEqual([]);
    // Duplicates by (subject, recipients): sent more often than recorded.
    const group = (m: Email) => `${m.subject}|${[...m.destination.to].sort().join(',')}`;
    const inInbox = new Map<string, number>();
    for (const m of inbox) inInbox.set(group(m), (inInbox.get(group(m)) ?? 0) + 1);
    const byId = new Map(inbox.map((m) => [m.messageId, m]));
    const recorded = new Map<string, number>();
    for (const id of recordedIds) {
      const m = byId.get(id);
      if (m) recorded.set(group(m), (recorded.get(group(m)) ?? 0) + 1);
    }
    let duplicates = 0;
    for (const [g, n] of inInbox) duplicates += Math.max(0, n - (recorded.get(g) ?? 0));
    const unrecorded = inbox.filter((m) => !recordedIds.has(m.messageId));
    const bound = driver.restarts.reduce((n, r) => n + r.notificationsInFlight, 0);
    figures.duplicates = duplicates;
    figures.bound = bound;
    expect(duplicates).toBe(unrecorded.length);
    expect(duplicates).toBeLessThanOrEqual(bound);
    // An unrecorded email is a repeat of one that was then sent and recorded, never a stray.
    expect(unrecorded.filter((m) => !recorded.has(group(m))).map((m) => m.subject)).toEqual([]);
  });

  it('never lets an undeliverable email block care: each is recorded as notification_failed and alerted to the administrators', () => {
    const all = events();
    const failed = all.filter((e) => e.action === 'notification_failed' && e.details.step !== undefined);
    const rejected = count(faults, (f) => f.error === 'MailRejectedError');
    figures.notificationFailed = failed.length;
    // Each rejection fails its notification once (a crash may cut one off before it is recorded).
    expect(failed.length).toBeGreaterThanOrEqual(rejected - driver.restarts.reduce((n, r) => n + r.notificationsInFlight, 0));
    for (const f of failed) {
      const alerted = all.some(
        (e) =>
          e.patientId === f.patientId &&
          e.at >= f.at &&
          String(e.details.template ?? '').startsWith('failure_notification') &&
          (e.action === 'notification_sent' || e.action === 'notification_failed'),
      );
      expect(alerted, `no administrator alert after ${f.patientId} step ${String(f.details.step)}`).toBe(true);
    }
    // Those patients still reached their state (checked for every patient above); none failed.
    expect(count(all, (e) => e.action === 'pathway_failed')).toBe(0);
  });

  it('never answers a request with a server error', () => {
    expect(driver.serverErrors).toEqual([]);
  });
});
