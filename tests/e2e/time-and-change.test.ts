// Time and change on the real local stack, with service levels shortened to seconds by
// configuration (no test waits real days): overdue reminders and escalations, stop-the-clock
// holds, the SLA report, pathways continued into new executions, and pathway versions.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { acceptTriage, leakFound, patchPerformed } from '../support/fixtures.js';

const SECOND_IN_DAYS = 1 / 86_400;
let stack: LocalStackUnderTest;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start({
    LOCAL_SWEEP_INTERVAL_MS: '200',
    LOCAL_PATHWAY_CONFIG: JSON.stringify({
      serviceLevelDays: { TRIAGE: 2 * SECOND_IN_DAYS },
      overdue: { reminderAfterDays: 0, escalateAfterDays: 3 * SECOND_IN_DAYS },
      // Force continuations: a new execution every 3 steps.
      executionLimits: { maxStepsPerExecution: 3, maxExecutionDays: 300 },
    }),
  });
});
afterAll(async () => {
  await stack?.stop();
});

const refer = () => stack.refer();

const actionsOf = async (patientId: string) => (await stack.store().patientTimeline(patientId)).map((e) => e.action);
const count = (xs: string[], x: string) => xs.filter((a) => a === x).length;

describe('service levels and the overdue sweep', () => {
  it('reminds the owner once when a decision goes overdue, then escalates once to the site lead', async () => {
    const { patientId, caseRef } = await refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    await stack.waitFor('reminder', async () => count(await actionsOf(patientId), 'reminder_sent') === 1, 10_000);
    const overdue = await stack.api('GET', '/patients?overdue=true&stage=TRIAGE', { role: 'coordinator' });
    expect(overdue.body.items.find((i: { patientId: string }) => i.patientId === patientId)).toMatchObject({ overdue: true });
    await stack.waitFor('escalation', async () => count(await actionsOf(patientId), 'overdue_escalated') === 1, 10_000);
    await new Promise((r) => setTimeout(r, 1000)); // five more sweeps
    const actions = await actionsOf(patientId);
    expect(count(actions, 'reminder_sent')).toBe(1);
    expect(count(actions, 'overdue_escalated')).toBe(1);
    const mail = (await stack.inbox()).filter((e) => e.subject.includes(caseRef));
    expect(mail.filter((e) => (e.body.text ?? '').includes('Overdue:'))).toHaveLength(1);
    const escalations = mail.filter((e) => (e.body.text ?? '').includes('Escalated:'));
    expect(escalations).toHaveLength(1);
    expect(escalations[0]?.destination.to).toContain('lead.santa-clara@example.org');
  });

  it('stops the clock while a patient is on hold and restarts it on resume', async () => {
    const { patientId } = await refer();
    const pending = await stack.waitForPending(patientId, 'TRIAGE');
    expect((await stack.api('POST', `/patients/${patientId}/hold`, { role: 'coordinator', body: { reason: 'patient_request' } })).status).toBe(202);
    await new Promise((r) => setTimeout(r, 2500)); // past the original due date
    const overdue = await stack.api('GET', '/patients?overdue=true', { role: 'coordinator' });
    expect(overdue.body.items.map((i: { patientId: string }) => i.patientId)).not.toContain(patientId);
    expect(count(await actionsOf(patientId), 'reminder_sent')).toBe(0);
    expect((await stack.api('POST', `/patients/${patientId}/resume`, { role: 'coordinator', body: {} })).status).toBe(202);
    const resumed = await stack.store().getPatient(patientId);
    expect(Date.parse(resumed?.pendingDecision?.dueAt ?? '') - Date.parse(pending.pendingDecision?.dueAt ?? '')).toBeGreaterThanOrEqual(2400);
    expect(resumed?.patientHoldDaysInStage).toBeGreaterThan(2 * SECOND_IN_DAYS);
    const ended = (await stack.store().patientTimeline(patientId)).find((e) => e.action === 'hold_ended');
    expect(ended?.details).toMatchObject({ reason: 'patient_request', patientDriven: true });
  });

  it('reports the share of decisions within service level and the current overdue list', async () => {
    const { patientId } = await refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    expect((await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: acceptTriage() })).status).toBe(202);
    await stack.waitForPending(patientId, 'IMAGING_SELECTION');
    const month = new Date().toISOString().slice(0, 7);
    const res = await stack.api('GET', `/metrics/sla?from=${month}&to=${month}`, { role: 'administrator' });
    expect(res.status).toBe(200);
    const triage = res.body.rows.find((r: { stage: string }) => r.stage === 'TRIAGE');
    expect(triage.decisions).toBeGreaterThanOrEqual(1);
    expect(triage.shareWithinServiceLevel).toBeGreaterThanOrEqual(0);
    expect(triage.medianProgramDrivenDays).toBe(0);
    expect(res.body.overdue.length).toBeGreaterThanOrEqual(1);
    expect((await stack.api('GET', `/metrics/sla?from=${month}&to=${month}`, { role: 'coordinator' })).status).toBe(403);
  });
});

describe('pathways beyond one execution', () => {
  it('continues a long pathway in new executions with the record and audit whole', async () => {
    const { patientId } = await refer();
    const decide = async (body: Record<string, unknown>, role: 'physician' | 'coordinator' = 'physician') => {
      await stack.waitForPending(patientId, String(body.stage));
      const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role, body });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
    };
    await decide(acceptTriage());
    await stack.waitForPending(patientId, 'IMAGING_SELECTION');
    const technique = (await stack.api('GET', `/patients/${patientId}`, { role: 'physician' })).body.recommendation.recommended;
    await decide({ stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
    await decide(leakFound(technique));
    await decide({ stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
    await decide(patchPerformed);
    for (const visit of ['day1', 'week1', 'month3', 'month12']) await decide({ stage: 'FOLLOW_UP', outcome: 'resolved', visit }, 'coordinator');
    const done = await stack.waitForStatus(patientId, 'completed');
    expect(done.executions?.length).toBeGreaterThanOrEqual(3);
    expect(done.executionArn).toMatch(new RegExp(`:${patientId}-s\\d+$`));
    const events = await stack.store().patientTimeline(patientId);
    expect(events.filter((e) => e.action === 'execution_continued').length).toBe(done.executions?.length);
    // The record stays whole: one stage_entered per transition, one decision per decision.
    expect(events.filter((e) => e.action === 'decision_recorded')).toHaveLength(9);
    expect(events.filter((e) => e.action === 'stage_entered' && e.stage === 'FOLLOW_UP')).toHaveLength(4);
  });
});

describe('pathway versions', () => {
  it('leaves patients mid-way on their version while new referrals take the new one', async () => {
    const before = await refer();
    await stack.waitForPending(before.patientId, 'TRIAGE');
    const v1 = await stack.api('GET', `/patients/${before.patientId}`, { role: 'coordinator' });
    // Deploy a changed definition: same routes, a new version.
    const asl = JSON.parse(readFileSync('statemachines/care-pathway.asl.json', 'utf8')) as { Comment: string };
    const path = join(stack.dataDir, 'care-pathway-next.asl.json');
    writeFileSync(path, JSON.stringify({ ...asl, Comment: `${asl.Comment} (next version)` }));
    await stack.restart({ LOCAL_ASL_PATH: path });
    const after = await refer();
    const v2 = await stack.api('GET', `/patients/${after.patientId}`, { role: 'coordinator' });
    expect(Number(v2.body.pathwayVersion)).toBe(Number(v1.body.pathwayVersion) + 1);
    // Each execution runs on the version it started on (Step Functions names it in DescribeExecution).
    const sfn = new SFNClient({ endpoint: `http://127.0.0.1:${stack.ports.sfn}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const versionOf = async (executionArn: string) => (await sfn.send(new DescribeExecutionCommand({ executionArn }))).stateMachineVersionArn;
    expect(await versionOf(after.executionArn)).toMatch(new RegExp(`:stateMachine:[^:]+:${v2.body.pathwayVersion}$`));
    expect(await versionOf(before.executionArn)).toMatch(new RegExp(`:stateMachine:[^:]+:${v1.body.pathwayVersion}$`));
    sfn.destroy();
    // The patient mid-way finishes its step on its own version.
    expect((await stack.api('POST', `/patients/${before.patientId}/decisions`, { role: 'physician', body: acceptTriage() })).status).toBe(202);
    const moved = await stack.waitForPending(before.patientId, 'IMAGING_SELECTION');
    expect(moved.pathwayVersion).toBe(v1.body.pathwayVersion);
    const list = await stack.api('GET', '/patients?stage=TRIAGE', { role: 'coordinator' });
    expect(list.body.items.find((i: { patientId: string }) => i.patientId === after.patientId)?.pathwayVersion).toBe(v2.body.pathwayVersion);
  });
});
