// Reads: the worklist from the worklist index (never a Scan), the patient detail with its
// recommendation and timeline (every read audited), throughput from pre-aggregated counters,
// and the audit trail.
import { auditQuerySchema, listPatientsQuerySchemaFor, throughputQuerySchema } from '../domain/schemas.js';
import { allStageIds, mayRecordDecision, stageOf, type PathwayDefinition } from '../domain/pathway.js';
import { STATUSES, type Status } from '../domain/vocabulary.js';
import { referralAsEntered } from '../domain/record.js';
import { validationError, notFound } from '../shared/errors.js';
import { parse, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import type { Deps } from '../shared/runtime.js';
import { InvalidCursorError, monthsInRange } from '../store/pathway-store.js';
import { actorOf, recommendationFor } from './actor.js';
import { throughputCsv, throughputReport } from './throughput.js';

const badCursor = () => validationError('The query is invalid.', [{ path: 'nextToken', message: 'must be a token from a previous page' }]);

async function withCursor<T>(hasCursor: boolean, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof InvalidCursorError) throw badCursor();
    // A cursor that decodes but was not issued by us (a crafted start key): DynamoDB refuses it.
    if ((err as Error)?.name === 'ValidationException' && hasCursor) throw badCursor();
    throw err;
  }
}

const listQueries = new WeakMap<PathwayDefinition, ReturnType<typeof listPatientsQuerySchemaFor>>();
/** The worklist query of the running pathway's stages (built once per definition). */
function listQueryOf(def: PathwayDefinition): ReturnType<typeof listPatientsQuerySchemaFor> {
  let schema = listQueries.get(def);
  if (!schema) listQueries.set(def, (schema = listPatientsQuerySchemaFor(allStageIds(def))));
  return schema;
}

export async function listPatients(deps: Deps, caller: Caller, query: Record<string, string>): Promise<HttpResult> {
  requireRole(caller, ['coordinator', 'physician'], 'list patients');
  const q = parse(listQueryOf(deps.pathway), query, 'query');
  const overdue = q.overdue === 'true';
  const now = deps.clock.now().toISOString();
  const stages: readonly string[] = q.stage ? [q.stage] : allStageIds(deps.pathway);
  // Overdue means an active pending decision past its due date; a hold stops the clock.
  const statuses: readonly Status[] = overdue ? (q.status && q.status !== 'active' ? [] : ['active']) : q.status ? [q.status] : STATUSES;
  const page = await withCursor(Boolean(q.nextToken), () =>
    deps.store.listWorklist({
      stages,
      statuses,
      ...(q.site ? { site: q.site } : {}),
      ...(overdue ? { dueBefore: now } : {}),
      limit: q.limit ?? 50,
      ...(q.nextToken ? { cursor: q.nextToken } : {}),
    }),
  );
  return {
    status: 200,
    body: {
      items: page.items.map((s) => ({ ...s, overdue: s.status === 'active' && s.dueAt !== null && s.dueAt < now })),
      nextToken: page.nextToken,
    },
  };
}

export async function getPatient(deps: Deps, caller: Caller, patientId: string): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator', 'physician'], 'read patient records');
  if (!/^[0-9A-Z]{26}$/.test(patientId)) throw notFound('No such patient.');
  const p = await deps.store.getPatient(patientId);
  if (!p) throw notFound('No such patient.');
  await deps.store.appendAudit([{ action: 'record_viewed', patientId, stage: p.stage, actor: actorOf(caller, role) }]);
  const timeline = await deps.store.patientTimeline(patientId);
  const now = deps.clock.now().toISOString();
  const pending = p.pendingDecision && !p.decidedAt ? p.pendingDecision : null;
  return {
    status: 200,
    body: {
      patientId: p.patientId,
      caseRef: p.caseRef,
      referralId: p.referralId,
      site: p.site,
      urgency: p.urgency,
      createdAt: p.createdAt,
      patient: p.patient,
      referringPhysician: p.referringPhysician,
      referral: referralAsEntered(p),
      stage: p.stage,
      status: p.status,
      stageEnteredAt: p.stageEnteredAt,
      dueAt: p.dueAt,
      overdue: p.status === 'active' && p.dueAt !== null && p.dueAt < now,
      awaiting: p.awaiting,
      hold: p.hold ?? null,
      pathwayVersion: p.pathwayVersion,
      executionArn: p.executionArn,
      pendingDecision: pending
        ? {
            id: pending.id,
            stage: pending.stage,
            allowedOutcomes: pending.allowedOutcomes,
            dueAt: pending.dueAt,
            ...(pending.visit ? { visit: pending.visit } : {}),
            // The decision service's own rule for this caller, so the dashboard offers the form exactly when a 202 is possible.
            mayDecide: mayRecordDecision(deps.pathway, deps.config, pending.stage, caller.roles, caller.team),
          }
        : null,
      recommendation: pending && stageOf(deps.pathway, pending.stage).recommends ? recommendationFor(deps.config, pending.stage as never, p.history) : null,
      clinical: p.history,
      timeline: timeline.map((e) => ({ at: e.at, action: e.action, stage: e.stage, actor: e.actor, details: e.details })),
    },
  };
}

export async function getThroughput(deps: Deps, caller: Caller, query: Record<string, string>): Promise<HttpResult> {
  requireRole(caller, ['administrator'], 'read metrics');
  const q = parse(throughputQuerySchema, query, 'query');
  const months = monthsInRange(q.from, q.to);
  const report = throughputReport(months, await Promise.all(months.map((m) => deps.store.monthMetrics(m))), allStageIds(deps.pathway));
  if (q.format === 'csv') {
    return {
      status: 200,
      body: throughputCsv(report),
      contentType: 'text/csv; charset=utf-8',
      headers: { 'content-disposition': `attachment; filename="throughput-${q.from}-${q.to}.csv"` },
    };
  }
  return { status: 200, body: report };
}

export async function getAudit(deps: Deps, caller: Caller, query: Record<string, string>): Promise<HttpResult> {
  requireRole(caller, ['administrator'], 'read the audit trail');
  const q = parse(auditQuerySchema, query, 'query');
  const now = deps.clock.now();
  const to = q.to ? new Date(q.to).toISOString() : now.toISOString();
  const from = q.from ? new Date(q.from).toISOString() : new Date(Date.parse(to) - 365 * 86_400_000).toISOString();
  if (from > to) throw validationError('The query is invalid.', [{ path: 'to', message: 'must not be before from' }]);
  if (!q.patientId && !q.caseRef && monthsInRange(from.slice(0, 7), to.slice(0, 7)).length > 60) {
    throw validationError('The query is invalid.', [{ path: 'from', message: 'range must be at most 60 months' }]);
  }
  const page = await withCursor(Boolean(q.nextToken), () =>
    deps.store.listAudit({
      ...(q.patientId ? { patientId: q.patientId } : {}),
      ...(q.caseRef ? { caseRef: q.caseRef } : {}),
      ...(q.action ? { action: q.action } : {}),
      ...(q.actor ? { actor: q.actor } : {}),
      from,
      to,
      limit: q.limit ?? 100,
      ...(q.nextToken ? { cursor: q.nextToken } : {}),
    }),
  );
  return {
    status: 200,
    body: {
      items: page.items.map((e) => ({ at: e.at, actor: e.actor, action: e.action, patientId: e.patientId, stage: e.stage, details: e.details })),
      nextToken: page.nextToken,
    },
  };
}
