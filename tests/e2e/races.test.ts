// Every pair of patient actions (decision, hold, resume, withdraw) sent 0 to 60 ms apart, on the
// real local stack: they serialise on the record (each answered 202 or 409), and the pathway is
// never left broken: a closed pathway is announced exactly once and its execution ends; an open
// one waits on a decision that can be answered (after a resume, if it is on hold) and moves on.
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptTriage } from '../support/fixtures.js';
import { LocalStackUnderTest, type ApiResponse } from '../support/local-stack.js';

let stack: LocalStackUnderTest;
let sfn: SFNClient;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
  sfn = new SFNClient({ endpoint: `http://127.0.0.1:${stack.ports.sfn}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
});
afterAll(async () => {
  sfn?.destroy();
  await stack?.stop();
});

type Action = 'decision' | 'hold' | 'resume' | 'withdraw';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function act(patientId: string, action: Action): Promise<ApiResponse> {
  const path = `/patients/${patientId}`;
  switch (action) {
    case 'decision':
      return stack.api('POST', `${path}/decisions`, { role: 'physician', body: acceptTriage() });
    case 'hold':
      return stack.api('POST', `${path}/hold`, { role: 'coordinator', body: { reason: 'travel' } });
    case 'resume':
      return stack.api('POST', `${path}/resume`, { role: 'coordinator', body: {} });
    case 'withdraw':
      return stack.api('POST', `${path}/withdraw`, { role: 'coordinator', body: { reason: 'Moved away' } });
  }
}

async function settle(patientId: string) {
  return stack.waitFor(`${patientId} settled`, async () => {
    const p = await stack.store().getPatient(patientId);
    if (!p) return undefined;
    if (p.status === 'withdrawn') return !p.decidedAt && (p.outbox ?? []).length === 0 ? p : undefined;
    const waiting = p.pendingDecision && p.taskToken && !p.decidedAt;
    return waiting && (p.status === 'on_hold' || (p.outbox ?? []).length === 0) ? p : undefined;
  });
}

async function trial(first: Action, second: Action, offsetMs: number, startOnHold: boolean): Promise<string[]> {
  const problems: string[] = [];
  const { patientId, caseRef } = await stack.refer();
  await stack.waitForPending(patientId, 'TRIAGE');
  if (startOnHold) expect((await act(patientId, 'hold')).status).toBe(202);
  const a = act(patientId, first);
  await sleep(offsetMs);
  const b = act(patientId, second);
  const answers = await Promise.all([a, b]);
  for (const r of answers) if (r.status !== 202 && r.status !== 409) problems.push(`answered ${r.status}: ${r.text}`);
  const decisionsAccepted = answers.filter((r, i) => [first, second][i] === 'decision' && r.status === 202).length;

  const p = await settle(patientId);
  const timeline = await stack.store().patientTimeline(patientId);
  const decided = timeline.filter((e) => e.action === 'decision_recorded').length;
  if (decided !== decisionsAccepted) problems.push(`${decisionsAccepted} decisions accepted, ${decided} recorded`);

  if (p.status === 'withdrawn') {
    const announced = timeline.filter((e) => e.action === 'notification_sent' && e.details.template === 'closed_withdrawn.coordinators');
    if (announced.length !== 1) problems.push(`withdrawal announced ${announced.length} times`);
    const inbox = (await stack.inbox()).filter((m) => m.subject.startsWith(`[${caseRef}]`));
    const teamMails = inbox.filter((m) => m.destination.to.some((t) => t.startsWith('neuroradiology.')) && m.subject.includes('Imaging selection'));
    if (teamMails.length > 1) problems.push(`imaging selection announced ${teamMails.length} times`);
    const execution = await stack.waitFor('execution ended', async () => {
      const d = await sfn.send(new DescribeExecutionCommand({ executionArn: p.executionArn }));
      return d.status !== 'RUNNING' ? d : undefined;
    });
    if (execution.status !== 'SUCCEEDED') problems.push(`execution ${execution.status}`);
    return problems;
  }
  // Open: the pathway must still work. Resume if held, then decide the pending stage.
  if (p.status === 'on_hold' && (await act(patientId, 'resume')).status !== 202) problems.push('resume refused');
  const pending = await stack.waitForPending(patientId, p.pendingDecision?.stage ?? 'TRIAGE');
  const stage = pending.pendingDecision?.stage;
  if (stage === 'TRIAGE') {
    if ((await act(patientId, 'decision')).status !== 202) problems.push('triage decision refused afterwards');
    await stack.waitForPending(patientId, 'IMAGING_SELECTION');
  } else if (stage === 'IMAGING_SELECTION') {
    const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'physician' });
    const body = { stage, outcome: 'confirm', technique: detail.body.recommendation.recommended, pendingDecisionId: detail.body.pendingDecision.id };
    if ((await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body })).status !== 202) problems.push('imaging decision refused afterwards');
    await stack.waitForPending(patientId, 'MYELOGRAPHY');
  } else {
    problems.push(`pending ${String(stage)}`);
  }
  return problems;
}

const ACTIVE_PAIRS: [Action, Action][] = (['decision', 'hold', 'withdraw'] as const).flatMap((a) => (['decision', 'hold', 'withdraw'] as const).map((b): [Action, Action] => [a, b]));
const HELD_PAIRS: [Action, Action][] = [
  ['resume', 'decision'],
  ['decision', 'resume'],
  ['resume', 'withdraw'],
  ['withdraw', 'resume'],
  ['resume', 'hold'],
  ['hold', 'resume'],
  ['resume', 'resume'],
];
const OFFSETS = [0, 20, 60];

describe('patient actions at the same instant', () => {
  for (const [pairs, onHold, label] of [
    [ACTIVE_PAIRS, false, 'a waiting patient'],
    [HELD_PAIRS, true, 'a patient on hold'],
  ] as const) {
    it(`serialise on the record for every pair on ${label}, at 0, 20 and 60 ms apart, leaving the pathway whole`, async () => {
      const trials = pairs.flatMap(([a, b]) => OFFSETS.map((ms) => ({ a, b, ms })));
      const failures: string[] = [];
      for (let i = 0; i < trials.length; i += 6) {
        const batch = trials.slice(i, i + 6);
        const results = await Promise.all(batch.map((t) => trial(t.a, t.b, t.ms, onHold).then((p) => p.map((x) => `${t.a}+${t.b}@${t.ms}ms: ${x}`))));
        failures.push(...results.flat());
      }
      expect(failures).toEqual([]);
    }, 600_000);
  }
});
