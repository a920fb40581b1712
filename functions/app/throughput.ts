// The throughput report, built from pre-aggregated monthly counters: its cost depends on the
// number of months asked for, not on the number of patients.
import { stringify } from 'csv-stringify/sync';
import { allStageIds, CARE_PATHWAY } from '../domain/pathway.js';

type Stage = string;
import { FUNNEL, FUNNEL_UNITS, percentOf, type FunnelMeasure } from './figures.js';

type Funnel = Record<FunnelMeasure, number>;

export { FUNNEL_UNITS, percentOf };

export interface StageMonth {
  readonly stage: Stage;
  readonly entered: number;
  readonly exited: number;
  /** Whole days, rounded down (the counters' buckets), holds excluded. */
  readonly medianDays: number | null;
  readonly p90Days: number | null;
  /**
   * Whole hours, rounded down, when the quantile lies under a day and the counters recorded the
   * hours (`h<hours>` buckets); otherwise whole days times 24, or null when unknown or empty.
   */
  readonly medianHours: number | null;
  readonly p90Hours: number | null;
}
export interface MonthReport {
  readonly month: string;
  readonly stages: StageMonth[];
  readonly funnel: Funnel;
  readonly yield: { technique: string; slec: string; studies: number; localised: number }[];
  readonly outcomes: { procedure: string; visit: string; outcome: string; count: number }[];
}
export interface ThroughputReport {
  readonly from: string;
  readonly to: string;
  readonly months: MonthReport[];
  readonly totals: { readonly funnel: Funnel; readonly stages: StageMonth[] };
}

type Item = Record<string, unknown>;
const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v ?? 0)) || 0;

/** Quantile of a days histogram ({d<days>: count}); null when empty. */
export function histogramQuantile(histogram: Map<number, number>, q: number): number | null {
  const total = [...histogram.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (const days of [...histogram.keys()].sort((a, b) => a - b)) {
    seen += histogram.get(days) ?? 0;
    if (seen >= rank) return days;
  }
  return null;
}

function histogramOf(item: Item | undefined): Map<number, number> {
  const h = new Map<number, number>();
  for (const [k, v] of Object.entries(item ?? {})) if (/^d\d+$/.test(k)) h.set(Number(k.slice(1)), num(v));
  return h;
}

/** Hours buckets of exits under a day ({h<hours>: count}), when the counters recorded them. */
function hoursHistogramOf(item: Item | undefined): Map<number, number> {
  const h = new Map<number, number>();
  for (const [k, v] of Object.entries(item ?? {})) if (/^h\d+$/.test(k)) h.set(Number(k.slice(1)), num(v));
  return h;
}

const UNKNOWN_HOURS = -1;

/** One histogram in hours: exact hours under a day where known, days times 24 above. */
function inHours(days: Map<number, number>, hours: Map<number, number>): Map<number, number> {
  const out = new Map<number, number>();
  const knownUnderADay = [...hours.values()].reduce((a, b) => a + b, 0);
  const unknown = Math.max(0, (days.get(0) ?? 0) - knownUnderADay);
  if (unknown) out.set(UNKNOWN_HOURS, unknown);
  for (const [h, n] of hours) out.set(h, (out.get(h) ?? 0) + n);
  for (const [d, n] of days) if (d > 0) out.set(d * 24, (out.get(d * 24) ?? 0) + n);
  return out;
}

const hoursQuantile = (days: Map<number, number>, hours: Map<number, number>, q: number): number | null => {
  const v = histogramQuantile(inHours(days, hours), q);
  return v === UNKNOWN_HOURS ? null : v;
};

function add(into: Map<number, number>, from: Map<number, number>): void {
  for (const [k, n] of from) into.set(k, (into.get(k) ?? 0) + n);
}

function stageRow(stage: Stage, entered: number, exited: number, hist: Map<number, number>, hours: Map<number, number>): StageMonth {
  return {
    stage,
    entered,
    exited,
    medianDays: histogramQuantile(hist, 0.5),
    p90Days: histogramQuantile(hist, 0.9),
    medianHours: hoursQuantile(hist, hours, 0.5),
    p90Hours: hoursQuantile(hist, hours, 0.9),
  };
}

export function throughputReport(months: readonly string[], itemsByMonth: readonly Item[][], STAGES: readonly string[] = allStageIds(CARE_PATHWAY)): ThroughputReport {
  const totalsFunnel = Object.fromEntries(FUNNEL.map((f) => [f, 0])) as Funnel;
  const totalHist = new Map<Stage, Map<number, number>>();
  const totalHours = new Map<Stage, Map<number, number>>();
  const totalCounts = new Map<Stage, { entered: number; exited: number }>();
  const reports = months.map((month, i) => {
    const items = itemsByMonth[i] ?? [];
    const bySk = new Map(items.map((it) => [String(it.SK), it]));
    const stages = STAGES.map((stage) => {
      const item = bySk.get(`STAGE#${stage}`);
      const hist = histogramOf(item);
      const hours = hoursHistogramOf(item);
      const total = totalHist.get(stage) ?? new Map<number, number>();
      add(total, hist);
      totalHist.set(stage, total);
      const totalH = totalHours.get(stage) ?? new Map<number, number>();
      add(totalH, hours);
      totalHours.set(stage, totalH);
      const counts = totalCounts.get(stage) ?? { entered: 0, exited: 0 };
      counts.entered += num(item?.entered);
      counts.exited += num(item?.exited);
      totalCounts.set(stage, counts);
      return stageRow(stage, num(item?.entered), num(item?.exited), hist, hours);
    });
    const funnelItem = bySk.get('FUNNEL');
    const funnel = Object.fromEntries(FUNNEL.map((f) => [f, num(funnelItem?.[f])])) as Funnel;
    for (const f of FUNNEL) totalsFunnel[f] += funnel[f];
    const yieldRows = new Map<string, { technique: string; slec: string; studies: number; localised: number }>();
    for (const [k, v] of Object.entries(bySk.get('YIELD') ?? {})) {
      const [technique, slec, what] = k.split('|');
      if (!technique || !slec || !what) continue;
      const row = yieldRows.get(`${technique}|${slec}`) ?? { technique, slec, studies: 0, localised: 0 };
      if (what === 'studies') row.studies += num(v);
      if (what === 'localised') row.localised += num(v);
      yieldRows.set(`${technique}|${slec}`, row);
    }
    const outcomes = Object.entries(bySk.get('OUTCOMES') ?? {})
      .map(([k, v]) => ({ parts: k.split('|'), count: num(v) }))
      .filter(({ parts }) => parts.length === 3)
      .map(({ parts, count }) => ({ procedure: parts[0] as string, visit: parts[1] as string, outcome: parts[2] as string, count }));
    return { month, stages, funnel, yield: [...yieldRows.values()], outcomes };
  });
  return {
    from: months[0] ?? '',
    to: months.at(-1) ?? '',
    months: reports,
    totals: {
      funnel: totalsFunnel,
      stages: STAGES.map((stage) => {
        const c = totalCounts.get(stage) ?? { entered: 0, exited: 0 };
        return stageRow(stage, c.entered, c.exited, totalHist.get(stage) ?? new Map<number, number>(), totalHours.get(stage) ?? new Map<number, number>());
      }),
    },
  };
}

/**
 * The report as a tidy table: one row per month and measure (and stage or breakdown where the
 * measure has one), with its unit. Rows of a count measure add up: the sum of `myelographies`
 * over the months is the range's total. Quantiles (unit `hours`) are per row and never summed.
 */
export function throughputCsv(report: ThroughputReport): string {
  const rows: (string | number)[][] = [];
  for (const m of report.months) {
    for (const f of FUNNEL) rows.push([m.month, f, FUNNEL_UNITS[f], '', '', m.funnel[f]]);
    for (const s of m.stages) {
      rows.push([m.month, 'stage_entered', 'stage entries', s.stage, '', s.entered]);
      rows.push([m.month, 'stage_exited', 'stage exits', s.stage, '', s.exited]);
      if (s.medianHours !== null) rows.push([m.month, 'median_time_in_stage', 'hours', s.stage, '', s.medianHours]);
      if (s.p90Hours !== null) rows.push([m.month, 'p90_time_in_stage', 'hours', s.stage, '', s.p90Hours]);
    }
    for (const y of m.yield) {
      rows.push([m.month, 'myelographies_by_technique', 'myelograms', '', `${y.technique}|${y.slec}`, y.studies]);
      rows.push([m.month, 'localised_by_technique', 'myelograms', '', `${y.technique}|${y.slec}`, y.localised]);
    }
    for (const o of m.outcomes) rows.push([m.month, 'follow_up_outcomes', 'follow-up visits', '', `${o.procedure}|${o.visit}|${o.outcome}`, o.count]);
  }
  return stringify(rows, { header: true, columns: ['month', 'measure', 'unit', 'stage', 'breakdown', 'value'] });
}
