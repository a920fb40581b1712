// Bookings of myelography, procedures, neurosurgical consults and follow-up visits: scheduled,
// moved along their statuses with a revision check, listed by status from their own index items
// (never a Scan), counted for the analytics, and reminded to the team the working day before.
import {
  BOOKING_OF_STAGE,
  canMoveBooking,
  createBookingSchema,
  dateIn,
  formatIn,
  instantOf,
  isOverdueBooking,
  reminderDates,
  updateBookingSchema,
  weekOf,
} from '../domain/team-work.js';
import { TERMINAL_STATUSES } from '../domain/vocabulary.js';
import { escapeHtml } from './team-mail.js';
import { ConcurrentUpdateError, conflict, notFound, validationError } from '../shared/errors.js';
import { parse, type Caller, type HttpResult } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import type { Deps } from '../shared/runtime.js';
import { SYSTEM_ACTOR } from '../store/pathway-store.js';
import type { Booking, BookingCounters } from '../store/team-store.js';
import { actorOf } from './actor.js';
import { caseOf, memberOf, personOf, requireClinician } from './team-common.js';
import { teamDepsOf, type TeamDeps } from './team-runtime.js';

const HOUR_MS = 3_600_000;

export function bookingView(b: Booking, timeZone: string, now: Date) {
  return {
    bookingId: b.bookingId,
    patientId: b.patientId,
    caseRef: b.caseRef,
    rev: b.rev,
    kind: b.kind,
    ...(b.visit ? { visit: b.visit } : {}),
    status: b.status,
    startsAt: b.startsAt,
    startsAtLocal: b.startsAt ? formatIn(timeZone, b.startsAt) : null,
    site: b.site,
    place: b.place,
    overdue: isOverdueBooking(b, now),
    createdAt: b.createdAt,
    createdBy: b.createdBy,
    bookedAt: b.bookedAt,
    bookedBy: b.bookedBy,
    resultAt: b.resultAt,
  };
}

export async function createBooking(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireClinician(caller, 'book appointments');
  const req = parse(createBookingSchema, body, 'booking');
  const t = await teamDepsOf(deps);
  const p = await caseOf(t, patientId);
  if (TERMINAL_STATUSES.includes(p.status)) throw conflict(`The pathway is ${p.status}; nothing more can be booked.`);
  const me = personOf(await memberOf(t, caller, role));
  const now = t.clock.now().toISOString();
  const booked = req.status === 'booked';
  const booking: Booking = {
    patientId,
    bookingId: t.team.newId(),
    rev: 1,
    caseRef: p.caseRef,
    kind: req.kind,
    ...(req.visit ? { visit: req.visit } : {}),
    status: req.status,
    startsAt: req.startsAt ? new Date(req.startsAt).toISOString() : null,
    site: req.site ?? null,
    place: req.place ?? null,
    createdAt: now,
    createdBy: me,
    bookedAt: booked ? now : null,
    bookedBy: booked ? me : null,
    resultAt: null,
    updatedAt: now,
  };
  const counters: BookingCounters = booked ? { created: 1, booked: 1, hoursToBookSum: 0, hoursToBookCount: 1 } : { created: 1 };
  await t.team.saveBooking(booking, undefined, [
    { action: 'booking_recorded', patientId, stage: p.stage, actor: actorOf(caller, role), details: { bookingId: booking.bookingId, kind: booking.kind, status: booking.status, site: booking.site } },
  ], counters);
  return { status: 201, body: bookingView(booking, t.teamConfig.timeZone, t.clock.now()) };
}

export async function updateBooking(deps: Deps, caller: Caller, patientId: string, bookingId: string, body: unknown): Promise<HttpResult> {
  const role = requireClinician(caller, 'change bookings');
  const req = parse(updateBookingSchema, body, 'booking change');
  const t = await teamDepsOf(deps);
  const p = await caseOf(t, patientId);
  const current = await t.team.getBooking(patientId, bookingId);
  if (!current) throw notFound('No such booking.');
  if (current.rev !== req.rev) throw conflict('The booking was changed by someone else; reload it and try again.');
  const to = req.status ?? current.status;
  if (!canMoveBooking(current.status, to)) throw conflict(`A booking that is ${current.status} cannot become ${to}.`);
  const startsAt = req.startsAt ? new Date(req.startsAt).toISOString() : current.startsAt;
  const site = req.site ?? current.site;
  if (to === 'booked' && (!startsAt || !site)) {
    throw validationError('The booking is invalid.', [...(!startsAt ? [{ path: 'startsAt', message: 'is required to book' }] : []), ...(!site ? [{ path: 'site', message: 'is required to book' }] : [])]);
  }
  const me = personOf(await memberOf(t, caller, role));
  const nowDate = t.clock.now();
  const now = nowDate.toISOString();
  const becameBooked = current.status === 'to_schedule' && to === 'booked';
  const rebooked = current.status === 'booked' && to === 'booked' && startsAt !== current.startsAt;
  const result = to === 'done' || to === 'did_not_attend' || to === 'cancelled';
  const next: Booking = {
    ...current,
    rev: current.rev + 1,
    status: to,
    startsAt,
    site,
    place: req.place ?? current.place,
    bookedAt: becameBooked || rebooked ? now : current.bookedAt,
    bookedBy: becameBooked || rebooked ? me : current.bookedBy,
    resultAt: result ? now : current.resultAt,
    updatedAt: now,
  };
  const counters: BookingCounters = {};
  if (becameBooked) Object.assign(counters, { booked: 1, hoursToBookSum: (nowDate.getTime() - Date.parse(current.createdAt)) / HOUR_MS, hoursToBookCount: 1 });
  if (to === 'done' && current.status !== 'done') {
    Object.assign(counters, { done: 1, ...(current.bookedAt ? { hoursToDoneSum: (nowDate.getTime() - Date.parse(current.bookedAt)) / HOUR_MS, hoursToDoneCount: 1 } : {}) });
  }
  if (to === 'did_not_attend') counters.did_not_attend = 1;
  if (to === 'cancelled') counters.cancelled = 1;
  try {
    await t.team.saveBooking(next, current, [
      { action: 'booking_recorded', patientId, stage: p.stage, actor: actorOf(caller, role), details: { bookingId, kind: next.kind, from: current.status, status: to, site: next.site } },
    ], counters);
  } catch (err) {
    if (err instanceof ConcurrentUpdateError) throw conflict('The booking was changed by someone else; reload it and try again.');
    throw err;
  }
  return { status: 200, body: bookingView(next, t.teamConfig.timeZone, nowDate) };
}

export async function patientBookings(t: TeamDeps, patientId: string) {
  const now = t.clock.now();
  return (await t.team.patientBookings(patientId)).sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((b) => bookingView(b, t.teamConfig.timeZone, now));
}

/**
 * GET /bookings?view=needs_booking|this_week|overdue. "Needs booking": bookings still to
 * schedule, and patients waiting at a stage that happens at a time and place with no open
 * booking of that kind yet.
 */
export async function listBookings(deps: Deps, caller: Caller, query: Record<string, string>): Promise<HttpResult> {
  requireClinician(caller, 'see bookings');
  const view = query.view ?? 'this_week';
  if (!['needs_booking', 'this_week', 'overdue'].includes(view)) throw validationError('The query is invalid.', [{ path: 'view', message: 'must be needs_booking, this_week or overdue' }]);
  const t = await teamDepsOf(deps);
  const now = t.clock.now();
  const tz = t.teamConfig.timeZone;
  if (view === 'this_week') {
    const week = weekOf(tz, now);
    const items = await t.team.listBookings('booked', { from: week.from, to: week.to });
    return { status: 200, body: { view, timeZone: tz, week, items: items.map((b) => bookingView(b, tz, now)) } };
  }
  if (view === 'overdue') {
    const items = await t.team.listBookings('booked', { to: now.toISOString() });
    return { status: 200, body: { view, timeZone: tz, items: items.map((b) => bookingView(b, tz, now)) } };
  }
  const explicit = (await t.team.listBookings('to_schedule')).map((b) => ({ ...bookingView(b, tz, now), missing: false }));
  const missing: { patientId: string; caseRef: string; stage: string; kind: string; missing: true }[] = [];
  for (const [stage, kind] of Object.entries(BOOKING_OF_STAGE)) {
    const page = await t.store.listWorklist({ stages: [stage], statuses: ['active'], limit: 200 });
    for (const s of page.items) {
      const open = (await t.team.patientBookings(s.patientId)).some((b) => b.kind === kind && (b.status === 'to_schedule' || b.status === 'booked' || (b.status === 'done' && b.createdAt >= s.stageEnteredAt)));
      if (!open) missing.push({ patientId: s.patientId, caseRef: s.caseRef, stage, kind, missing: true });
    }
  }
  return { status: 200, body: { view, timeZone: tz, items: explicit, unbooked: missing } };
}

// ---------------------------------------------------------------- day-before reminders
export interface BookingSweepResult {
  readonly bookingReminders: number;
  readonly bookingReminderFailures: number;
}

/**
 * Run from the overdue sweep. Emails the team, once per booking time, about every booking
 * on the next working day (and the non-working days before it): case reference, kind, time in
 * the program's zone, site and place. No name, no clinical detail.
 */
export async function sweepBookings(deps: Deps, now: Date): Promise<BookingSweepResult> {
  const t = await teamDepsOf(deps);
  const tz = t.teamConfig.timeZone;
  const dates = reminderDates(dateIn(tz, now), t.teamConfig.workingDays);
  const first = dates[0];
  const last = dates.at(-1);
  if (!first || !last) return { bookingReminders: 0, bookingReminderFailures: 0 };
  const from = instantOf(tz, first).toISOString();
  const dayAfter = new Date(instantOf(tz, last).getTime() + 36 * HOUR_MS);
  const to = instantOf(tz, dateIn(tz, dayAfter)).toISOString();
  const due = (await t.team.listBookings('booked', { from, to })).filter((b) => b.startsAt && b.startsAt < to && b.remindedFor !== b.startsAt);
  let sent = 0;
  let failed = 0;
  for (const b of due) {
    try {
      const work = await t.team.getWork(b.patientId);
      const to = [...new Set([...t.config.teamDirectory.coordinators, ...(work?.owner ? [work.owner.email] : [])])];
      const when = formatIn(tz, b.startsAt as string);
      const what = b.kind.replace(/_/g, ' ');
      const where = [b.site, b.place ? `${b.place.kind} ${b.place.label}` : null].filter(Boolean).join(', ');
      const link = `${t.config.appBaseUrl.replace(/\/$/, '')}/patients/${b.patientId}`;
      await t.mailer.send({
        patientId: b.patientId,
        key: `booking.${b.bookingId}.${b.startsAt as string}`,
        to,
        subject: `Booked ${when}: ${b.caseRef} ${what}`,
        text: `Reminder: ${b.caseRef} has a ${what} booked for ${when}${where ? ` (${where})` : ''}.\nOpen the case: ${link}\n`,
        html: `<p>Reminder: <strong>${escapeHtml(b.caseRef)}</strong> has a ${escapeHtml(what)} booked for ${escapeHtml(when)}${where ? ` (${escapeHtml(where)})` : ''}.</p><p><a href="${escapeHtml(link)}">Open the case</a></p>`,
      });
      // Sent, then marked: a crash in between repeats one reminder rather than losing it.
      if (await t.team.markReminded(b, b.startsAt as string)) {
        await t.team.appendAudit([{ action: 'booking_reminder_sent', patientId: b.patientId, stage: null, actor: SYSTEM_ACTOR, details: { bookingId: b.bookingId, kind: b.kind, recipients: to } }]);
      }
      sent += 1;
    } catch (err) {
      failed += 1;
      logger.warn('booking reminder failed', { patientId: b.patientId, bookingId: b.bookingId, errorName: (err as Error).name });
    }
  }
  return { bookingReminders: sent, bookingReminderFailures: failed };
}

