// The referring doctor's view. A referrer sees only the patients they referred (matched on the
// referral's referring-physician email, and on their sub for referrals they submitted), and of
// those only where the case stands: stage, status, next step, booked dates, notes the program
// shared, and any request for information, which they can answer. Every other patient is 404,
// exactly as a patient that does not exist, so ids cannot be probed.
import { INFORMATION_REQUEST, informationSchema, isOpenBooking, nextStepFor, formatIn } from '../domain/team-work.js';
import type { Referral } from '../domain/schemas.js';
import { sameEmail } from '../domain/directory.js';
import { teamRecipients } from '../domain/notifications.js';
import { allStageIds } from '../domain/pathway.js';
import { STATUSES, TERMINAL_STATUSES, type Role } from '../domain/vocabulary.js';
import { conflict, notFound, validationError } from '../shared/errors.js';
import { parse, requirePatientId, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import type { Deps } from '../shared/runtime.js';
import type { AuditEvent, PatientRecord } from '../store/pathway-store.js';
import type { InformationReceived } from '../store/team-store.js';
import { actorOf } from './actor.js';
import { pendingKeyOf } from './team-common.js';
import { sendInformationReceived } from './team-mail.js';
import { teamDepsOf, type TeamDeps } from './team-runtime.js';

/**
 * Called at the end of intake: index the patient under its referring doctor, so their
 * list is a Query. Idempotent; also the backfill for patients referred before the index existed.
 */
export async function recordReferrerLink(deps: Deps, patient: Pick<PatientRecord, 'patientId' | 'referringPhysician' | 'createdAt'>, creator?: Caller): Promise<void> {
  const t = await teamDepsOf(deps);
  const bySub = creator?.roles.includes('referrer') ? creator.sub : undefined;
  await t.team.linkReferrer(patient.patientId, { email: patient.referringPhysician.email, ...(bySub ? { sub: bySub } : {}) }, patient.createdAt);
}

/**
 * Index every patient already on the pathway under its referring doctor: the patients referred
 * before the index existed. Walks the worklist index partition by partition (Queries, not a Scan)
 * and is idempotent, so it can be re-run at any time.
 */
export async function backfillReferrerLinks(deps: Deps): Promise<number> {
  let linked = 0;
  for (const stage of allStageIds(deps.pathway)) {
    for (const status of STATUSES) {
      let cursor: string | undefined;
      do {
        const page = await deps.store.listWorklist({ stages: [stage], statuses: [status], limit: 100, ...(cursor ? { cursor } : {}) });
        for (const s of page.items) {
          const p = await deps.store.getPatient(s.patientId);
          if (!p) continue;
          await recordReferrerLink(deps, p);
          linked += 1;
        }
        cursor = page.nextToken ?? undefined;
      } while (cursor);
    }
  }
  return linked;
}

/** Checked in intake: a referring doctor refers as themselves, never on another doctor's behalf. */
export function assertReferrerRefersAsSelf(caller: Caller, role: Role, referral: Pick<Referral, 'referringPhysician'>): void {
  if (role !== 'referrer') return;
  if (!caller.email || !sameEmail(caller.email, referral.referringPhysician.email)) {
    throw validationError('The referral is invalid.', [{ path: 'referringPhysician.email', message: 'must be your own address when you refer as a referring doctor' }]);
  }
}

const noSuchPatient = () => notFound('No such patient.');

async function referredCase(t: TeamDeps, caller: Caller, patientId: string): Promise<PatientRecord> {
  requirePatientId(patientId);
  if (!(await t.team.isReferrerOf(patientId, caller))) throw noSuchPatient();
  const p = await t.store.getPatient(patientId);
  if (!p) throw noSuchPatient();
  return p;
}

/** The open request for information, if the pending decision follows one (from the audit trail). */
export function informationRequestOf(p: PatientRecord, timeline: readonly AuditEvent[]) {
  const pendingKey = pendingKeyOf(p);
  if (!pendingKey || p.status !== 'active' || p.pendingDecision?.stage !== INFORMATION_REQUEST.stage) return null;
  const decisions = timeline.filter((e) => e.action === 'decision_recorded' && e.stage === INFORMATION_REQUEST.stage);
  const last = decisions.at(-1);
  if (!last || last.details.outcome !== INFORMATION_REQUEST.outcome) return null;
  const answers = timeline.filter((e) => (e.action as string) === 'information_received' && e.at > last.at);
  return { askedAt: last.at, asked: typeof last.details.reason === 'string' ? last.details.reason : null, answeredAt: answers.at(-1)?.at ?? null, pendingKey };
}

function summaryOf(t: TeamDeps, p: PatientRecord, timeline: readonly AuditEvent[]) {
  const request = informationRequestOf(p, timeline);
  const pendingStage = p.pendingDecision && !p.decidedAt ? p.pendingDecision.stage : null;
  return {
    patientId: p.patientId,
    caseRef: p.caseRef,
    referralId: p.referralId,
    site: p.site,
    stage: p.stage,
    status: p.status,
    referredAt: p.createdAt,
    nextStep: nextStepFor({ stage: p.stage, status: p.status, pendingStage, informationRequested: !!request && !request.answeredAt }),
    informationRequest: request ? { askedAt: request.askedAt, asked: request.asked, answeredAt: request.answeredAt } : null,
    _tz: t.teamConfig.timeZone,
  };
}

export async function listReferredPatients(deps: Deps, caller: Caller): Promise<HttpResult> {
  requireRole(caller, ['referrer'], 'list the patients they referred');
  const t = await teamDepsOf(deps);
  const ids = await t.team.referrerPatients(caller);
  const items = [];
  for (const id of ids.slice(0, 200)) {
    const p = await t.store.getPatient(id);
    if (!p) continue;
    const { _tz, ...s } = summaryOf(t, p, await t.store.patientTimeline(id));
    const bookings = (await t.team.patientBookings(id)).filter((b) => b.status === 'booked' && b.startsAt).sort((a, b) => (a.startsAt as string).localeCompare(b.startsAt as string));
    const next = bookings.find((b) => (b.startsAt as string) >= t.clock.now().toISOString()) ?? null;
    items.push({ ...s, nextBooking: next ? { kind: next.kind, startsAt: next.startsAt, startsAtLocal: formatIn(_tz, next.startsAt as string), site: next.site } : null });
  }
  return { status: 200, body: { items, timeZone: t.teamConfig.timeZone } };
}

export async function getReferredPatient(deps: Deps, caller: Caller, patientId: string): Promise<HttpResult> {
  const role = requireRole(caller, ['referrer'], 'read the patients they referred');
  const t = await teamDepsOf(deps);
  const p = await referredCase(t, caller, patientId);
  await t.store.appendAudit([{ action: 'record_viewed', patientId, stage: p.stage, actor: actorOf(caller, role), details: { view: 'referrer' } }]);
  const timeline = await t.store.patientTimeline(patientId);
  const { _tz, ...summary } = summaryOf(t, p, timeline);
  const bookings = (await t.team.patientBookings(patientId))
    .filter((b) => b.status !== 'cancelled')
    .map((b) => ({ kind: b.kind, ...(b.visit ? { visit: b.visit } : {}), status: b.status, startsAt: b.startsAt, startsAtLocal: b.startsAt ? formatIn(_tz, b.startsAt) : null, site: b.site, open: isOpenBooking(b.status) }));
  const sharedNotes = (await t.team.patientNotes(patientId))
    .filter((n) => n.sharedWithReferrer)
    .map((n) => ({ noteId: n.noteId, text: n.text, createdAt: n.createdAt, editedAt: n.editedAt, author: { role: n.author.role } }));
  const sent = (await t.team.patientInformation(patientId)).filter((i) => sameEmail(i.from.email, caller.email) || i.from.sub === caller.sub).map((i) => ({ infoId: i.infoId, receivedAt: i.receivedAt, attachments: i.attachments.map((a) => a.name) }));
  return {
    status: 200,
    body: {
      ...summary,
      // Their own patient, as they referred them.
      patient: { givenName: p.patient.givenName, familyName: p.patient.familyName, birthDate: p.patient.birthDate },
      bookings,
      sharedNotes,
      informationSent: sent,
      timeZone: _tz,
    },
  };
}

export async function submitInformation(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['referrer'], 'send information for a referral');
  const req = parse(informationSchema, body, 'information');
  const t = await teamDepsOf(deps);
  const p = await referredCase(t, caller, patientId);
  if (TERMINAL_STATUSES.includes(p.status)) throw conflict(`The pathway is ${p.status}.`);
  const request = informationRequestOf(p, await t.store.patientTimeline(patientId));
  if (!request) throw conflict('The program has not asked for information on this referral.');
  const now = t.clock.now().toISOString();
  const info: InformationReceived = {
    patientId,
    infoId: t.team.newId(),
    text: req.text,
    attachments: req.attachments,
    from: { sub: caller.sub, email: caller.email },
    receivedAt: now,
    pendingKey: request.pendingKey,
  };
  await t.team.saveInformation(info, [
    { action: 'information_received', patientId, stage: p.stage, actor: actorOf(caller, role), details: { infoId: info.infoId, attachments: info.attachments.length, pendingDecisionId: request.pendingKey } },
  ]);
  // Recorded first: the information is kept even if the email cannot go now.
  const work = await t.team.getWork(patientId);
  const assignee = work?.assignee?.pendingKey === request.pendingKey ? work.assignee.email : null;
  const team = teamRecipients(t.pathway, INFORMATION_REQUEST.stage, p.site, t.config);
  const to = [...new Set([...(assignee ? [assignee] : team), ...(work?.owner ? [work.owner.email] : t.config.teamDirectory.coordinators)])];
  try {
    await sendInformationReceived(t.mailer, to, { patientId, caseRef: p.caseRef, infoId: info.infoId }, `${t.config.appBaseUrl.replace(/\/$/, '')}/patients/${patientId}`);
    await t.store.appendAudit([{ action: 'notification_sent', patientId, stage: p.stage, actor: actorOf(caller, role), details: { template: 'information_received', recipients: to } }]);
  } catch (err) {
    logger.warn('information-received email failed', { patientId, errorName: (err as Error).name });
    await t.store.appendAudit([{ action: 'notification_failed', patientId, stage: p.stage, actor: actorOf(caller, role), details: { template: 'information_received', errorName: (err as Error).name } }]);
  }
  return { status: 201, body: { patientId, infoId: info.infoId, receivedAt: now } };
}
