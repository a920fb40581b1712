// Delivery of the announcements a change queued in its own transaction (the outbox). The emails
// are sent first, then recorded (notification_sent, outbox entry removed) in one transaction,
// together with the task token when the engine is attaching to the stage. A crash between the
// send and the record sends that transition's emails again: the only duplicates the policy
// allows. A failed send never blocks care: it is recorded
// (notification_failed) and the entry stays queued for the sweep.
import { emailsFor, type Email } from '../domain/notifications.js';
import { deliverable, markDelivered, SYSTEM_ACTOR, type PatientRecord, type QueuedNotification } from '../domain/record.js';
import { MailRejectedError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import type { Deps } from '../shared/runtime.js';
import type { AuditEventInput } from '../store/pathway-store.js';
import { mutatePatient, type Change } from './mutate.js';

/** What other consumers (e.g. the FHIR export) hear after each delivered transition. */
export interface PathwayEvent {
  readonly patientId: string;
  readonly step: number;
  readonly stage: string;
  readonly status: string;
  readonly at: string;
}
export type PathwayEventSink = (event: PathwayEvent) => Promise<void> | void;

/** Sinks called after each transition's announcements are delivered; failures are logged, never thrown. */
export const pathwayEventSinks: PathwayEventSink[] = [];

export interface Delivery {
  readonly sent: number;
  readonly failed: number;
  readonly saved: PatientRecord | undefined;
}

/**
 * Send what the record's outbox holds (or nothing, for a patient on hold whose stage announcement
 * waits for the resume), then save `also` (e.g. the task token) with the delivery record.
 */
export async function deliverOutbox(deps: Deps, patient: string | PatientRecord, also?: (p: PatientRecord) => PatientRecord | null): Promise<Delivery> {
  // A caller that has just read the record hands it in: no second read (mutatePatient's `known`).
  const first = typeof patient === 'string' ? await deps.store.getPatient(patient) : patient;
  if (!first) return { sent: 0, failed: 0, saved: undefined };
  const patientId = first.patientId;
  const queued = deliverable(first);
  const sentTemplates = new Map<number, string[]>();
  const events: AuditEventInput[] = [];
  const delivered: QueuedNotification[] = [];
  let failed = 0;
  const subject = { patientId: first.patientId, caseRef: first.caseRef, site: first.site, referringPhysicianEmail: first.referringPhysician.email };
  for (const q of queued) {
    const already = first.notified.step === q.step ? new Set(first.notified.templates) : new Set<string>();
    const stage = 'stage' in q.event ? q.event.stage : first.stage;
    const emails = (await toAssignee(deps, first, stage, emailsFor(deps.pathway, q.event, subject, deps.config))).filter((e) => !already.has(e.template) && e.to.length > 0);
    // A transition's emails go out together: the pending decision is visible after one round trip
    // to SES, not one per email. Their audit events keep the order of the emails.
    const results = await Promise.allSettled(emails.map((email) => deps.mailer.send({ ...email, patientId, key: `${q.step}.${email.template}` })));
    let keep = false;
    for (const [i, r] of results.entries()) {
      const email = emails[i] as Email;
      if (r.status === 'fulfilled') {
        (sentTemplates.get(q.step) ?? sentTemplates.set(q.step, []).get(q.step))?.push(email.template);
        events.push({
          action: 'notification_sent',
          patientId,
          stage,
          actor: SYSTEM_ACTOR,
          details: { template: email.template, audience: email.audience, recipients: email.to, messageId: r.value, step: q.step },
        });
        continue;
      }
      const err = r.reason as Error;
      failed += 1;
      events.push({ action: 'notification_failed', patientId, stage: first.stage, actor: SYSTEM_ACTOR, details: { template: email.template, error: err.name, step: q.step } });
      if (err instanceof MailRejectedError) {
        // Refused for good: retrying cannot help. The administrators hear of it; care goes on.
        logger.warn('email refused; administrators alerted', { patientId, errorName: err.name });
        await alertAdministrators(deps, first, events);
        continue;
      }
      logger.warn('email not delivered; kept for the sweep', { patientId, errorName: err.name });
      keep = true;
    }
    // A failure that may pass keeps this transition's entry (and the later ones) for the sweep.
    if (keep) break;
    delivered.push(q);
  }
  if (delivered.length === 0 && events.length === 0 && !also) return { sent: 0, failed, saved: first };
  const { saved } = await mutatePatient(
    deps,
    patientId,
    (cur) => {
      if (!cur) return { change: null, result: null };
      const stillQueued = delivered.filter((d) => (cur.outbox ?? []).some((q) => q.step === d.step && q.queuedAt === d.queuedAt));
      let next = markDelivered(cur, stillQueued, sentTemplates);
      if (also) next = also(next) ?? next;
      const change: Change = { next, events };
      return { change, result: null };
    },
    { known: first },
  );
  if (saved) await tellSinks(delivered, saved);
  return { sent: events.filter((e) => e.action === 'notification_sent').length, failed, saved };
}

/**
 * The team's emails about the decision pending now go to whoever was assigned it (team work),
 * else to the team as configured. Routing never blocks an email: unreadable, it goes to the team.
 */
export async function toAssignee(deps: Deps, p: PatientRecord, stage: string, emails: readonly Email[]): Promise<Email[]> {
  const pending = p.pendingDecision;
  if (!deps.assigneeRecipients || !pending || p.decidedAt || pending.stage !== stage || !emails.some((e) => e.audience === 'team')) return [...emails];
  try {
    const to = await deps.assigneeRecipients(p.patientId, stage, pending.id);
    return to?.length ? emails.map((e) => (e.audience === 'team' ? { ...e, to } : e)) : [...emails];
  } catch (err) {
    logger.warn('assignee unknown; emailing the team', { patientId: p.patientId, errorName: (err as Error).name });
    return [...emails];
  }
}

async function alertAdministrators(deps: Deps, p: PatientRecord, events: AuditEventInput[]): Promise<void> {
  const subject = { patientId: p.patientId, caseRef: p.caseRef, site: p.site, referringPhysicianEmail: p.referringPhysician.email };
  for (const email of emailsFor(deps.pathway, { kind: 'failure', failure: 'notification', stage: p.stage }, subject, deps.config)) {
    try {
      const messageId = await deps.mailer.send({ ...email, patientId: p.patientId, key: `${p.lastStep}.${email.template}` });
      events.push({ action: 'notification_sent', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { template: email.template, audience: email.audience, recipients: email.to, messageId } });
    } catch (err) {
      events.push({ action: 'notification_failed', patientId: p.patientId, stage: p.stage, actor: SYSTEM_ACTOR, details: { template: email.template, error: (err as Error).name } });
    }
  }
}

async function tellSinks(delivered: readonly QueuedNotification[], p: PatientRecord): Promise<void> {
  for (const q of delivered) {
    for (const sink of pathwayEventSinks) {
      try {
        await sink({ patientId: p.patientId, step: q.step, stage: 'stage' in q.event ? q.event.stage : p.stage, status: p.status, at: q.queuedAt });
      } catch (err) {
        logger.warn('pathway event sink failed', { patientId: p.patientId, errorName: (err as Error).name });
      }
    }
  }
}
