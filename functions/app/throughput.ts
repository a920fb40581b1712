// The throughput report, built from pre-aggregated monthly counters: its cost depends on the
// number of months asked for, not on the number of patients.
import { stringify } from 'csv-stringify/sync';
import { allStageIds, CARE_PATHWAY } from '../domain/pathway.js';

type Stage = string;

const FUNNEL = ['referrals', 'accepted', 'myelographies', 'localised', 'treated', 'completed'] as const;
type Funnel = Record<(typeof FUNNEL)[number], number>;

export interface StageMonth {
  readonly stage: Stage;
  readonly entered: number;
  readonly exited: number;
  readonly medianDays: number | null;
  readonly p90Days: number | null;
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

function stageRow(stage: Stage, item: Item | undefined, hist: Map<number, number>): StageMonth {
  return {
    stage,
    entered: num(item?.entered),
    exited: num(item?.exited),
    medianDays: histogramQuantile(hist, 0.5),
    p90Days: histogramQuantile(hist, 0.9),
  };
}

export function throughputReport(months: readonly string[], itemsByMonth: readonly Item[][], STAGES: readonly string[] = allStageIds(CARE_PATHWAY)): ThroughputReport {
  const totalsFunnel = Object.fromEntries(FUNNEL.map((f) => [f, 0])) as Funnel;
  const totalHist = new Map<Stage, Map<number, number>>();
  const totalCounts = new Map<Stage, { entered: number; exited: number }>();
  const reports = months.map((month, i) => {
    const items = itemsByMonth[i] ?? [];
    const bySk = new Map(items.map((it) => [String(it.SK), it]));
    const stages = STAGES.map((stage) => {
      const item = bySk.get(`STAGE#${stage}`);
      const hist = histogramOf(item);
      const total = totalHist.get(stage) ?? new Map<number, number>();
      for (const [d, n] of hist) total.set(d, (total.get(d) ?? 0) + n);
      totalHist.set(stage, total);
      const counts = totalCounts.get(stage) ?? { entered: 0, exited: 0 };
      counts.entered += num(item?.entered);
      counts.exited += num(item?.exited);
      totalCounts.set(stage, counts);
      return stageRow(stage, item, hist);
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
        const hist = totalHist.get(stage) ?? new Map<number, number>();
        return { stage, entered: c.entered, exited: c.exited, medianDays: histogramQuantile(hist, 0.5), p90Days: histogramQuantile(hist, 0.9) };
      }),
    },
  };
}

/** One row per month and stage, with that month's funnel beside it. */
export function throughputCsv(report: ThroughputReport): string {
  const rows = report.months.flatMap((m) =>
    m.stages.map((s) => [m.month, s.stage, s.entered, s.exited, s.medianDays ?? '', s.p90Days ?? '', ...FUNNEL.map((f) => m.funnel[f])]),
  );
  return stringify(rows, {
    header: true,
    columns: ['month', 'stage', 'entered', 'exited', 'median_days', 'p90_days', ...FUNNEL.map((f) => `funnel_${f}`)],
  });
}
