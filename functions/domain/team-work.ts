// The team's daily work around the pathway: case ownership, decision assignment, bookings, case
// notes, follow-up dates, saved filters, and the referring doctor's view. Pure rules and request
// schemas; no AWS. The pathway itself (stages, decisions) stays in pathway.ts and is never
// changed from here: this work is recorded beside the patient record, not in it.
import * as z from 'zod';
import { DEFAULT_DIRECTORY, CLINICAL_TEAMS, type Member } from './directory.js';
import { FOLLOW_UP_VISITS, HOLD_REASONS, type Status } from './vocabulary.js';

// ---------------------------------------------------------------- configuration
const memberSchema = z.strictObject({
  email: z.email(),
  name: z.string().min(1).max(200),
  role: z.enum(['coordinator', 'physician']),
  team: z.enum(CLINICAL_TEAMS).optional(),
  site: z.string().min(1).max(100).optional(),
  sub: z.string().min(1).max(200).optional(),
});

export const teamConfigSchema = z.strictObject({
  /** Times are entered and shown in the program's time zone (IANA name). */
  timeZone: z.string().refine((tz) => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, 'must be an IANA time zone'),
  /** A note can be corrected by its author for this long; after that it is immutable. */
  noteEditMinutes: z.number().positive().max(24 * 60),
  /** Working days (0 Sunday .. 6 Saturday) for the day-before booking reminder. */
  workingDays: z.array(z.number().int().min(0).max(6)).min(1),
  /** The local clinician directory (AWS reads Cognito instead when TEAM_DIRECTORY=cognito). */
  directory: z.array(memberSchema),
});
export type TeamConfig = z.infer<typeof teamConfigSchema>;

export const DEFAULT_TEAM_CONFIG: TeamConfig = {
  timeZone: 'America/Los_Angeles',
  noteEditMinutes: 15,
  workingDays: [1, 2, 3, 4, 5],
  directory: DEFAULT_DIRECTORY as Member[],
};

/** TEAM_CONFIG (JSON) overrides the defaults key by key; validated so a bad value fails loudly. */
export function loadTeamConfig(env: Record<string, string | undefined> = process.env): TeamConfig {
  const patch = env.TEAM_CONFIG ? (JSON.parse(env.TEAM_CONFIG) as Record<string, unknown>) : {};
  return teamConfigSchema.parse({ ...DEFAULT_TEAM_CONFIG, ...patch });
}

// ---------------------------------------------------------------- audit actions of team work
export const TEAM_AUDIT_ACTIONS = [
  'owner_changed',
  'assignee_changed',
  'follow_up_set',
  'booking_recorded',
  'note_added',
  'note_edited',
  'information_received',
  'booking_reminder_sent',
] as const;
export type TeamAuditAction = (typeof TEAM_AUDIT_ACTIONS)[number];

// ---------------------------------------------------------------- bookings
export const BOOKING_KINDS = ['myelography', 'procedure', 'neurosurgical_consult', 'follow_up_visit'] as const;
export type BookingKind = (typeof BOOKING_KINDS)[number];
export const BOOKING_STATUSES = ['to_schedule', 'booked', 'done', 'cancelled', 'did_not_attend'] as const;
export type BookingStatus = (typeof BOOKING_STATUSES)[number];
export const PLACE_KINDS = ['scanner', 'room', 'phone'] as const;

/** Which booking a pending stage needs: the stages of the care pathway that happen at a time and place. */
export const BOOKING_OF_STAGE: Readonly<Record<string, BookingKind>> = {
  MYELOGRAPHY: 'myelography',
  TARGETED_PATCH: 'procedure',
  NEUROSURGICAL_ESCALATION: 'neurosurgical_consult',
  FOLLOW_UP: 'follow_up_visit',
};

/** A status change allowed from each status; a result (done, cancelled, did not attend) is final. */
const NEXT_STATUSES: Record<BookingStatus, readonly BookingStatus[]> = {
  to_schedule: ['to_schedule', 'booked', 'cancelled'],
  booked: ['booked', 'done', 'cancelled', 'did_not_attend'],
  done: [],
  cancelled: [],
  did_not_attend: [],
};
export const canMoveBooking = (from: BookingStatus, to: BookingStatus): boolean => NEXT_STATUSES[from].includes(to);
export const isOpenBooking = (status: BookingStatus): boolean => status === 'to_schedule' || status === 'booked';

/** Booked, its time passed, and no result recorded: it belongs on the overdue list. */
export const isOverdueBooking = (b: { status: BookingStatus; startsAt?: string | null }, now: Date): boolean =>
  b.status === 'booked' && !!b.startsAt && Date.parse(b.startsAt) < now.getTime();

const placeSchema = z.strictObject({ kind: z.enum(PLACE_KINDS), label: z.string().trim().min(1).max(120) });
const isoInstant = z.iso.datetime({ offset: true });

export const createBookingSchema = z
  .strictObject({
    kind: z.enum(BOOKING_KINDS),
    visit: z.enum(FOLLOW_UP_VISITS).optional(),
    status: z.enum(['to_schedule', 'booked']).default('to_schedule'),
    startsAt: isoInstant.optional(),
    site: z.string().trim().min(1).max(100).optional(),
    place: placeSchema.optional(),
  })
  .superRefine((b, ctx) => {
    if (b.status === 'booked' && !b.startsAt) ctx.addIssue({ code: 'custom', path: ['startsAt'], message: 'is required to book' });
    if (b.status === 'booked' && !b.site) ctx.addIssue({ code: 'custom', path: ['site'], message: 'is required to book' });
    if (b.kind === 'follow_up_visit' && !b.visit) ctx.addIssue({ code: 'custom', path: ['visit'], message: 'is required for a follow-up visit' });
    if (b.kind !== 'follow_up_visit' && b.visit) ctx.addIssue({ code: 'custom', path: ['visit'], message: 'only a follow-up visit has a visit' });
  });
export type CreateBooking = z.infer<typeof createBookingSchema>;

export const updateBookingSchema = z.strictObject({
  status: z.enum(BOOKING_STATUSES).optional(),
  startsAt: isoInstant.optional(),
  site: z.string().trim().min(1).max(100).optional(),
  place: placeSchema.optional(),
  /** The revision the client saw: a stale tab gets 409 instead of overwriting a colleague. */
  rev: z.number().int().min(1),
});
export type UpdateBooking = z.infer<typeof updateBookingSchema>;

// ---------------------------------------------------------------- notes
export const NOTE_MAX_CHARS = 8000;
export const createNoteSchema = z.strictObject({
  text: z.string().trim().min(1, 'must not be empty').max(NOTE_MAX_CHARS),
  /** Shown to the referring doctor too (default: the program's only). */
  sharedWithReferrer: z.boolean().default(false),
});
export const editNoteSchema = z.strictObject({
  text: z.string().trim().min(1, 'must not be empty').max(NOTE_MAX_CHARS),
  sharedWithReferrer: z.boolean().optional(),
  rev: z.number().int().min(1),
});

export type NoteEditRefusal = 'not_author' | 'window_closed' | null;
/** Only the author, and only within the edit window counted from when the note was added. */
export function noteEditRefusal(note: { author: { sub: string }; createdAt: string }, callerSub: string, now: Date, editMinutes: number): NoteEditRefusal {
  if (note.author.sub !== callerSub) return 'not_author';
  if (now.getTime() - Date.parse(note.createdAt) > editMinutes * 60_000) return 'window_closed';
  return null;
}

// ---------------------------------------------------------------- ownership, follow-up, information
export const ownerSchema = z.strictObject({ coordinator: z.email().nullable() });
export const assigneeSchema = z.strictObject({ clinician: z.email().nullable(), pendingDecisionId: z.string().min(1).max(100).optional() });
export const followUpSchema = z.strictObject({
  on: z.iso.date().nullable(),
  /** What to chase; PHI-prone free text, kept out of audit details and emails. */
  reason: z.string().trim().min(1).max(500).optional(),
});
export const informationSchema = z.strictObject({
  text: z.string().trim().min(1, 'must not be empty').max(NOTE_MAX_CHARS),
  attachments: z
    .array(z.strictObject({ name: z.string().trim().min(1).max(200), text: z.string().min(1).max(32_000) }))
    .max(5)
    .default([]),
});

export const BULK_MAX_PATIENTS = 100;
export const bulkSchema = z.discriminatedUnion('action', [
  z.strictObject({ action: z.literal('reassign_owner'), patientIds: z.array(z.string()).min(1).max(BULK_MAX_PATIENTS), coordinator: z.email().nullable() }),
  z.strictObject({ action: z.literal('assign'), patientIds: z.array(z.string()).min(1).max(BULK_MAX_PATIENTS), clinician: z.email().nullable() }),
  z.strictObject({
    action: z.literal('hold'),
    patientIds: z.array(z.string()).min(1).max(BULK_MAX_PATIENTS),
    reason: z.enum(HOLD_REASONS),
    note: z.string().max(500).optional(),
  }),
]);
export type BulkRequest = z.infer<typeof bulkSchema>;

export const FILTER_VIEWS = ['board', 'waiting', 'my-work', 'bookings'] as const;
export const savedFilterSchema = z.strictObject({
  name: z.string().trim().min(1).max(80),
  view: z.enum(FILTER_VIEWS),
  query: z.record(z.string().regex(/^[a-zA-Z]{1,30}$/, 'must be a query parameter name'), z.string().max(200)).refine((q) => Object.keys(q).length <= 20, 'at most 20 parameters'),
});
export const MAX_SAVED_FILTERS = 50;

// ---------------------------------------------------------------- time in the program's zone
/** The calendar date (YYYY-MM-DD) of an instant in a time zone. */
export function dateIn(timeZone: string, at: Date): string {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(at);
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** "Thu 10 Dec 2026, 09:30 PST": how a booking time reads in emails and on screens. */
export function formatIn(timeZone: string, iso: string): string {
  const at = new Date(iso);
  const date = new Intl.DateTimeFormat('en-GB', { timeZone, weekday: 'short', day: 'numeric', month: 'short', year: 'numeric' }).format(at);
  const time = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(at);
  // en-US names North American zones (PST, PDT); elsewhere it gives an offset such as GMT+1.
  const zone = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'short' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? timeZone;
  return `${date}, ${time} ${zone}`;
}

const addDaysToDate = (date: string, days: number): string => {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
};
const weekdayOf = (date: string): number => new Date(`${date}T12:00:00Z`).getUTCDay();

/** The next working day after `today` (a Friday's is the Monday). */
export function nextWorkingDay(today: string, workingDays: readonly number[]): string {
  let d = addDaysToDate(today, 1);
  for (let i = 0; i < 7 && !workingDays.includes(weekdayOf(d)); i++) d = addDaysToDate(d, 1);
  return d;
}

/**
 * The bookings a reminder sent on `today` covers: those on the next working day, and on any
 * non-working day before it (a Friday's reminder covers the weekend and Monday).
 */
export function reminderDates(today: string, workingDays: readonly number[]): string[] {
  const last = nextWorkingDay(today, workingDays);
  const out: string[] = [];
  for (let d = addDaysToDate(today, 1); d <= last; d = addDaysToDate(d, 1)) out.push(d);
  return out;
}

/** The UTC instant a local wall-clock time in `timeZone` stands for (DST-correct to the minute). */
export function instantOf(timeZone: string, date: string, time = '00:00'): Date {
  const guess = new Date(`${date}T${time}:00Z`);
  const offsetAt = (d: Date) => {
    const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).formatToParts(d);
    const get = (t: string) => Number(parts.find((p) => p.type === t)?.value);
    return Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute')) - d.getTime();
  };
  const first = new Date(guess.getTime() - offsetAt(guess));
  return new Date(guess.getTime() - offsetAt(first));
}

/** Monday 00:00 to the next Monday 00:00 of the week containing `at`, in the program's zone. */
export function weekOf(timeZone: string, at: Date): { from: string; to: string } {
  const today = dateIn(timeZone, at);
  const monday = addDaysToDate(today, -((weekdayOf(today) + 6) % 7));
  return { from: instantOf(timeZone, monday).toISOString(), to: instantOf(timeZone, addDaysToDate(monday, 7)).toISOString() };
}

// ---------------------------------------------------------------- the referring doctor's view
const NEXT_STEP: Readonly<Record<string, string>> = {
  TRIAGE: 'The program is reviewing the referral (triage).',
  IMAGING_SELECTION: 'The neuroradiology team is choosing the myelography technique.',
  MYELOGRAPHY: 'Myelography to localise the leak.',
  TREATMENT_PLANNING: 'The team is planning treatment.',
  TARGETED_PATCH: 'A targeted procedure to seal the leak.',
  NEUROSURGICAL_ESCALATION: 'A neurosurgical consultation.',
  FOLLOW_UP: 'Follow-up visit.',
};
const CLOSED_STEP: Partial<Record<Status, string>> = {
  completed: 'The pathway is complete.',
  discharged: 'The patient was discharged from the program.',
  withdrawn: 'The referral was withdrawn.',
  lost_to_follow_up: 'The patient was lost to follow-up.',
  failed: 'The program is looking into a problem with this case.',
};

/** A plain-language next step for the referring doctor, with no clinical findings. */
export function nextStepFor(p: { stage: string; status: Status; pendingStage: string | null; informationRequested: boolean }): string {
  const closed = CLOSED_STEP[p.status];
  if (closed) return closed;
  if (p.status === 'on_hold') return 'On hold; the program will pick this up again.';
  if (p.informationRequested) return 'The program has asked you for more information.';
  if (p.pendingStage) return NEXT_STEP[p.pendingStage] ?? 'The program is working on the next step.';
  return 'The referral is being set up.';
}

/** The stage and outcome that ask the referring doctor for information (contract: TRIAGE request_info). */
export const INFORMATION_REQUEST = { stage: 'TRIAGE', outcome: 'request_info' } as const satisfies { stage: string; outcome: string };
