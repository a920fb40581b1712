// The printed table: every figure with its target and PASS / MISS.
import type { BundleResult } from './bundles.js';
import type { CostResult } from './cost.js';
import type { MachineInfo } from './machine.js';
import type { ScaleResult } from './worklist.js';
import type { WriteCost } from './write-costs.js';

export type Verdict = 'PASS' | 'MISS' | '';

export interface Row {
  readonly figure: string;
  readonly value: string;
  readonly target: string;
  readonly verdict: Verdict;
  /** The number behind `value` (for the JSON). */
  readonly raw: number | null;
}

export interface EngineSummary {
  readonly patients: number;
  readonly concurrency: number;
  readonly transitionsPerSecond: number;
  readonly latencyP50: number;
  readonly latencyP95: number;
  readonly rawPerSecond: number;
  readonly ratio: number;
  readonly transactionsPerTransition: number;
  /** Items the product wrote per transition (every transaction's items and single-item writes). */
  readonly itemsWrittenPerTransition: number;
  /** Items one raw transaction writes. */
  readonly rawItemsPerTransaction: number;
  /** What each kind of DynamoDB call costs this DynamoDB Local (bench/write-costs.ts). */
  readonly writeCosts: readonly WriteCost[];
  /** DynamoDB calls of the product per engine transition, by operation (median rep). */
  readonly callsPerTransition: Record<string, number>;
}

const ms = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const n = (v: number) => v.toLocaleString('en-US');
const dollars = (v: number) => (v >= 1 ? `$${v.toFixed(2)}` : `$${v.toFixed(6)}`);
const atLeast = (v: number, min: number): Verdict => (Number.isFinite(v) && v >= min ? 'PASS' : 'MISS');
const atMost = (v: number, max: number): Verdict => (Number.isFinite(v) && v <= max ? 'PASS' : 'MISS');
const info = (figure: string, value: string, raw: number | null = null): Row => ({ figure, value, target: '', verdict: '', raw });

export function engineRows(e: EngineSummary): Row[] {
  return [
    info(`1 Engine: transitions/s (${n(e.patients)} patients, ${e.concurrency} in flight)`, e.transitionsPerSecond.toFixed(1), e.transitionsPerSecond),
    info('1 Engine: decision 202 -> next pending visible, p50', `${ms(e.latencyP50)} ms`, e.latencyP50),
    info('1 Engine: decision 202 -> next pending visible, p95', `${ms(e.latencyP95)} ms`, e.latencyP95),
    info('1 DynamoDB Local: raw TransactWriteItems/s (savePatient)', e.rawPerSecond.toFixed(1), e.rawPerSecond),
    info('1 Engine: TransactWriteItems per transition', e.transactionsPerTransition.toFixed(1), e.transactionsPerTransition),
    info('1 Engine: items written per transition (raw transaction: items)', `${e.itemsWrittenPerTransition.toFixed(1)} (raw ${e.rawItemsPerTransaction})`, e.itemsWrittenPerTransition),
    // DynamoDB Local spends its time on written items: the ratio cannot pass raw items / engine items.
    info('1 Ratio the written items allow (raw items / engine items)', (e.rawItemsPerTransaction / e.itemsWrittenPerTransition).toFixed(3), e.rawItemsPerTransaction / e.itemsWrittenPerTransition),
    { figure: '1 Engine rate / raw transaction rate', value: e.ratio.toFixed(3), target: '>= 0.5', verdict: atLeast(e.ratio, 0.5), raw: e.ratio },
    ...e.writeCosts.map((w) => info(`1   DynamoDB Local, ${w.lanes} lanes: ${w.operation}`, `${w.msEach.toFixed(2)} ms`, w.msEach)),
  ];
}

export function scaleRows(s: ScaleResult): Row[] {
  const rows: Row[] = [];
  for (const size of s.sizes) {
    const m = size.median;
    const at = n(size.size);
    const stopped = (k: 'worklist' | 'overdue') => size.reps.some((r) => r.scansStopped[k] > 0);
    const scan = (v: { p50: number; p95: number }, k: 'worklist' | 'overdue') =>
      stopped(k) ? `> ${(v.p50 / 1000).toFixed(0)} s (stopped)` : `${ms(v.p50)} / ${ms(v.p95)} ms`;
    rows.push(info(`2 Stage worklist (limit 50) at ${at}: p50 / p95`, `${ms(m.worklist.p50)} / ${ms(m.worklist.p95)} ms`, m.worklist.p95));
    rows.push(info(`2   Scan baseline at ${at}: p50 / p95`, scan(m.worklistScan, 'worklist'), m.worklistScan.p50));
    rows.push(info(`2 Overdue list (limit 50) at ${at}: p50 / p95`, `${ms(m.overdue.p50)} / ${ms(m.overdue.p95)} ms`, m.overdue.p95));
    rows.push(info(`2   Scan baseline at ${at}: p50 / p95`, scan(m.overdueScan, 'overdue'), m.overdueScan.p50));
  }
  const big = n(s.largest);
  const small = n(s.smallest);
  const faster = (v: number) => `${s.speedupIsLowerBound ? '>= ' : ''}${v.toFixed(0)}x faster`;
  rows.push({ figure: `2 Stage worklist vs Scan at ${big} (p50)`, value: faster(s.worklistSpeedupVsScan), target: '>= 50x', verdict: atLeast(s.worklistSpeedupVsScan, 50), raw: s.worklistSpeedupVsScan });
  rows.push({ figure: `2 Overdue list vs Scan at ${big} (p50)`, value: faster(s.overdueSpeedupVsScan), target: '>= 50x', verdict: atLeast(s.overdueSpeedupVsScan, 50), raw: s.overdueSpeedupVsScan });
  rows.push({ figure: `2 Stage worklist p95 at ${big} / at ${small}`, value: s.worklistP95Growth.toFixed(2), target: '<= 1.5', verdict: atMost(s.worklistP95Growth, 1.5), raw: s.worklistP95Growth });
  rows.push({ figure: `2 Overdue list p95 at ${big} / at ${small}`, value: s.overdueP95Growth.toFixed(2), target: '<= 1.5', verdict: atMost(s.overdueP95Growth, 1.5), raw: s.overdueP95Growth });
  for (const size of s.sizes) {
    rows.push(info(`3 Throughput report, 12 months, at ${n(size.size)}: p50 / p95`, `${ms(size.median.report.p50)} / ${ms(size.median.report.p95)} ms`, size.median.report.p50));
  }
  rows.push({ figure: `3 Throughput report p50 at ${big} / at ${small}`, value: s.reportP50Growth.toFixed(2), target: '<= 1.5', verdict: atMost(s.reportP50Growth, 1.5), raw: s.reportP50Growth });
  return rows;
}

export function costRows(c: CostResult): Row[] {
  const u = c.units;
  return [
    info('4 Per pathway: Step Functions state transitions', u.stateTransitions.toFixed(1), u.stateTransitions),
    info('4 Per pathway: Lambda invocations', u.lambdaInvocations.toFixed(1), u.lambdaInvocations),
    info(`4 Per pathway: Lambda GB-s (${c.assumptions.lambdaMemoryMb} MB Arm)`, u.lambdaGbSeconds.toFixed(3), u.lambdaGbSeconds),
    info('4 Per pathway: DynamoDB write request units', u.writeRequestUnits.toFixed(1), u.writeRequestUnits),
    info('4 Per pathway: DynamoDB read request units', u.readRequestUnits.toFixed(1), u.readRequestUnits),
    info('4 Per pathway: emails', u.emails.toFixed(1), u.emails),
    info('4   $ Step Functions / Lambda / DynamoDB / SES', [c.dollars.stepFunctions, c.dollars.lambdaRequests + c.dollars.lambdaCompute, c.dollars.dynamoWrites + c.dollars.dynamoReads, c.dollars.ses].map(dollars).join(' / '), null),
    { figure: '4 Cost per completed pathway', value: dollars(c.dollars.total), target: '<= $0.005', verdict: atMost(c.dollars.total, 0.005), raw: c.dollars.total },
    info(`4 Cost per ${n(c.perYear.patients)} patients a year`, dollars(c.perYear.dollars), c.perYear.dollars),
  ];
}

export function bundleRows(bundles: readonly BundleResult[]): Row[] {
  return bundles.flatMap((b) => {
    const name = b.entry.replace(/^functions\//, '').replace(/\.ts$/, '');
    const kb = b.bytes / 1024;
    return [
      { figure: `5 Bundle ${name}: size`, value: `${kb.toFixed(1)} KB`, target: '<= 250 KB', verdict: atMost(kb, 250), raw: kb },
      { figure: `5 Bundle ${name}: module init (median)`, value: `${ms(b.initMs)} ms`, target: '<= 100 ms', verdict: atMost(b.initMs, 100), raw: b.initMs },
      info(`5   ${name}: init of its @aws-sdk imports alone`, `${ms(b.sdkInitMs)} ms`, b.sdkInitMs),
    ];
  });
}

export function formatTable(rows: readonly Row[], machine: MachineInfo): string {
  const head = { figure: 'Figure', value: 'Measured', target: 'Target', verdict: 'Result' };
  const w = {
    figure: Math.max(head.figure.length, ...rows.map((r) => r.figure.length)),
    value: Math.max(head.value.length, ...rows.map((r) => r.value.length)),
    target: Math.max(head.target.length, ...rows.map((r) => r.target.length)),
  };
  const line = (r: { figure: string; value: string; target: string; verdict: string }) =>
    `| ${r.figure.padEnd(w.figure)} | ${r.value.padStart(w.value)} | ${r.target.padEnd(w.target)} | ${r.verdict.padEnd(6)} |`;
  const sep = `|${'-'.repeat(w.figure + 2)}|${'-'.repeat(w.value + 1)}:|${'-'.repeat(w.target + 2)}|--------|`;
  const out = [line(head), sep, ...rows.map(line)];
  const passed = rows.filter((r) => r.verdict === 'PASS').length;
  const missed = rows.filter((r) => r.verdict === 'MISS').length;
  out.push('');
  out.push(`${passed} targets met, ${missed} missed.`);
  out.push(`Machine: ${machine.os}, ${machine.arch}, ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB} GiB; Node ${machine.node}; ${machine.java}; load average ${machine.loadAverage1m} at start; ${machine.date}`);
  return out.join('\n');
}
