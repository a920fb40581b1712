// Proof that the pathway can grow: a variant with one extra stage, defined by adding to the
// definition only (tests/e2e/variant/pathway-with-review.ts), gets its state machine from the
// generator and carries a patient end to end on the local stack: emails, worklist, audit and
// timeline all name the new stage, and nothing else in the code had to change.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDefinition } from '../../scripts/gen-asl.js';
import { acceptTriage, leakFound, patchPerformed } from '../support/fixtures.js';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { pathway } from './variant/pathway-with-review.js';

const MODULE = fileURLToPath(new URL('./variant/pathway-with-review.ts', import.meta.url));
let stack: LocalStackUnderTest;

beforeAll(async () => {
  const asl = join(mkdtempSync(join(tmpdir(), 'csf-variant-')), 'variant.asl.json');
  writeFileSync(asl, renderDefinition(pathway));
  stack = await LocalStackUnderTest.start({ PATHWAY_DEFINITION_MODULE: MODULE, LOCAL_ASL_PATH: asl });
});
afterAll(async () => {
  await stack?.stop();
});

async function decide(patientId: string, body: Record<string, unknown>, role: 'physician' | 'coordinator' = 'physician') {
  await stack.waitForPending(patientId, String(body.stage));
  const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role, body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
}

describe('a pathway grown by one stage', () => {
  it('routes a planned patch through the multidisciplinary review, which can send it back or approve it, end to end', async () => {
    const { patientId, caseRef } = await stack.refer();
    await decide(patientId, acceptTriage());
    await stack.waitForPending(patientId, 'IMAGING_SELECTION');
    const technique = (await stack.api('GET', `/patients/${patientId}`, { role: 'physician' })).body.recommendation.recommended as string;
    await decide(patientId, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
    await decide(patientId, leakFound(technique));
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });

    const inReview = await stack.waitForPending(patientId, 'MULTIDISCIPLINARY_REVIEW');
    expect(inReview.awaiting).toMatchObject({ stage: 'MULTIDISCIPLINARY_REVIEW', role: 'physician', team: 'neurointerventional', site: 'sacramento' });
    const list = await stack.api('GET', '/patients?limit=200', { role: 'coordinator' });
    expect(list.body.items.find((i: { patientId: string }) => i.patientId === patientId)).toMatchObject({ stage: 'MULTIDISCIPLINARY_REVIEW', overdue: false });
    // The worklist filter takes the new stage (its query schema is built from the definition).
    const filtered = await stack.api('GET', '/patients?stage=MULTIDISCIPLINARY_REVIEW&limit=200', { role: 'coordinator' });
    expect(filtered.status, JSON.stringify(filtered.body)).toBe(200);
    expect(filtered.body.items.map((i: { patientId: string }) => i.patientId)).toContain(patientId);
    const detail = await stack.api('GET', `/patients/${patientId}`, { role: 'physician' });
    expect(detail.body.pendingDecision).toMatchObject({ stage: 'MULTIDISCIPLINARY_REVIEW', allowedOutcomes: ['approve', 'revise'] });
    expect(detail.body.recommendation).toBeNull();
    const refused = await stack.api('POST', `/patients/${patientId}/decisions`, { role: 'physician', body: { stage: 'MULTIDISCIPLINARY_REVIEW', outcome: 'revise' } });
    expect(refused.status).toBe(400);

    await decide(patientId, { stage: 'MULTIDISCIPLINARY_REVIEW', outcome: 'revise', reason: 'Consider fibrin first' });
    await decide(patientId, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
    await decide(patientId, { stage: 'MULTIDISCIPLINARY_REVIEW', outcome: 'approve' });
    await decide(patientId, patchPerformed);
    await stack.waitForPending(patientId, 'FOLLOW_UP');

    const timeline = await stack.store().patientTimeline(patientId);
    expect(timeline.filter((e) => e.action === 'stage_entered' && e.stage === 'MULTIDISCIPLINARY_REVIEW')).toHaveLength(2);
    expect(timeline.filter((e) => e.action === 'decision_recorded' && e.stage === 'MULTIDISCIPLINARY_REVIEW').map((e) => e.details.outcome)).toEqual(['revise', 'approve']);
    const reviewMails = (await stack.inbox()).filter((m) => m.subject.startsWith(`[${caseRef}] Multidisciplinary review`));
    expect(reviewMails).toHaveLength(2);
    expect(reviewMails.every((m) => m.destination.to.includes('neurointerventional.sacramento@example.org'))).toBe(true);
    expect(reviewMails[0]?.body.text).toContain('approve or revise');

    // The throughput report counts the new stage like any other (its stage list is the definition's).
    const month = new Date().toISOString().slice(0, 7);
    const report = await stack.api('GET', `/metrics/throughput?from=${month}&to=${month}`, { role: 'administrator' });
    expect(report.status).toBe(200);
    const row = report.body.totals.stages.find((s: { stage: string }) => s.stage === 'MULTIDISCIPLINARY_REVIEW');
    expect(row).toMatchObject({ entered: expect.any(Number), exited: expect.any(Number) });
    expect(row.entered).toBeGreaterThanOrEqual(2);
    expect(row.exited).toBeGreaterThanOrEqual(2);
  });
});
