// Pure time rules: overdue thresholds, execution limits, and the report arithmetic.
import { describe, expect, it } from 'vitest';
import { overdueLevel } from '../../functions/domain/overdue.js';
import { nearsExecutionLimits } from '../../functions/domain/record.js';
import { slaRows } from '../../functions/app/sla-report.js';
import { histogramQuantile, throughputReport } from '../../functions/app/throughput.js';
import type { PatientRecord } from '../../functions/store/pathway-store.js';

const DAY = 86_400_000;
const due = '2026-11-10T00:00:00.000Z';
const at = (days: number) => new Date(Date.parse(due) + days * DAY);

describe('overdue thresholds', () => {
  const policy = { reminderAfterDays: 0, escalateAfterDays: 3 };

  it('is not overdue up to and including the due instant', () => {
    expect(overdueLevel(due, at(-1), policy)).toBe(0);
    expect(overdueLevel(due, at(0), policy)).toBe(0);
  });

  it('reminds once past due and escalates at the second threshold', () => {
    expect(overdueLevel(due, at(0.001), policy)).toBe(1);
    expect(overdueLevel(due, at(2.99), policy)).toBe(1);
    expect(overdueLevel(due, at(3), policy)).toBe(2);
  });

  it('waits for a configured grace period before the reminder', () => {
    expect(overdueLevel(due, at(0.5), { reminderAfterDays: 1, escalateAfterDays: 5 })).toBe(0);
    expect(overdueLevel(due, at(1.5), { reminderAfterDays: 1, escalateAfterDays: 5 })).toBe(1);
  });
});

describe('execution limits', () => {
  const patient = { createdAt: '2026-01-01T00:00:00.000Z', executionFirstStep: 10, executionStartedAt: '2026-06-01T00:00:00.000Z' } as PatientRecord;
  const limits = { maxStepsPerExecution: 100, maxExecutionDays: 300 };

  it('hands over after the configured number of steps in this execution', () => {
    expect(nearsExecutionLimits(patient, 109, new Date('2026-06-02T00:00:00Z'), limits)).toBe(false);
    expect(nearsExecutionLimits(patient, 110, new Date('2026-06-02T00:00:00Z'), limits)).toBe(true);
  });

  it('hands over before the execution is a year old', () => {
    expect(nearsExecutionLimits(patient, 11, new Date('2027-03-28T00:00:00Z'), limits)).toBe(true);
    expect(nearsExecutionLimits(patient, 11, new Date('2027-03-26T00:00:00Z'), limits)).toBe(false);
  });
});

describe('report arithmetic', () => {
  it('takes median and 90th percentile from a days histogram', () => {
    const h = new Map([
      [1, 5],
      [3, 4],
      [10, 1],
    ]);
    expect(histogramQuantile(h, 0.5)).toBe(1);
    expect(histogramQuantile(h, 0.9)).toBe(3);
    expect(histogramQuantile(h, 1)).toBe(10);
    expect(histogramQuantile(new Map(), 0.5)).toBeNull();
  });

  it('builds throughput and SLA rows from counter items alone', () => {
    const items = [
      { SK: 'STAGE#TRIAGE', entered: 4, exited: 3, d2: 2, d9: 1, withinSla: 2, lateSla: 1, pd2: 2, pd12: 1, hd0: 2, hd3: 1 },
      { SK: 'FUNNEL', referrals: 4, accepted: 3 },
      { SK: 'YIELD', 'decubitus_ctm|absent|studies': 2, 'decubitus_ctm|absent|localised': 1 },
    ];
    const report = throughputReport(['2026-11'], [items]);
    expect(report.months[0]?.stages.find((s) => s.stage === 'TRIAGE')).toMatchObject({ entered: 4, exited: 3, medianDays: 2, p90Days: 9 });
    expect(report.months[0]?.funnel).toMatchObject({ referrals: 4, accepted: 3, completed: 0 });
    expect(report.months[0]?.yield).toEqual([{ technique: 'decubitus_ctm', slec: 'absent', studies: 2, localised: 1 }]);
    const sla = slaRows(['2026-11'], [items]).find((r) => r.stage === 'TRIAGE');
    expect(sla).toMatchObject({ decisions: 3, withinServiceLevel: 2, shareWithinServiceLevel: 0.667, medianProgramDrivenDays: 2, medianPatientDrivenDays: 0 });
  });
});
