// The pure rules of the team's work: who may take a decision, note correction windows, booking
// statuses, and time in the program's zone (working days, DST).
import { describe, expect, it } from 'vitest';
import { toAssignee } from '../../functions/app/outbox.js';
import { DEFAULT_CONFIG } from '../../functions/domain/config.js';
import { belongsTo, decidingGroupOf, DEFAULT_DIRECTORY, findMember, groupsOf } from '../../functions/domain/directory.js';
import { emailsFor } from '../../functions/domain/notifications.js';
import { CARE_PATHWAY, decisionStageIds, outcomesOf } from '../../functions/domain/pathway.js';
import type { PatientRecord } from '../../functions/domain/record.js';
import {
  BOOKING_OF_STAGE,
  INFORMATION_REQUEST,
  canMoveBooking,
  createBookingSchema,
  dateIn,
  formatIn,
  instantOf,
  isOverdueBooking,
  loadTeamConfig,
  nextStepFor,
  nextWorkingDay,
  noteEditRefusal,
  reminderDates,
  weekOf,
} from '../../functions/domain/team-work.js';
import type { Deps } from '../../functions/shared/runtime.js';

const TZ = 'America/Los_Angeles';
const WEEKDAYS = [1, 2, 3, 4, 5];
const member = (email: string) => findMember(DEFAULT_DIRECTORY, email)!;

describe('the team-work rules name only stages of the care pathway', () => {
  it('books only stages the pathway has, and asks for information with an outcome its stage has', () => {
    expect(Object.keys(BOOKING_OF_STAGE).filter((s) => !decisionStageIds(CARE_PATHWAY).includes(s))).toEqual([]);
    expect(outcomesOf(CARE_PATHWAY, INFORMATION_REQUEST.stage)).toContain(INFORMATION_REQUEST.outcome);
  });
});

describe('who may take a pending decision', () => {
  it('is the neuroradiology team at the patient’s own site for the neuroradiology stages', () => {
    const group = decidingGroupOf(CARE_PATHWAY, 'TRIAGE', 'roseville-sacramento', DEFAULT_CONFIG);
    expect(group).toEqual({ role: 'physician', team: 'neuroradiology', site: 'roseville-sacramento' });
    expect(belongsTo(member('nr1.roseville-sacramento@example.org'), group)).toBe(true);
    expect(belongsTo(member('nr1.santa-clara@example.org'), group)).toBe(false);
  });

  it('is the treating team at its configured site for the procedure and the neurosurgical consult', () => {
    expect(belongsTo(member('nir1.sacramento@example.org'), decidingGroupOf(CARE_PATHWAY, 'TARGETED_PATCH', 'santa-clara', DEFAULT_CONFIG))).toBe(true);
    expect(belongsTo(member('nr1.santa-clara@example.org'), decidingGroupOf(CARE_PATHWAY, 'TARGETED_PATCH', 'santa-clara', DEFAULT_CONFIG))).toBe(false);
    expect(belongsTo(member('ns1.redwood-city@example.org'), decidingGroupOf(CARE_PATHWAY, 'NEUROSURGICAL_ESCALATION', 'santa-clara', DEFAULT_CONFIG))).toBe(true);
  });

  it('is a coordinator for a follow-up check-in, and a coordinator’s own group is the coordinators', () => {
    const group = decidingGroupOf(CARE_PATHWAY, 'FOLLOW_UP', 'santa-clara', DEFAULT_CONFIG);
    expect(belongsTo(member('coordinator.two@example.org'), group)).toBe(true);
    expect(groupsOf(member('coordinator@example.org'))).toEqual([group]);
  });
});

describe('correcting a note', () => {
  const note = { author: { sub: 'casey' }, createdAt: '2026-12-03T10:00:00.000Z' };
  it('is allowed to its author within the window, up to the last second', () => {
    expect(noteEditRefusal(note, 'casey', new Date('2026-12-03T10:15:00.000Z'), 15)).toBeNull();
  });
  it('is refused once the window has passed: the note is part of the record', () => {
    expect(noteEditRefusal(note, 'casey', new Date('2026-12-03T10:15:00.001Z'), 15)).toBe('window_closed');
  });
  it('is refused to anyone but the author, even at once', () => {
    expect(noteEditRefusal(note, 'dana', new Date('2026-12-03T10:00:01.000Z'), 15)).toBe('not_author');
  });
});

describe('bookings', () => {
  it('move forward only: a result (done, cancelled, did not attend) is final', () => {
    expect(canMoveBooking('to_schedule', 'booked')).toBe(true);
    expect(canMoveBooking('booked', 'did_not_attend')).toBe(true);
    expect(canMoveBooking('done', 'booked')).toBe(false);
    expect(canMoveBooking('to_schedule', 'done')).toBe(false);
  });

  it('are overdue only when booked, past their time, and without a result', () => {
    const now = new Date('2026-12-03T18:00:00Z');
    expect(isOverdueBooking({ status: 'booked', startsAt: '2026-12-03T17:00:00Z' }, now)).toBe(true);
    expect(isOverdueBooking({ status: 'done', startsAt: '2026-12-03T17:00:00Z' }, now)).toBe(false);
    expect(isOverdueBooking({ status: 'booked', startsAt: '2026-12-03T19:00:00Z' }, now)).toBe(false);
  });

  it('need a time and a site to be booked, and a follow-up visit names its visit', () => {
    const bad = createBookingSchema.safeParse({ kind: 'follow_up_visit', status: 'booked' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.')).sort()).toEqual(['site', 'startsAt', 'visit']);
    expect(createBookingSchema.safeParse({ kind: 'myelography' }).success).toBe(true);
  });
});

describe("time in the program's zone", () => {
  it('turns a local wall-clock time into the right instant in winter and in summer', () => {
    expect(instantOf(TZ, '2026-12-04', '09:30').toISOString()).toBe('2026-12-04T17:30:00.000Z');
    expect(instantOf(TZ, '2026-07-04', '09:30').toISOString()).toBe('2026-07-04T16:30:00.000Z');
    expect(formatIn(TZ, '2026-12-04T17:30:00.000Z')).toBe('Fri, 4 Dec 2026, 09:30 PST');
  });

  it('takes the calendar date in the zone, not in UTC', () => {
    expect(dateIn(TZ, new Date('2026-12-04T05:00:00Z'))).toBe('2026-12-03');
  });

  it("sends Friday's reminder for the weekend and Monday, and a weekday's for the next day", () => {
    expect(nextWorkingDay('2026-12-04', WEEKDAYS)).toBe('2026-12-07');
    expect(reminderDates('2026-12-04', WEEKDAYS)).toEqual(['2026-12-05', '2026-12-06', '2026-12-07']);
    expect(reminderDates('2026-12-02', WEEKDAYS)).toEqual(['2026-12-03']);
  });

  it('runs a week from Monday midnight to the next Monday midnight, local time', () => {
    expect(weekOf(TZ, new Date('2026-12-03T20:00:00Z'))).toEqual({ from: '2026-11-30T08:00:00.000Z', to: '2026-12-07T08:00:00.000Z' });
  });
});

describe('configuration and the referrer’s next step', () => {
  it('refuses an unknown time zone at start-up', () => {
    expect(() => loadTeamConfig({ TEAM_CONFIG: JSON.stringify({ timeZone: 'Mars/Olympus' }) })).toThrow();
    expect(loadTeamConfig({ TEAM_CONFIG: JSON.stringify({ noteEditMinutes: 5 }) }).noteEditMinutes).toBe(5);
  });

  it('tells the referring doctor when the program asked them for information, before anything else', () => {
    expect(nextStepFor({ stage: 'TRIAGE', status: 'active', pendingStage: 'TRIAGE', informationRequested: true })).toMatch(/asked you/);
    expect(nextStepFor({ stage: 'MYELOGRAPHY', status: 'active', pendingStage: 'MYELOGRAPHY', informationRequested: false })).toMatch(/Myelography/);
    expect(nextStepFor({ stage: 'FOLLOW_UP', status: 'completed', pendingStage: null, informationRequested: false })).toMatch(/complete/);
  });
});

describe('who hears about the decision pending now', () => {
  const subject = { patientId: 'p1', caseRef: 'CSF-2026-000001', site: 'santa-clara', referringPhysicianEmail: 'referrer@example.org' };
  const emails = emailsFor(CARE_PATHWAY, { kind: 'stage_entered', stage: 'TRIAGE', dueAt: '2026-12-10T00:00:00.000Z' }, subject, DEFAULT_CONFIG);
  const waiting = { patientId: 'p1', pendingDecision: { id: 'decision-1', stage: 'TRIAGE' }, decidedAt: null } as unknown as PatientRecord;
  const depsWith = (assigneeRecipients: Deps['assigneeRecipients']) => ({ assigneeRecipients }) as unknown as Deps;

  it('is its assignee instead of the team, and everyone else as before', async () => {
    const asked: string[] = [];
    const routed = await toAssignee(depsWith(async (_p, stage, id) => (asked.push(`${stage}/${id}`), ['nr2.santa-clara@example.org'])), waiting, 'TRIAGE', emails);
    expect(asked).toEqual(['TRIAGE/decision-1']);
    expect(routed.filter((e) => e.audience === 'team').map((e) => e.to)).toEqual([['nr2.santa-clara@example.org']]);
    expect(routed.filter((e) => e.audience !== 'team')).toEqual(emails.filter((e) => e.audience !== 'team'));
  });

  it('is the team when nobody is assigned, the decision was taken, or the assignment cannot be read', async () => {
    expect(await toAssignee(depsWith(async () => null), waiting, 'TRIAGE', emails)).toEqual(emails);
    expect(await toAssignee(depsWith(async () => ['x@example.org']), { ...waiting, decidedAt: '2026-12-03T00:00:00.000Z' }, 'TRIAGE', emails)).toEqual(emails);
    expect(await toAssignee(depsWith(async () => Promise.reject(new Error('table away'))), waiting, 'TRIAGE', emails)).toEqual(emails);
  });
});
