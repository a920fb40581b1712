// R11: urgent complications recorded at any stage by a coordinator or physician. The report,
// the urgency, the shortened due date and one audit event are written together; then the team
// and the site lead are emailed at once. A retried report records nothing new and only sends
// the email if it has not gone out yet (claimed in the record first, so it goes out once).
import { applyRedFlags, redFlagEmail, redFlagsOf, urgentDueAt } from '../domain/red-flags.js';
import type { RedFlagRecord } from '../domain/history.js';
import { redFlagSchema } from '../domain/schemas.js';
import { notFound } from '../shared/errors.js';
import { parse, requirePatientId, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import type { Deps } from '../shared/runtime.js';
import { SYSTEM_ACTOR, type PatientRecord } from '../store/pathway-store.js';
import { actorOf } from './actor.js';
import { mutatePatient } from './mutate.js';

/** A claim older than this was left by a request that died before sending: take it over. */
const STALE_CLAIM_MS = 120_000;

export async function recordRedFlags(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator', 'physician'], 'record urgent complications');
  const report = parse(redFlagSchema, body, 'red-flag report');
  requirePatientId(patientId);
  const now = deps.clock.now();
  const at = now.toISOString();

  const { result, saved } = await mutatePatient(deps, patientId, (p) => {
    if (!p) throw notFound('No such patient.');
    const outcome = applyRedFlags(p.history, report, { at, sub: caller.sub });
    if (!outcome.recorded) return { change: null, result: { created: false, report: outcome.report } };
    const pending = p.pendingDecision && !p.decidedAt ? p.pendingDecision : null;
    const dueAt = urgentDueAt(p.dueAt, now, deps.config);
    const next: PatientRecord = {
      ...p,
      urgency: 'urgent',
      history: outcome.history,
      dueAt,
      pendingDecision: pending ? { ...pending, dueAt: urgentDueAt(pending.dueAt, now, deps.config) ?? pending.dueAt } : p.pendingDecision,
    };
    return {
      change: {
        next,
        events: [
          {
            action: 'red_flag_recorded',
            patientId,
            stage: p.stage,
            actor: actorOf(caller, role),
            // The note stays in the record; the audit names the complications and the new due date.
            details: { complications: outcome.report.complications, hasNote: report.note !== undefined, previousDueAt: p.dueAt, dueAt },
          },
        ],
      },
      result: { created: true, report: outcome.report },
    };
  });

  const current = saved ?? (await deps.store.getPatient(patientId));
  if (!current) throw notFound('No such patient.');
  const mine = result.created || (await claimEmail(deps, patientId, result.report, now));
  if (mine) await sendUrgentEmail(deps, current, result.report);
  const latest = (await deps.store.getPatient(patientId)) ?? current;
  return {
    status: result.created ? 201 : 200,
    body: {
      patientId,
      urgency: latest.urgency,
      redFlags: redFlagsOf(latest.history),
      dueAt: latest.pendingDecision?.dueAt ?? latest.dueAt,
      notified: (latest.history.redFlags ?? []).some((r) => sameReport(r, result.report) && r.notifiedAt !== undefined),
    },
  };
}

const sameReport = (a: RedFlagRecord, b: RedFlagRecord) => a.at === b.at && a.by === b.by;

/** A retry takes over sending only if the email never went out and no live request is sending it. */
async function claimEmail(deps: Deps, patientId: string, report: RedFlagRecord, now: Date): Promise<boolean> {
  if (report.notifiedAt !== undefined) return false;
  const { result } = await mutatePatient(deps, patientId, (p) => {
    const flags = p?.history.redFlags ?? [];
    const i = flags.findIndex((r) => sameReport(r, report));
    const r = flags[i];
    if (!p || r === undefined || r.notifiedAt !== undefined) return { change: null, result: false };
    if (r.emailClaimedAt !== undefined && now.getTime() - Date.parse(r.emailClaimedAt) < STALE_CLAIM_MS) return { change: null, result: false };
    const redFlags = flags.map((x, j) => (j === i ? { ...x, emailClaimedAt: now.toISOString() } : x));
    return { change: { next: { ...p, history: { ...p.history, redFlags } } }, result: true };
  });
  return result;
}

async function sendUrgentEmail(deps: Deps, p: PatientRecord, report: RedFlagRecord): Promise<void> {
  const email = redFlagEmail(deps.pathway, { patientId: p.patientId, caseRef: p.caseRef, site: p.site, stage: p.stage }, deps.config);
  let messageId: string;
  try {
    messageId = await deps.mailer.send({ ...email, patientId: p.patientId, key: `red-flag.${report.at}` });
  } catch (err) {
    logger.warn('urgent-review email not sent; a retry of the report resends it', { patientId: p.patientId, errorName: (err as Error).name });
    // Release the claim so a retried report sends it.
    await mutatePatient(deps, p.patientId, (cur) => {
      const flags = cur?.history.redFlags ?? [];
      if (!cur) return { change: null, result: null };
      const redFlags = flags.map((x) => (sameReport(x, report) ? (({ emailClaimedAt: _c, ...rest }) => rest)(x) : x));
      return {
        change: {
          next: { ...cur, history: { ...cur.history, redFlags } },
          events: [{ action: 'notification_failed', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { template: email.template, error: (err as Error).name } }],
        },
        result: null,
      };
    });
    return;
  }
  await mutatePatient(deps, p.patientId, (cur) => {
    if (!cur) return { change: null, result: null };
    const redFlags = (cur.history.redFlags ?? []).map((x) => (sameReport(x, report) ? { ...x, notifiedAt: deps.clock.now().toISOString() } : x));
    return {
      change: {
        next: { ...cur, history: { ...cur.history, redFlags } },
        events: [
          {
            action: 'notification_sent',
            patientId: p.patientId,
            stage: p.stage,
            actor: SYSTEM_ACTOR,
            details: { template: email.template, audience: email.audience, recipients: email.to, messageId },
          },
        ],
      },
      result: null,
    };
  });
}
