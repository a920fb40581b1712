// The first deploy, rehearsed offline: one local stack built from the synthesized cloud assembly,
// with every AWS call of every function (and every Lambda invocation of the state machine)
// authorized against the template's IAM policies. Patients are driven through every contract
// route, reopen, red flags, team work, FHIR, the sweep (reminders, booking reminders and the
// reconciler's repairs) and the continuation path; then the stack is stopped and its IAM report
// must show no call refused and no grant unused. A second stack runs an assembly with one grant
// removed and must refuse, change nothing, and say so without PHI.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SendRawEmailCommand, SESClient } from '@aws-sdk/client-ses';
import { DescribeExecutionCommand, SFNClient, StopExecutionCommand } from '@aws-sdk/client-sfn';
import type { Bundle, Parameters, Subscription, Task } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_HANDLERS } from '../../functions/api/routes.js';
import { submitDecision } from '../../functions/app/decisions.js';
import { enterStage } from '../../functions/app/enter-stage.js';
import { submitReferral } from '../../functions/app/intake.js';
import { loadConfig } from '../../functions/domain/config.js';
import { CARE_PATHWAY } from '../../functions/domain/pathway.js';
import { dateIn, DEFAULT_TEAM_CONFIG, instantOf, nextWorkingDay } from '../../functions/domain/team-work.js';
import type { Role } from '../../functions/domain/vocabulary.js';
import { systemClock, ulidIds } from '../../functions/shared/clock.js';
import type { Caller } from '../../functions/shared/http.js';
import { SesMailer } from '../../functions/shared/mailer.js';
import type { Deps } from '../../functions/shared/runtime.js';
import type { WorkflowEngine } from '../../functions/shared/workflow-engine.js';
import type { PatientRecord } from '../../functions/store/pathway-store.js';
import { readStack, synthesize } from '../../local/assembly/synth.js';
import { LOCAL_REGION } from '../../local/assembly/template.js';
import { readAssembly, type LocalAssembly } from '../../local/assembly/wiring.js';
import { checkIn, containedServiceRequest, referralBundle } from '../support/fhir-fixtures.js';
import { acceptTriage, completeCheck, leakFound, noLeak, patchPerformed, referralBody } from '../support/fixtures.js';
import { Receiver } from '../support/receiver.js';
import { LocalStackUnderTest } from '../support/local-stack.js';

const SECOND_IN_DAYS = 1 / 86_400;
/** Configuration over the template's: triage due in 2 s (so the sweep has reminders to send, and
 * escalations a minute later), and a new execution every 6 steps (so a long pathway is continued by
 * ContinuePathway). */
const PATHWAY_PATCH = {
  serviceLevelDays: { TRIAGE: 2 * SECOND_IN_DAYS },
  overdue: { reminderAfterDays: 0, escalateAfterDays: 60 * SECOND_IN_DAYS },
  executionLimits: { maxStepsPerExecution: 6, maxExecutionDays: 300 },
};
/** Fixed retry interval of the state machine's task retries, so a fault below holds a stage open for a few seconds. */
const RETRY_INTERVAL_MS = 1500;
const OPERATOR = { accessKeyId: 'local', secretAccessKey: 'local' };
const TZ = DEFAULT_TEAM_CONFIG.timeZone;

/** The cloud assembly the stack runs: the one the environment names (as the stack would read it), else `cdk synth`'s. */
async function assemblyDir(): Promise<string> {
  return process.env.LOCAL_ASSEMBLY_DIR ?? (await synthesize()).dir;
}

function assemblyOf(dir: string): LocalAssembly {
  const { template, stackName } = readStack(dir);
  // A fresh data folder publishes the definition as version 1.
  return readAssembly(template, stackName, () => 1);
}

function functionOf(assembly: LocalAssembly, entry: string) {
  const fn = assembly.functions.find((f) => f.entry === entry);
  if (!fn) throw new Error(`the template has no function for ${entry}`);
  return fn;
}

describe('the first deploy, rehearsed offline on the stack built from the cloud assembly', () => {
  const receiver = new Receiver();
  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());

  it('drives patients through every route, the engine, the sweep and FHIR with no call refused and no grant of any function or of the state machine left unused', async () => {
    const dir = await assemblyDir();
    const assembly = assemblyOf(dir);
    const referralsFn = functionOf(assembly, API_HANDLERS.referrals);
    const stack = await LocalStackUnderTest.start({
      LOCAL_ASSEMBLY_DIR: dir,
      LOCAL_SWEEP_INTERVAL_MS: '1000',
      LOCAL_RETRY_INTERVAL_MS: String(RETRY_INTERVAL_MS),
      LOCAL_PATHWAY_CONFIG: JSON.stringify(PATHWAY_PATCH),
      LOCAL_FAULTS: JSON.stringify([
        // A stage whose task fails for good: the state machine records the failure (RecordFailure).
        // Only the patient triaged a third time (two requests for information) enters TRIAGE at step 4.
        { function: 'enter-stage', error: 'CorruptRecordError', match: { stage: 'TRIAGE', step: 4 } },
        // Stage entries retried a few times, so their task answers seconds later. Only the patient asked
        // for information once and then imaged reaches MYELOGRAPHY at step 5 (held meanwhile), and only
        // the neurosurgery patient, continued at step 7, reaches NEUROSURGICAL_ESCALATION at step 8.
        { function: 'enter-stage', error: 'TransientError', match: { stage: 'MYELOGRAPHY', step: 5 }, times: 4 },
        { function: 'enter-stage', error: 'TransientError', match: { stage: 'NEUROSURGICAL_ESCALATION', step: 8 }, times: 5 },
      ]),
    });
    const phi: string[] = [];
    let failure: unknown;
    try {
      // ------------------------------------------------------------------ helpers
      /** `METHOD /path` of every call the API answered with a success, to check every route of the template was used. */
      const succeeded = new Set<string>();
      const note = (method: string, path: string, status: number) => {
        if (status >= 200 && status < 300) succeeded.add(`${method} ${path.split('?')[0]}`);
      };
      const api: LocalStackUnderTest['api'] = async (method, path, opts) => {
        const res = await stack.api(method, path, opts);
        note(method, path, res.status);
        return res;
      };
      const record = async (patientId: string) => (await stack.store().getPatient(patientId)) as PatientRecord;
      const waitRecord = (what: string, patientId: string, ok: (p: PatientRecord) => boolean, timeoutMs = 90_000) =>
        stack.waitFor(`${what} (${patientId})`, async () => {
          const p = await stack.store().getPatient(patientId);
          return p && ok(p) ? p : undefined;
        }, timeoutMs);
      const pending = (patientId: string, stage: string) =>
        waitRecord(`pending ${stage}`, patientId, (p) => p.pendingDecision?.stage === stage && Boolean(p.taskToken) && !p.decidedAt && p.status === 'active');
      const reaches = (patientId: string, s: string) => waitRecord(`status ${s}`, patientId, (p) => p.status === s && p.notified.step >= p.lastStep);
      const actions = async (patientId: string) => (await stack.store().patientTimeline(patientId)).map((e) => e.action);
      const refer = async (overrides: Record<string, unknown> = {}, as: { role?: Role; email?: string } = {}) => {
        const body = referralBody(overrides);
        phi.push(body.patient.familyName, body.patient.mrn);
        const res = await api('POST', '/referrals', { role: as.role ?? 'coordinator', ...(as.email ? { email: as.email } : {}), body });
        expect(res.status, res.text).toBe(201);
        return { ...(res.body as { patientId: string; caseRef: string; executionArn: string }), body };
      };
      const decide = async (patientId: string, body: Record<string, unknown>, role: Role = 'physician') => {
        await pending(patientId, String(body.stage));
        const res = await api('POST', `/patients/${patientId}/decisions`, { role, body });
        expect(res.status, `${String(body.stage)} ${String(body.outcome)}: ${res.text}`).toBe(202);
        return res;
      };
      const recommended = async (patientId: string) => {
        await pending(patientId, 'IMAGING_SELECTION');
        const detail = await api('GET', `/patients/${patientId}`, { role: 'physician' });
        expect(detail.status).toBe(200);
        return detail.body.recommendation.recommended as string;
      };
      const image = async (patientId: string, outcome: 'leak' | 'no_leak') => {
        const technique = await recommended(patientId);
        await decide(patientId, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
        await decide(patientId, outcome === 'leak' ? leakFound(technique) : noLeak(technique));
      };
      const followUp = (patientId: string, visit: string, outcome: string) =>
        waitRecord(`follow-up ${visit}`, patientId, (p) => p.pendingDecision?.visit === visit && Boolean(p.taskToken) && !p.decidedAt).then(() =>
          decide(patientId, { stage: 'FOLLOW_UP', outcome, visit, hit6: 44, pgic: 6 }, 'coordinator'),
        );
      const fhir = async <T = any>(method: 'GET' | 'POST', path: string, role: Role, body?: unknown) => {
        const headers: Record<string, string> = { authorization: `Bearer ${await stack.token(role)}`, accept: 'application/fhir+json' };
        if (body !== undefined) headers['content-type'] = 'application/fhir+json';
        const res = await fetch(`${stack.apiUrl}/fhir/R4${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        note(method, `/fhir/R4${path}`, res.status);
        const text = await res.text();
        return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T, headers: res.headers, text };
      };
      const coordinator = { role: 'coordinator' as const, email: 'coordinator@example.org' };
      const colleague = { role: 'coordinator' as const, email: 'coordinator.two@example.org' };
      const ada = { role: 'physician' as const, email: 'nr1.santa-clara@example.org' };
      const team = (who: { role: Role; email: string }, method: string, path: string, body?: unknown) =>
        api(method, path, { role: who.role, email: who.email, ...(body === undefined ? {} : { body }) });

      // Adapters of the product run in this process as the operator (the stack's tooling key), to
      // play a function that died half way: its write landed, its next call never happened.
      const sfn = new SFNClient({ endpoint: `http://127.0.0.1:${stack.ports.sfn}`, region: LOCAL_REGION, credentials: OPERATOR });
      const crashed = (): never => {
        throw Object.assign(new Error('the function died here'), { name: 'Runtime.ExitError' });
      };
      const engineThatDied: WorkflowEngine = { start: async () => crashed(), resume: async () => crashed(), stop: async () => crashed(), describe: async () => crashed() };
      const operatorDeps = (engine: WorkflowEngine): Deps => ({
        store: stack.store(),
        mailer: new SesMailer(new SESClient({ endpoint: `http://127.0.0.1:${stack.ports.ses}`, region: LOCAL_REGION, credentials: OPERATOR }), loadConfig({}).mailFrom, SendRawEmailCommand),
        engine,
        clock: systemClock,
        ids: ulidIds,
        config: loadConfig({ PATHWAY_CONFIG: JSON.stringify(PATHWAY_PATCH) }),
        pathway: CARE_PATHWAY,
        stateMachineArn: referralsFn.environment.STATE_MACHINE_ARN ?? '',
        pathwayVersion: referralsFn.environment.PATHWAY_VERSION ?? '1',
      });
      const asCaller = (role: Role, email: string): Caller => ({ sub: `crash-${role}`, email, roles: [role] });

      // ------------------------------------------------------------------ FHIR subscription first, so every transition below is notified
      const subscription: Subscription = {
        resourceType: 'Subscription',
        status: 'requested',
        reason: 'The referring EHR follows its referrals',
        criteria: 'Task',
        channel: { type: 'rest-hook', endpoint: `http://127.0.0.1:${receiver.port}/hook`, payload: 'application/fhir+json' },
      };
      const registered = await fhir<Subscription>('POST', '/Subscription', 'administrator', subscription);
      expect(registered.status, registered.text).toBe(201);
      const subscriptionId = registered.body.id as string;

      // ------------------------------------------------------------------ crashes the sweep must repair (set up first: the reconciler waits 30 s, a stalled referral 60 s)
      // 1. Intake recorded a referral and died before starting its execution.
      const stalledBody = referralBody();
      phi.push(stalledBody.patient.familyName, stalledBody.patient.mrn);
      await expect(submitReferral(operatorDeps(engineThatDied), asCaller('coordinator', 'coordinator@example.org'), stalledBody)).rejects.toThrow('the function died here');
      const stalledId = (await stack.store().getReferral(stalledBody.referralId))?.patientId as string;
      expect((await record(stalledId)).executionStarted).toBe(false);
      // 2. A decision was recorded and the Decisions function died before handing it to the execution.
      const unhanded = await refer();
      await pending(unhanded.patientId, 'TRIAGE');
      expect((await submitDecision(operatorDeps(engineThatDied), asCaller('physician', 'physician@example.org'), unhanded.patientId, acceptTriage())).status).toBe(202);
      // 3. The same, and then the execution itself was stopped: the pathway must go on in a new one.
      const orphan = await refer();
      await pending(orphan.patientId, 'TRIAGE');
      expect((await submitDecision(operatorDeps(engineThatDied), asCaller('physician', 'physician@example.org'), orphan.patientId, acceptTriage())).status).toBe(202);
      const orphanExecution = (await record(orphan.patientId)).executionArn;
      await sfn.send(new StopExecutionCommand({ executionArn: orphanExecution, error: 'Rehearsal', cause: 'stopped by the test' }));
      expect((await sfn.send(new DescribeExecutionCommand({ executionArn: orphanExecution }))).status).toBe('ABORTED');

      // ------------------------------------------------------------------ patients, in parallel
      const course = async () => {
        // Referral to completion: every clinical stage but neurosurgery, the R12 check, four visits
        // (one by FHIR check-in), continued into a new execution on the way; then reopened.
        const { patientId, caseRef, executionArn, body } = await refer();
        expect(executionArn).not.toContain(body.patient.familyName);
        await pending(patientId, 'TRIAGE');
        const detail = await api('GET', `/patients/${patientId}`, { role: 'physician' });
        expect(detail.body.pendingDecision).toMatchObject({ stage: 'TRIAGE', allowedOutcomes: ['accept', 'decline', 'request_info'] });
        await decide(patientId, acceptTriage('present'));
        await image(patientId, 'leak');
        await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
        await decide(patientId, patchPerformed);
        await followUp(patientId, 'day1', 'improved');
        const continued = await record(patientId);
        expect(continued.executions?.length ?? 0, 'continued into a new execution after 6 steps').toBeGreaterThanOrEqual(1);
        await waitRecord('week1 pending', patientId, (p) => p.pendingDecision?.visit === 'week1' && Boolean(p.taskToken) && !p.decidedAt);
        const qr = await fhir('POST', '/QuestionnaireResponse', 'coordinator', checkIn(patientId, { visit: 'week1', outcome: 'improved', pgic: 2, hit6: 44, headacheDays: 3 }));
        expect(qr.status, qr.text).toBe(201);
        const qrPath = new URL(qr.headers.get('location') ?? '').pathname.replace('/fhir/R4', '');
        expect((await fhir('GET', qrPath, 'physician')).status).toBe(200);
        await followUp(patientId, 'month3', 'improved');
        await followUp(patientId, 'month12', 'resolved');
        const done = await reaches(patientId, 'completed');
        const reopened = await api('POST', `/patients/${patientId}/reopen`, { role: 'coordinator', body: { recurrence: 'recurrence_same_site' } });
        expect(reopened.status, reopened.text).toBe(202);
        const again = await pending(patientId, 'TREATMENT_PLANNING');
        expect(again.executionArn).not.toBe(done.executionArn);
        await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch', reason: 'Recurrence at the treated level' });
        await pending(patientId, 'TARGETED_PATCH');
        return { patientId, caseRef };
      };

      const neurosurgery = async () => {
        // A negative myelogram, then a leak; continued at step 7; neurosurgery declined once and done
        // the second time; lost to follow-up. Its escalation task is retried (a fault above) after its
        // first attempt "landed its write but lost its answer": played here with the product's own
        // EnterStage code; the decision taken on that attempt's token must still reach the execution.
        const { patientId } = await refer();
        await decide(patientId, acceptTriage('absent'));
        await image(patientId, 'no_leak');
        await image(patientId, 'leak');
        await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'neurosurgery', reason: 'Ventral microspur' });
        const escalated = await waitRecord('escalation opened by the decision', patientId, (p) => p.stage === 'NEUROSURGICAL_ESCALATION' && p.lastStep === 8, 10_000);
        const lostToken = escalated.taskToken as string;
        await enterStage(operatorDeps(engineThatDied), { patientId, stage: 'NEUROSURGICAL_ESCALATION', step: 8, taskToken: lostToken });
        const res = await api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: { stage: 'NEUROSURGICAL_ESCALATION', outcome: 'not_candidate', reason: 'Comorbidities' } });
        expect(res.status, res.text).toBe(202);
        await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'neurosurgery', reason: 'Re-referred after optimisation' });
        await decide(patientId, { stage: 'NEUROSURGICAL_ESCALATION', outcome: 'operated', procedure: 'ventral_repair_microspur', performedOn: '2026-11-22', preProcedureCheck: completeCheck });
        await followUp(patientId, 'day1', 'lost_to_follow_up');
        await reaches(patientId, 'lost_to_follow_up');
        return patientId;
      };

      const heldThenWithdrawn = async () => {
        // Held while its myelography task is being retried: the stage's announcement waits for the
        // resume, which delivers it; then withdrawn while the execution waits.
        const { patientId } = await refer();
        await decide(patientId, { stage: 'TRIAGE', outcome: 'request_info', reason: 'Need the outside spine MRI' });
        // First a plain hold and resume at triage (the clock stops and restarts).
        await pending(patientId, 'TRIAGE');
        expect((await api('POST', `/patients/${patientId}/hold`, { role: 'coordinator', body: { reason: 'patient_request' } })).status).toBe(202);
        expect((await api('POST', `/patients/${patientId}/resume`, { role: 'coordinator', body: {} })).status).toBe(202);
        await decide(patientId, acceptTriage());
        const technique = await recommended(patientId);
        await decide(patientId, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
        const held = await api('POST', `/patients/${patientId}/hold`, { role: 'coordinator', body: { reason: 'scanner_capacity', note: 'CT down' } });
        expect(held.status, held.text).toBe(202);
        const waiting = await waitRecord('attached while on hold', patientId, (p) => p.status === 'on_hold' && p.pendingDecision?.stage === 'MYELOGRAPHY' && Boolean(p.taskToken) && !p.decidedAt);
        expect(waiting.outbox?.some((q) => q.event.kind === 'stage_entered')).toBe(true);
        expect((await api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: leakFound(technique) })).status).toBe(409);
        expect((await api('POST', `/patients/${patientId}/resume`, { role: 'coordinator', body: {} })).status).toBe(202);
        const resumed = await waitRecord('announced on resume', patientId, (p) => p.status === 'active' && (p.outbox ?? []).length === 0);
        expect(resumed.pendingDecision?.stage).toBe('MYELOGRAPHY');
        const trail = await stack.store().patientTimeline(patientId);
        const holdEnded = trail.findLastIndex((e) => e.action === 'hold_ended');
        expect(holdEnded).toBeGreaterThan(0);
        expect(trail.findIndex((e, i) => i > holdEnded && e.action === 'notification_sent' && e.stage === 'MYELOGRAPHY'), 'the myelography announcement went out after the hold ended').toBeGreaterThan(holdEnded);
        const withdrawn = await api('POST', `/patients/${patientId}/withdraw`, { role: 'coordinator', body: { reason: 'Moved out of the area' } });
        expect(withdrawn.status, withdrawn.text).toBe(202);
        await reaches(patientId, 'withdrawn');
        return patientId;
      };

      const declined = async () => {
        const { patientId } = await refer({ site: 'roseville-sacramento' });
        await decide(patientId, { stage: 'TRIAGE', outcome: 'decline', reason: 'Alternative diagnosis' });
        await reaches(patientId, 'discharged');
        return patientId;
      };

      const redFlag = async () => {
        const { patientId, caseRef } = await refer();
        await pending(patientId, 'TRIAGE');
        const res = await api('POST', `/patients/${patientId}/red-flags`, { role: 'physician', body: { complications: ['subdural_haematoma_mass_effect'] } });
        expect(res.status, res.text).toBe(201);
        expect(res.body).toMatchObject({ urgency: 'urgent', notified: true });
        await stack.waitFor('urgent review email', async () => (await stack.inbox()).some((e) => e.subject === `[${caseRef}] Urgent review needed`));
        return patientId;
      };

      const overdue = async () => {
        const { patientId } = await refer();
        await pending(patientId, 'TRIAGE');
        await stack.waitFor('a reminder by the sweep', async () => (await actions(patientId)).includes('reminder_sent'), 90_000);
        const list = await api('GET', '/patients?overdue=true&stage=TRIAGE', { role: 'coordinator' });
        expect(list.body.items.find((i: { patientId: string }) => i.patientId === patientId)).toMatchObject({ overdue: true });
        return patientId;
      };

      const failed = async () => {
        const { patientId, caseRef } = await refer();
        await decide(patientId, { stage: 'TRIAGE', outcome: 'request_info', reason: 'First request' });
        await decide(patientId, { stage: 'TRIAGE', outcome: 'request_info', reason: 'Second request' });
        await reaches(patientId, 'failed');
        await stack.waitFor('administrators alerted', async () =>
          (await stack.inbox()).some((e) => e.destination.to.includes('administrators@example.org') && e.subject.includes(caseRef)),
        );
        return patientId;
      };

      const teamWork = async () => {
        // A coordinator's morning on two cases at myelography, a physician's queue, a referrer.
        const a = await refer();
        const b = await refer();
        for (const p of [a, b]) {
          await decide(p.patientId, acceptTriage());
          const technique = await recommended(p.patientId);
          await decide(p.patientId, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
          await pending(p.patientId, 'MYELOGRAPHY');
        }
        const claimed = await team(coordinator, 'POST', `/patients/${a.patientId}/claim`);
        expect(claimed.status, claimed.text).toBe(200);
        const directory = await team(coordinator, 'GET', '/directory');
        expect(directory.status, directory.text).toBe(200);
        expect(directory.body.items.map((m: { email: string }) => m.email)).toContain(colleague.email);
        expect((await team(coordinator, 'POST', `/patients/${b.patientId}/owner`, { coordinator: colleague.email })).status).toBe(200);
        const needs = await team(coordinator, 'GET', '/bookings?view=needs_booking');
        expect(needs.body.unbooked.map((u: { patientId: string }) => u.patientId)).toEqual(expect.arrayContaining([a.patientId, b.patientId]));
        const startsAt = instantOf(TZ, nextWorkingDay(dateIn(TZ, new Date()), [0, 1, 2, 3, 4, 5, 6]), '09:30').toISOString();
        const booked = await team(coordinator, 'POST', `/patients/${a.patientId}/bookings`, { kind: 'myelography', status: 'booked', startsAt, site: 'santa-clara', place: { kind: 'scanner', label: 'CT 2' } });
        expect(booked.status, booked.text).toBe(201);
        const note = await team(coordinator, 'POST', `/patients/${a.patientId}/notes`, { text: 'MDT: prefers morning slots.' });
        expect(note.status, note.text).toBe(201);
        expect((await team(coordinator, 'PUT', `/patients/${a.patientId}/notes/${note.body.noteId}`, { text: 'MDT: prefers afternoon slots.', rev: 1 })).status).toBe(200);
        expect((await team(colleague, 'GET', `/patients/${a.patientId}/notes`)).body.items.map((n: { text: string }) => n.text)).toEqual(['MDT: prefers afternoon slots.']);
        expect((await team(coordinator, 'POST', `/patients/${a.patientId}/follow-up`, { on: dateIn(TZ, new Date()), reason: 'Chase outside records' })).status).toBe(200);
        const mine = await team(coordinator, 'GET', '/work/mine');
        expect(mine.body.owned.map((r: { patientId: string }) => r.patientId)).toContain(a.patientId);
        const work = await team(coordinator, 'GET', `/patients/${a.patientId}/work`);
        expect(work.body.bookings).toHaveLength(1);
        // The sweep emails the team the working day before the booking, then the result is recorded.
        await stack.waitFor('booking reminder', async () => (await stack.inbox()).some((m) => m.subject.startsWith('Booked') && m.subject.includes(a.caseRef)), 60_000);
        const reminded = (await team(coordinator, 'GET', `/patients/${a.patientId}/work`)).body.bookings[0];
        const dna = await team(coordinator, 'PUT', `/patients/${a.patientId}/bookings/${reminded.bookingId}`, { status: 'did_not_attend', rev: reminded.rev });
        expect(dna.status, dna.text).toBe(200);
        const bulk = await team(coordinator, 'POST', '/bulk', { action: 'reassign_owner', patientIds: [a.patientId], coordinator: colleague.email });
        expect(bulk.body).toMatchObject({ succeeded: 1, failed: 0 });
        const c = await refer();
        await pending(c.patientId, 'TRIAGE');
        const held = await team(coordinator, 'POST', '/bulk', { action: 'hold', patientIds: [c.patientId], reason: 'awaiting_records' });
        expect(held.body.results).toEqual([{ patientId: c.patientId, ok: true, status: 202 }]);
        // A physician's own queue: claims a triage at their site, is then reassigned by a coordinator.
        const d = await refer({ site: 'santa-clara' });
        await pending(d.patientId, 'TRIAGE');
        expect((await team(ada, 'GET', '/work/mine')).body.teamUnassigned.map((r: { patientId: string }) => r.patientId)).toContain(d.patientId);
        expect((await team(ada, 'POST', `/patients/${d.patientId}/claim`)).status).toBe(200);
        const dWork = await team(coordinator, 'GET', `/patients/${d.patientId}/work`);
        const assigned = await team(coordinator, 'POST', `/patients/${d.patientId}/assignee`, { clinician: 'nr2.santa-clara@example.org', pendingDecisionId: dWork.body.pendingDecisionId });
        expect(assigned.status, assigned.text).toBe(200);
        // Saved filters: create, rename, list, delete.
        const filter = await team(coordinator, 'POST', '/filters', { name: 'Santa Clara overdue', view: 'board', query: { site: 'santa-clara', overdue: 'true' } });
        expect(filter.status, filter.text).toBe(201);
        expect((await team(coordinator, 'PUT', `/filters/${filter.body.filterId}`, { name: 'SC overdue', view: 'board', query: { site: 'santa-clara' } })).status).toBe(200);
        expect((await team(coordinator, 'GET', '/filters')).body.items.map((f: { name: string }) => f.name)).toEqual(['SC overdue']);
        expect((await team(coordinator, 'DELETE', `/filters/${filter.body.filterId}`)).status).toBe(204);
        const month = new Date().toISOString().slice(0, 7);
        const metrics = await api('GET', `/metrics/team?from=${month}&to=${month}`, { role: 'administrator' });
        expect(metrics.status, metrics.text).toBe(200);
        expect(metrics.body.bookings).toMatchObject({ created: 1, didNotAttend: 1 });
        return a.patientId;
      };

      const referrer = async () => {
        const me = { role: 'referrer' as const, email: 'dr.follow@example.org' };
        const { patientId, caseRef } = await refer({ referringPhysician: { name: 'Dr. Follow', email: me.email } }, me);
        await pending(patientId, 'TRIAGE');
        const list = await team(me, 'GET', '/referrer/patients');
        expect(list.body.items.map((i: { patientId: string }) => i.patientId)).toEqual([patientId]);
        await decide(patientId, { stage: 'TRIAGE', outcome: 'request_info', reason: 'Please send the outside spine MRI report.' });
        await waitRecord('triage asked again', patientId, (p) => p.pendingDecision?.stage === 'TRIAGE' && p.lastStep === 3 && Boolean(p.taskToken) && !p.decidedAt);
        const view = await team(me, 'GET', `/referrer/patients/${patientId}`);
        expect(view.body.informationRequest).toMatchObject({ asked: 'Please send the outside spine MRI report.', answeredAt: null });
        const sent = await team(me, 'POST', `/patients/${patientId}/information`, { text: 'MRI: ventral epidural collection T4-T9.' });
        expect(sent.status, sent.text).toBe(201);
        await stack.waitFor('information email', async () => (await stack.inbox()).some((m) => m.subject === `Information received: ${caseRef}`));
        await decide(patientId, acceptTriage());
        await pending(patientId, 'IMAGING_SELECTION');
        return patientId;
      };

      const fhirReferrals = async () => {
        expect((await fhir('GET', '/metadata', 'coordinator')).body.resourceType).toBe('CapabilityStatement');
        const bundle = await fhir<Bundle>('POST', '/Bundle', 'coordinator', referralBundle());
        expect(bundle.status, bundle.text).toBe(201);
        const fromBundle = (bundle.headers.get('location') ?? '').split('/').at(-1) as string;
        const base = await fhir<Bundle>('POST', '', 'coordinator', referralBundle());
        expect(base.status, base.text).toBe(200);
        const request = containedServiceRequest();
        const created = await fhir<Task>('POST', '/ServiceRequest', 'coordinator', request);
        expect(created.status, created.text).toBe(201);
        const fromRequest = created.body.id as string;
        for (const p of [fromBundle, fromRequest]) {
          const stored = await pending(p, 'TRIAGE');
          phi.push(stored.patient.familyName, stored.patient.mrn);
        }
        expect((await fhir('GET', `/ServiceRequest/${fromRequest}`, 'physician')).body.identifier[0].value).toBe(request.identifier?.[0]?.value);
        expect((await fhir<Task>('GET', `/Task/${fromBundle}`, 'physician')).body.status).toBe('requested');
        const search = await fhir<Bundle>('GET', `/Task?based-on=ServiceRequest/${fromBundle}`, 'physician');
        expect(search.body.entry?.map((e) => e.resource?.id)).toEqual([fromBundle]);
        const requested = await fhir<Bundle>('GET', '/Task?status=requested&_count=50', 'physician');
        expect(requested.body.entry?.map((e) => e.resource?.id)).toContain(fromBundle);
        expect((await fhir('GET', `/Patient/${fromRequest}`, 'physician')).body.resourceType).toBe('Patient');
        expect((await fhir('GET', '/Questionnaire/follow-up-check-in', 'coordinator')).status).toBe(200);
        return fromBundle;
      };

      const [courseOf] = await Promise.all([course(), neurosurgery(), heldThenWithdrawn(), declined(), redFlag(), overdue(), failed(), teamWork(), referrer(), fhirReferrals()]);

      // ------------------------------------------------------------------ lists, metrics, audit, the API description
      const page1 = await api('GET', '/patients?stage=TRIAGE&status=active&site=santa-clara&limit=2', { role: 'coordinator' });
      expect(page1.status).toBe(200);
      expect(page1.body.items).toHaveLength(2);
      expect(page1.body.items.every((i: { stage: string; status: string; site: string }) => i.stage === 'TRIAGE' && i.status === 'active' && i.site === 'santa-clara')).toBe(true);
      const page2 = await api('GET', `/patients?stage=TRIAGE&status=active&site=santa-clara&limit=2&nextToken=${encodeURIComponent(page1.body.nextToken)}`, { role: 'coordinator' });
      expect(page2.status).toBe(200);
      expect(page2.body.items.map((i: { patientId: string }) => i.patientId)).not.toContain(page1.body.items[0].patientId);
      const completed = await api('GET', '/patients?status=completed', { role: 'physician' });
      expect(completed.status).toBe(200);
      const month = new Date().toISOString().slice(0, 7);
      const throughput = await api('GET', `/metrics/throughput?from=${month}&to=${month}`, { role: 'administrator' });
      expect(throughput.status, throughput.text).toBe(200);
      expect((await api('GET', `/metrics/throughput?from=${month}&to=${month}&format=csv`, { role: 'administrator' })).headers.get('content-type')).toContain('text/csv');
      const sla = await api('GET', `/metrics/sla?from=${month}&to=${month}`, { role: 'administrator' });
      expect(sla.status, sla.text).toBe(200);
      expect(sla.body.overdue.length).toBeGreaterThanOrEqual(1);
      const byPatient = await api('GET', `/audit?patientId=${courseOf.patientId}`, { role: 'administrator' });
      expect(byPatient.body.items.map((e: { action: string }) => e.action)).toContain('episode_opened');
      const byCase = await api('GET', `/audit?caseRef=${courseOf.caseRef}`, { role: 'administrator' });
      expect(byCase.body.items.length).toBe(byPatient.body.items.length);
      const byMonth = await api('GET', `/audit?from=${month}-01T00:00:00Z&limit=50`, { role: 'administrator' });
      expect(byMonth.status, byMonth.text).toBe(200);
      expect(byMonth.body.items).toHaveLength(50);
      const verified = await api('GET', `/audit/verify?patientId=${courseOf.patientId}`, { role: 'administrator' });
      expect(verified.body.intact).toBe(true);
      const openapi = await fetch(`${stack.apiUrl}/openapi.json`);
      expect(openapi.status).toBe(200);
      note('GET', '/openapi.json', openapi.status);

      // ------------------------------------------------------------------ FHIR subscription delivered by the DeliverNotifications schedule
      const deliveries = await stack.waitFor('a delivered notification', async () => {
        const res = await fhir<Bundle>('GET', `/Subscription/${subscriptionId}/deliveries`, 'administrator');
        const rows = (res.body.entry ?? []).map((e) => Object.fromEntries(((e.resource as Parameters).parameter ?? []).map((p) => [p.name, p.valueInteger ?? p.valueCode ?? p.valueString ?? p.valueInstant ?? p.valueReference?.reference])));
        return rows.some((r) => r.status === 'delivered') ? rows : undefined;
      }, 60_000);
      expect(deliveries.length).toBeGreaterThan(0);
      expect(receiver.received.length).toBeGreaterThan(0);
      expect((await fhir<Bundle>('GET', '/Subscription', 'administrator')).body.entry?.map((e) => e.resource?.id)).toContain(subscriptionId);
      expect((await fhir<Subscription>('GET', `/Subscription/${subscriptionId}`, 'administrator')).body.status).toBe('active');

      // ------------------------------------------------------------------ the sweep's repairs
      // The stalled referral: announced by the reconciler, then started on the live alias.
      const started = await pending(stalledId, 'TRIAGE');
      expect(started.executionStarted).toBe(true);
      expect((await stack.store().patientTimeline(stalledId)).some((e) => e.action === 'notification_sent' && e.stage === 'REFERRAL')).toBe(true);
      // The decision whose hand-off was lost: handed over by the reconciler on the token still waiting.
      await pending(unhanded.patientId, 'IMAGING_SELECTION');
      // The decision whose execution was stopped: the token is gone (TaskTimedOut), the execution is not
      // running, so the pathway goes on in a new execution on the same version.
      const repaired = await pending(orphan.patientId, 'IMAGING_SELECTION');
      expect(repaired.executionArn).not.toBe(orphanExecution);
      expect(await actions(orphan.patientId)).toContain('execution_continued');

      // Every route of the template answered a success at least once.
      const template = (r: { method: string; path: string }) => new RegExp(`^${r.method} ${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      const unused = assembly.routes.filter((r) => ![...succeeded].some((call) => template(r).test(call))).map((r) => `${r.method} ${r.path}`);
      expect(unused, 'routes of the template no call succeeded on').toEqual([]);

      // Nothing the stack printed names a patient.
      const logs = stack.logs();
      for (const value of phi) expect(logs).not.toContain(value);
    } catch (err) {
      failure = err;
      if (err instanceof Error) err.message += `\nThe stack's last words:\n${stack.logs().slice(-6000)}`;
    }
    const report = await stack.stopWithIamReport().catch((err: unknown) => {
      if (failure) return undefined;
      throw err;
    });
    if (failure) {
      // The run stopped early; say what IAM saw so far, which is often why.
      if (failure instanceof Error && report) failure.message += `\nIAM report so far: ${JSON.stringify({ refusals: report.refusals.map((r) => `${r.principal} ${r.action} ${r.resource}`), unused: report.unusedGrants.length })}`;
      throw failure;
    }
    if (!report) throw new Error('no IAM report');

    // ------------------------------------------------------------------ the IAM report
    const roleNames = new Set([...assembly.functions.map((f) => assembly.roles.get(f.roleArn)?.logicalId), assembly.roles.get(assembly.stateMachine.roleArn)?.logicalId]);
    expect(roleNames.size).toBe(assembly.functions.length + 1);
    expect(report.refusals, 'calls refused by IAM').toEqual([]);
    const unused = report.unusedGrants.filter((g) => roleNames.has(g.principal)).map((g) => `${g.principal} ${g.action} ${g.resource}`);
    expect(unused, 'grants of the functions and of the state machine that no call used').toEqual([]);
  }, 600_000);
});

describe('one grant removed from the template', () => {
  it("refuses a decision when the Decisions role may not query the audit table: the API answers an error, the record is unchanged, and the refusal is logged and reported without PHI", async () => {
    const source = await assemblyDir();
    const copy = mkdtempSync(join(tmpdir(), 'csf-assembly-'));
    cpSync(source, copy, { recursive: true });
    const templateFile = join(copy, readdirSync(copy).find((f) => f.endsWith('.template.json')) as string);
    const template = JSON.parse(readFileSync(templateFile, 'utf8')) as { Resources: Record<string, { Type: string; Metadata?: Record<string, unknown>; Properties?: any }> };
    const resources = Object.entries(template.Resources);
    const [, decisionsFn] = resources.find(([, r]) => r.Type === 'AWS::Lambda::Function' && r.Metadata?.['csf:handler-entry'] === API_HANDLERS.decisions) ?? [];
    const roleId = decisionsFn?.Properties?.Role?.['Fn::GetAtt']?.[0] as string;
    const auditTableId = decisionsFn?.Properties?.Environment?.Variables?.AUDIT_TABLE_NAME?.Ref as string;
    expect(roleId).toBeTruthy();
    expect(auditTableId).toBeTruthy();
    const documents = [
      ...((template.Resources[roleId]?.Properties?.Policies ?? []) as { PolicyDocument: any }[]).map((p) => p.PolicyDocument),
      ...resources.filter(([, r]) => /^AWS::IAM::(Managed)?Policy$/.test(r.Type) && (r.Properties?.Roles ?? []).some((x: { Ref?: string }) => x.Ref === roleId)).map(([, r]) => r.Properties.PolicyDocument),
    ];
    // Take dynamodb:Query on the audit table out of whichever statement allows it (splitting a
    // statement that names other resources too), leaving every other grant as it was.
    const auditTableRef = JSON.stringify({ 'Fn::GetAtt': [auditTableId, 'Arn'] });
    let removed = 0;
    for (const doc of documents) {
      const statements: any[] = [];
      for (const statement of [doc.Statement].flat()) {
        const actions = [statement.Action].flat() as string[];
        const targets = [statement.Resource].flat() as unknown[];
        const onAuditTable = targets.some((r) => JSON.stringify(r) === auditTableRef);
        if (statement.Effect !== 'Allow' || !onAuditTable || !actions.includes('dynamodb:Query')) {
          statements.push(statement);
          continue;
        }
        removed += 1;
        const others = targets.filter((r) => JSON.stringify(r) !== auditTableRef);
        if (others.length > 0) statements.push({ ...statement, Resource: others });
        const rest = actions.filter((a) => a !== 'dynamodb:Query');
        if (rest.length > 0) statements.push({ ...statement, Action: rest, Resource: JSON.parse(auditTableRef) });
      }
      doc.Statement = statements;
    }
    expect(removed, 'the Decisions role allows dynamodb:Query on the audit table (the hash-chain head every save reads)').toBe(1);
    writeFileSync(templateFile, JSON.stringify(template));

    const stack = await LocalStackUnderTest.start({ LOCAL_ASSEMBLY_DIR: copy }).catch((err: unknown) => {
      rmSync(copy, { recursive: true, force: true });
      throw err;
    });
    const auditTableArn = `arn:aws:dynamodb:${LOCAL_REGION}:000000000000:table/${stack.tables.audit}`;
    let failure: unknown;
    try {
      const { patientId, body } = await stack.refer();
      const before = await stack.waitForPending(patientId, 'TRIAGE');
      const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: { ...acceptTriage(), pendingDecisionId: before.pendingDecision?.id } });
      expect(res.status).toBeGreaterThanOrEqual(500);
      expect(res.body.error.code).toBeTruthy();
      const after = await stack.store().getPatient(patientId);
      expect(after?.rev).toBe(before.rev);
      expect(after?.pendingDecision?.id).toBe(before.pendingDecision?.id);
      expect(after?.decidedAt).toBeNull();
      expect((await stack.store().patientTimeline(patientId)).map((e) => e.action)).not.toContain('decision_recorded');
      const logs = stack.logs();
      expect(logs).toContain(`IAM: refused dynamodb:Query on ${auditTableArn}`);
      for (const value of [body.patient.familyName, body.patient.givenName, body.patient.mrn]) expect(logs).not.toContain(value);
    } catch (err) {
      failure = err;
    }
    const report = await stack.stopWithIamReport().catch((err: unknown) => {
      if (failure) return undefined;
      throw err;
    });
    rmSync(copy, { recursive: true, force: true });
    if (failure) throw failure;
    expect(report?.refusals).toEqual([expect.objectContaining({ principal: roleId, action: 'dynamodb:Query', resource: auditTableArn, count: 1 })]);
  }, 300_000);
});
