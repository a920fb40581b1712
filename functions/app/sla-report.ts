// The administrators' service-level report: per stage and month, the share of decisions made
// within their service level, median days split into program-driven and patient-driven time, and
// the current overdue list. Built from the same monthly counters as throughput, plus one
// worklist-index Query per stage for the overdue list.
import { throughputQuerySchema } from '../domain/schemas.js';
import { CARE_PATHWAY, decisionStageIds } from '../domain/pathway.js';
import { parse, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import type { Deps } from '../shared/runtime.js';
import { monthsInRange } from '../store/pathway-store.js';
import { histogramQuantile, percentOf } from './throughput.js';

type Item = Record<string, unknown>;
const num = (v: unknown) => (typeof v === 'number' ? v : Number(v ?? 0)) || 0;

function histogram(item: Item | undefined, prefix: string): Map<number, number> {
  const h = new Map<number, number>();
  const re = new RegExp(`^${prefix}(\\d+)$`);
  for (const [k, v] of Object.entries(item ?? {})) {
    const m = re.exec(k);
    if (m) h.set(Number(m[1]), num(v));
  }
  return h;
}

export function slaRows(months: readonly string[], itemsByMonth: readonly Item[][], stages: readonly string[] = decisionStageIds(CARE_PATHWAY)) {
  return months.flatMap((month, i) => {
    const bySk = new Map((itemsByMonth[i] ?? []).map((it) => [String(it.SK), it]));
    return stages.map((stage) => {
      const item = bySk.get(`STAGE#${stage}`);
      const within = num(item?.withinSla);
      const late = num(item?.lateSla);
      return {
        month,
        stage,
        decisions: within + late,
        withinServiceLevel: within,
        shareWithinServiceLevel: within + late === 0 ? null : Number((within / (within + late)).toFixed(3)),
        /** The share as shown everywhere: whole percent by the one rounding rule. */
        percentWithinServiceLevel: percentOf(within, within + late),
        medianProgramDrivenDays: histogramQuantile(histogram(item, 'pd'), 0.5),
        medianPatientDrivenDays: histogramQuantile(histogram(item, 'hd'), 0.5),
      };
    });
  });
}

export async function getSlaReport(deps: Deps, caller: Caller, query: Record<string, string>): Promise<HttpResult> {
  requireRole(caller, ['administrator'], 'read metrics');
  const q = parse(throughputQuerySchema, query, 'query');
  const months = monthsInRange(q.from, q.to);
  const rows = slaRows(months, await Promise.all(months.map((m) => deps.store.monthMetrics(m))), decisionStageIds(deps.pathway));
  const now = deps.clock.now().toISOString();
  const overdue = [];
  for (const stage of decisionStageIds(deps.pathway)) {
    let cursor: string | undefined;
    do {
      const page = await deps.store.listWorklist({ stages: [stage], statuses: ['active'], dueBefore: now, limit: 200, ...(cursor ? { cursor } : {}) });
      overdue.push(...page.items.map((s) => ({ patientId: s.patientId, caseRef: s.caseRef, stage: s.stage, site: s.site, dueAt: s.dueAt, awaiting: s.awaiting })));
      cursor = page.nextToken ?? undefined;
    } while (cursor);
  }
  return { status: 200, body: { from: q.from, to: q.to, rows, overdue } };
}
