// The analytics add up: a seeded cohort goes through the real local stack, then every figure of
// the throughput report (JSON and CSV) and of the service-level report is recounted from the
// audit trail alone, as an auditor would, and must match.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptTriage, leakFound, noLeak, patchPerformed } from '../support/fixtures.js';
import { LocalStackUnderTest } from '../support/local-stack.js';

interface AuditItem {
  at: string;
  action: string;
  patientId: string | null;
  stage: string | null;
  details: Record<string, unknown>;
}

let stack: LocalStackUnderTest;
const cohort: string[] = [];

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
});
afterAll(async () => {
  await stack?.stop();
});

async function decide(patientId: string, body: Record<string, unknown>, role: 'physician' | 'coordinator' = 'physician') {
  await stack.waitForPending(patientId, String(body.stage));
  const res = await stack.api('POST', `/patients/${patientId}/decisions`, { role, body });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
}

async function technique(patientId: string): Promise<string> {
  await stack.waitForPending(patientId, 'IMAGING_SELECTION');
  return (await stack.api('GET', `/patients/${patientId}`, { role: 'physician' })).body.recommendation.recommended as string;
}

async function imaging(patientId: string): Promise<string> {
  const t = await technique(patientId);
  await decide(patientId, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique: t });
  return t;
}

const followUp = (patientId: string, visit: string, outcome: string) => decide(patientId, { stage: 'FOLLOW_UP', outcome, visit, hit6: 44, pgic: 6 }, 'coordinator');

/** Seven patients, chosen so patients and events differ: repeat myelograms, repeat procedures, a loop, closures. */
async function seedCohort(): Promise<void> {
  const refer = async (overrides: Record<string, unknown> = {}) => {
    const { patientId } = await stack.refer(overrides);
    cohort.push(patientId);
    return patientId;
  };
  const flows: (() => Promise<void>)[] = [
    // Completed after two myelograms (the first negative) and a patch.
    async () => {
      const p = await refer();
      await decide(p, acceptTriage('absent'));
      await decide(p, noLeak(await imaging(p)));
      await decide(p, leakFound(await imaging(p)));
      await decide(p, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
      await decide(p, patchPerformed);
      for (const visit of ['day1', 'week1', 'month3']) await followUp(p, visit, 'improved');
      await followUp(p, 'month12', 'resolved');
      await stack.waitForStatus(p, 'completed');
    },
    // Declined at triage.
    async () => {
      const p = await refer({ site: 'roseville-sacramento' });
      await decide(p, { stage: 'TRIAGE', outcome: 'decline', reason: 'Not a CSF leak' });
      await stack.waitForStatus(p, 'discharged');
    },
    // Information requested, then accepted; one myelogram; still at planning (urgent).
    async () => {
      const p = await refer({ urgency: 'urgent' });
      await decide(p, { stage: 'TRIAGE', outcome: 'request_info', reason: 'Need the spine MRI' });
      await decide(p, acceptTriage('present'));
      await decide(p, leakFound(await imaging(p)));
      await stack.waitForPending(p, 'TREATMENT_PLANNING');
    },
    // Two patches: the first not technically done, back to planning, then performed; a worse follow-up.
    async () => {
      const p = await refer();
      await decide(p, acceptTriage('present'));
      await decide(p, leakFound(await imaging(p)));
      await decide(p, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
      await decide(p, { stage: 'TARGETED_PATCH', outcome: 'not_performed', performedOn: '2026-11-21' });
      await decide(p, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch' });
      await decide(p, patchPerformed);
      await followUp(p, 'day1', 'worse');
      await stack.waitForPending(p, 'TREATMENT_PLANNING');
    },
    // Withdrawn while waiting on imaging selection.
    async () => {
      const p = await refer();
      await decide(p, acceptTriage('indeterminate'));
      await stack.waitForPending(p, 'IMAGING_SELECTION');
      expect((await stack.api('POST', `/patients/${p}/withdraw`, { role: 'coordinator', body: { reason: 'Moved away' } })).status).toBe(202);
      await stack.waitForStatus(p, 'withdrawn');
    },
    // Held and resumed at triage, then accepted.
    async () => {
      const p = await refer({ site: 'roseville-sacramento' });
      await stack.waitForPending(p, 'TRIAGE');
      expect((await stack.api('POST', `/patients/${p}/hold`, { role: 'coordinator', body: { reason: 'travel' } })).status).toBe(202);
      expect((await stack.api('POST', `/patients/${p}/resume`, { role: 'coordinator', body: {} })).status).toBe(202);
      await decide(p, acceptTriage('present'));
      await stack.waitForPending(p, 'IMAGING_SELECTION');
    },
    // Still waiting at triage.
    async () => {
      const p = await refer();
      await stack.waitForPending(p, 'TRIAGE');
    },
  ];
  await Promise.all(flows.map((f) => f()));
}

async function wholeAuditTrail(from: string): Promise<AuditItem[]> {
  const items: AuditItem[] = [];
  let nextToken: string | null = null;
  do {
    const q: URLSearchParams = new URLSearchParams({ from, limit: '200', ...(nextToken ? { nextToken } : {}) });
    const page: { status: number; body: { items: AuditItem[]; nextToken: string | null } } = await stack.api<{ items: AuditItem[]; nextToken: string | null }>('GET', `/audit?${q}`, { role: 'administrator' });
    expect(page.status).toBe(200);
    items.push(...page.body.items);
    nextToken = page.body.nextToken;
  } while (nextToken);
  return items;
}

const count = <T>(xs: readonly T[], pred: (x: T) => boolean) => xs.filter(pred).length;
const decisions = (audit: readonly AuditItem[], stage: string, outcome?: string) =>
  audit.filter((e) => e.action === 'decision_recorded' && e.stage === stage && (outcome === undefined || e.details.outcome === outcome));

describe('analytics recounted from the audit trail', () => {
  let audit: AuditItem[] = [];
  let report: any;
  let csvRows: { month: string; measure: string; unit: string; stage: string; breakdown: string; value: number }[] = [];
  let sla: any;
  const month = new Date().toISOString().slice(0, 7);
  const start = new Date(Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth() - 1, 1));
  const from = start.toISOString().slice(0, 7);

  beforeAll(async () => {
    await seedCohort();
    // Let the engine finish announcing every transition before counting.
    for (const p of cohort) await stack.waitFor(`${p} settled`, async () => {
      const r = await stack.store().getPatient(p);
      return r && r.notified.step >= r.lastStep && (r.status !== 'active' || (r.pendingDecision && r.taskToken));
    });
    audit = (await wholeAuditTrail(start.toISOString())).filter((e) => e.patientId && cohort.includes(e.patientId));
    report = (await stack.api('GET', `/metrics/throughput?from=${from}&to=${month}`, { role: 'administrator' })).body;
    const csv = (await stack.api('GET', `/metrics/throughput?from=${from}&to=${month}&format=csv`, { role: 'administrator' })).text;
    const [head, ...lines] = csv.trim().split('\n');
    expect(head).toBe('month,measure,unit,stage,breakdown,value');
    csvRows = lines.map((l) => {
      const [m, measure, unit, stage, breakdown, value] = l.split(',');
      return { month: m ?? '', measure: measure ?? '', unit: unit ?? '', stage: stage ?? '', breakdown: breakdown ?? '', value: Number(value) };
    });
    sla = (await stack.api('GET', `/metrics/sla?from=${from}&to=${month}`, { role: 'administrator' })).body;
  }, 240_000);

  it('counts patients once each: referred, accepted at triage and completed', () => {
    const referred = new Set(audit.filter((e) => e.action === 'referral_received').map((e) => e.patientId));
    expect(referred.size).toBe(7);
    expect(report.totals.funnel.referrals).toBe(referred.size);
    const accepted = new Set(decisions(audit, 'TRIAGE', 'accept').map((e) => e.patientId));
    expect(report.totals.funnel.accepted).toBe(accepted.size);
    expect(report.totals.funnel.accepted).toBe(5);
    const completed = new Set(audit.filter((e) => e.action === 'status_changed' && e.details.to === 'completed').map((e) => e.patientId));
    expect(report.totals.funnel.completed).toBe(completed.size);
  });

  it('counts myelograms and procedures as events, which outnumber the patients who had them', () => {
    const myelograms = decisions(audit, 'MYELOGRAPHY');
    expect(report.totals.funnel.myelographies).toBe(myelograms.length);
    expect(report.totals.funnel.localised).toBe(count(myelograms, (e) => e.details.outcome === 'leak_found'));
    expect(new Set(myelograms.map((e) => e.patientId)).size).toBeLessThan(myelograms.length);
    const procedures = [...decisions(audit, 'TARGETED_PATCH', 'performed'), ...decisions(audit, 'NEUROSURGICAL_ESCALATION', 'operated')];
    expect(report.totals.funnel.treated).toBe(procedures.length);
  });

  it('counts entries and exits of every stage as the audit trail records them', () => {
    for (const s of report.totals.stages as { stage: string; entered: number; exited: number }[]) {
      const entered = count(audit, (e) => e.action === 'stage_entered' && e.stage === s.stage);
      const exited = count(audit, (e) => (e.action === 'stage_entered' && e.details.from === s.stage) || (e.action === 'status_changed' && e.stage === s.stage));
      expect({ stage: s.stage, entered: s.entered, exited: s.exited }).toEqual({ stage: s.stage, entered, exited });
    }
  });

  it('recounts the localisation yield by technique and the follow-up outcomes by visit', () => {
    const yieldByTechnique = new Map<string, { studies: number; localised: number }>();
    for (const m of report.months) for (const y of m.yield) {
      const row = yieldByTechnique.get(y.technique) ?? { studies: 0, localised: 0 };
      row.studies += y.studies;
      row.localised += y.localised;
      yieldByTechnique.set(y.technique, row);
    }
    const recount = new Map<string, { studies: number; localised: number }>();
    for (const e of decisions(audit, 'MYELOGRAPHY')) {
      const row = recount.get(String(e.details.technique)) ?? { studies: 0, localised: 0 };
      row.studies += 1;
      row.localised += e.details.outcome === 'leak_found' ? 1 : 0;
      recount.set(String(e.details.technique), row);
    }
    expect(Object.fromEntries(yieldByTechnique)).toEqual(Object.fromEntries(recount));

    const outcomes = new Map<string, number>();
    for (const m of report.months) for (const o of m.outcomes) outcomes.set(`${o.visit}|${o.outcome}`, (outcomes.get(`${o.visit}|${o.outcome}`) ?? 0) + o.count);
    const recounted = new Map<string, number>();
    for (const e of decisions(audit, 'FOLLOW_UP')) recounted.set(`${e.details.visit}|${e.details.outcome}`, (recounted.get(`${e.details.visit}|${e.details.outcome}`) ?? 0) + 1);
    expect(Object.fromEntries(outcomes)).toEqual(Object.fromEntries(recounted));
  });

  it('gives a tidy CSV whose rows of each count measure add up to the report and the recount', () => {
    const sum = (measure: string, stage = '') => csvRows.filter((r) => r.measure === measure && (stage === '' || r.stage === stage)).reduce((n, r) => n + r.value, 0);
    for (const f of ['referrals', 'accepted', 'myelographies', 'localised', 'treated', 'completed']) expect({ f, sum: sum(f) }).toEqual({ f, sum: report.totals.funnel[f] });
    for (const s of report.totals.stages) {
      expect(sum('stage_entered', s.stage)).toBe(s.entered);
      expect(sum('stage_exited', s.stage)).toBe(s.exited);
    }
    expect(sum('myelographies_by_technique')).toBe(decisions(audit, 'MYELOGRAPHY').length);
    expect(sum('follow_up_outcomes')).toBe(decisions(audit, 'FOLLOW_UP').length);
    // One row per month and measure (and stage or breakdown): no figure is repeated.
    const keys = csvRows.map((r) => `${r.month}|${r.measure}|${r.stage}|${r.breakdown}`);
    expect(new Set(keys).size).toBe(keys.length);
    expect(new Set(csvRows.filter((r) => r.measure === 'referrals').map((r) => r.unit))).toEqual(new Set(['patients']));
    expect(new Set(csvRows.filter((r) => r.measure === 'myelographies').map((r) => r.unit))).toEqual(new Set(['myelograms']));
  });

  it('recounts the decisions per stage behind the service levels, and rounds shares one way', () => {
    const byStage = new Map<string, { decisions: number; within: number }>();
    for (const r of sla.rows as { stage: string; decisions: number; withinServiceLevel: number; percentWithinServiceLevel: number | null }[]) {
      const row = byStage.get(r.stage) ?? { decisions: 0, within: 0 };
      row.decisions += r.decisions;
      row.within += r.withinServiceLevel;
      byStage.set(r.stage, row);
      expect(r.percentWithinServiceLevel).toBe(r.decisions ? Math.floor((100 * r.withinServiceLevel) / r.decisions + 0.5) : null);
    }
    for (const stage of ['TRIAGE', 'IMAGING_SELECTION', 'MYELOGRAPHY', 'TREATMENT_PLANNING', 'TARGETED_PATCH', 'FOLLOW_UP']) {
      expect({ stage, decisions: byStage.get(stage)?.decisions ?? 0 }).toEqual({ stage, decisions: decisions(audit, stage).length });
    }
  });

  it('recounts the median and 90th-percentile time in stage from the entries and exits', () => {
    // Every stay in this cohort is short: whole days (rounded down) are 0; hours, when the
    // counters record them, are under a day.
    for (const s of report.totals.stages as { stage: string; exited: number; medianDays: number | null; p90Days: number | null; medianHours: number | null }[]) {
      if (s.exited === 0) {
        expect(s.medianDays).toBeNull();
        continue;
      }
      expect(s.medianDays).toBe(0);
      expect(s.p90Days).toBe(0);
      if (s.medianHours !== null) expect(s.medianHours).toBeLessThan(24);
    }
  });
});

describe('the audit trail, filtered for an administrator', () => {
  const audit = (query: Record<string, string>) => stack.api<{ items: AuditItem[]; nextToken: string | null }>('GET', `/audit?${new URLSearchParams(query)}`, { role: 'administrator' });

  it('finds a case by its case reference, newest first', async () => {
    const { patientId, caseRef } = await stack.refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    const res = await audit({ caseRef: caseRef.toLowerCase() });
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThan(0);
    expect(new Set(res.body.items.map((e) => e.patientId))).toEqual(new Set([patientId]));
    const times = res.body.items.map((e) => e.at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(res.body.items.at(-1)?.action).toBe('referral_received');
  });

  it('filters by action and by actor, and answers an unknown case reference with nothing', async () => {
    const { patientId } = await stack.refer();
    await stack.waitForPending(patientId, 'TRIAGE');
    await stack.api('GET', `/patients/${patientId}`, { role: 'physician', email: 'dr.filter@example.org' });
    const views = await audit({ patientId, action: 'record_viewed', actor: 'dr.filter@' });
    expect(views.body.items.map((e) => e.action)).toEqual(['record_viewed']);
    const system = await audit({ patientId, actor: 'system' });
    expect(system.body.items.length).toBeGreaterThan(0);
    expect(system.body.items.every((e) => (e as unknown as { actor: { role: string } }).actor.role === 'system')).toBe(true);
    expect((await audit({ caseRef: 'CSF-1999-999999' })).body).toEqual({ items: [], nextToken: null });
  });

  it('refuses a malformed case reference, an unknown action and a range that ends before it starts, naming the field', async () => {
    for (const [query, path] of [
      [{ caseRef: 'CSF-12' }, 'caseRef'],
      [{ action: 'dropped_table' }, 'action'],
      [{ from: '2026-12-01T00:00:00Z', to: '2026-01-01T00:00:00Z' }, 'to'],
    ] as const) {
      const res = await stack.api('GET', `/audit?${new URLSearchParams(query)}`, { role: 'administrator' });
      expect(res.status, JSON.stringify(query)).toBe(400);
      expect(res.body.error.issues[0].path).toBe(path);
    }
  });
});
