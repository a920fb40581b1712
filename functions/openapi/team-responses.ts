// The team-work routes' answers as zod schemas, for the OpenAPI document (the request bodies are
// the handlers' own schemas in functions/domain/team-work.ts). Like responses.ts: objects are
// loose (the product may add fields, clients must accept them), and the e2e test validates the
// real answer of every team route against the document, so a shape that drifts fails there.
import * as z from 'zod';
import { BOOKING_KINDS, BOOKING_STATUSES } from '../domain/team-work.js';
import { FOLLOW_UP_VISITS, ROLES } from '../domain/vocabulary.js';
import { instant, patientListItemSchema, stage, status } from './responses.js';

const day = z.string().describe('calendar day, YYYY-MM-DD');
const person = z.looseObject({ email: z.string(), name: z.string() });
const timeZone = z.string().describe('IANA time zone the local times are in');

const owner = z.looseObject({ email: z.string(), name: z.string(), since: instant }).nullable().meta({ id: 'CaseOwner' });
const assignee = z.looseObject({ email: z.string(), name: z.string(), stage, pendingKey: z.string(), since: instant }).nullable().meta({ id: 'DecisionAssignee' });
const followUp = z.looseObject({ on: day, reason: z.string().optional(), setBy: z.string() }).nullable().meta({ id: 'FollowUp' });

// A worklist row's case fields, then who owns it and who is assigned.
const workRow = patientListItemSchema
  .pick({ patientId: true, caseRef: true, stage: true, status: true, site: true, dueAt: true, overdue: true })
  .extend({
    awaiting: stage.nullable().describe('the stage of the pending decision, if one is open'),
    owner: person.nullable(),
    assignee: person.nullable(),
    followUpOn: day.nullable(),
  })
  .meta({ id: 'WorkRow' });

const booking = z
  .looseObject({
    bookingId: z.string(),
    patientId: z.string(),
    caseRef: z.string(),
    rev: z.number().int(),
    kind: z.enum(BOOKING_KINDS),
    visit: z.enum(FOLLOW_UP_VISITS).optional(),
    status: z.enum(BOOKING_STATUSES),
    startsAt: instant.nullable(),
    startsAtLocal: z.string().nullable(),
    site: z.string().nullable(),
    place: z.looseObject({ kind: z.enum(['scanner', 'room', 'phone']), label: z.string() }).nullable(),
    overdue: z.boolean(),
    createdAt: instant,
    createdBy: person,
    bookedAt: instant.nullable(),
    bookedBy: person.nullable(),
    resultAt: instant.nullable(),
  })
  .meta({ id: 'Booking' });

const note = z
  .looseObject({
    noteId: z.string(),
    rev: z.number().int(),
    text: z.string(),
    author: z.looseObject({ email: z.string(), role: z.enum(ROLES) }),
    createdAt: instant,
    editedAt: instant.nullable(),
    sharedWithReferrer: z.boolean(),
    editableUntil: instant,
    editable: z.boolean().describe('whether the caller may still correct it'),
  })
  .meta({ id: 'Note' });

const savedFilter = z
  .looseObject({ filterId: z.string(), name: z.string(), view: z.string(), query: z.record(z.string(), z.string()), createdAt: instant, updatedAt: instant })
  .meta({ id: 'SavedFilter' });

const member = z.looseObject({ email: z.string(), name: z.string(), role: z.enum(ROLES), team: z.string().nullable(), site: z.string().nullable() });

const referredSummary = {
  patientId: z.string(),
  caseRef: z.string(),
  referralId: z.string(),
  site: z.string(),
  stage,
  status,
  referredAt: instant,
  nextStep: z.string().describe('what happens next, in words for the referring doctor'),
  informationRequest: z.looseObject({ askedAt: instant, asked: z.string().nullable(), answeredAt: instant.nullable() }).nullable(),
};

const ownerAnswer = z.looseObject({ patientId: z.string(), owner }).meta({ id: 'OwnerChanged' });
const assigneeAnswer = z.looseObject({ patientId: z.string(), pendingDecisionId: z.string().nullable(), assignee }).meta({ id: 'AssigneeChanged' });

/** The answer of each team route with a body (DELETE answers 204 without one). */
export const TEAM_ANSWERS = {
  myWork: z
    .looseObject({
      me: member,
      today: day,
      timeZone,
      owned: z.array(workRow),
      assigned: z.array(workRow),
      followUpsDue: z.array(workRow),
      teamUnassigned: z.array(workRow),
    })
    .meta({ id: 'MyWork' }),
  directory: z.looseObject({ items: z.array(member) }).meta({ id: 'Directory' }),
  caseWork: z
    .looseObject({
      patientId: z.string(),
      caseRef: z.string(),
      stage,
      status,
      timeZone,
      noteEditMinutes: z.number().int(),
      owner,
      assignee,
      followUp,
      pendingDecisionId: z.string().nullable(),
      candidates: z.array(person).describe('who may be assigned the pending decision'),
      bookings: z.array(booking),
      notes: z.array(note),
      information: z.array(z.looseObject({ infoId: z.string(), text: z.string(), attachments: z.array(z.looseObject({ name: z.string(), text: z.string() })), from: z.string(), receivedAt: instant })),
    })
    .meta({ id: 'CaseWork' }),
  owner: ownerAnswer,
  assignee: assigneeAnswer,
  claim: z.union([ownerAnswer, assigneeAnswer]).meta({ id: 'Claimed', description: 'A coordinator who claims a case becomes its owner; a physician becomes the assignee of its pending decision.' }),
  followUp: z.looseObject({ patientId: z.string(), followUp }).meta({ id: 'FollowUpChanged' }),
  bookings: z
    .looseObject({
      view: z.string(),
      timeZone,
      week: z.string().optional(),
      items: z.array(booking),
      unbooked: z.array(z.looseObject({ patientId: z.string(), caseRef: z.string(), stage, kind: z.enum(BOOKING_KINDS), missing: z.literal(true) })).optional(),
    })
    .meta({ id: 'Bookings' }),
  booking,
  notes: z.looseObject({ items: z.array(note) }).meta({ id: 'Notes' }),
  note,
  bulk: z
    .looseObject({
      action: z.string(),
      succeeded: z.number().int(),
      failed: z.number().int(),
      results: z.array(z.looseObject({ patientId: z.string(), ok: z.boolean(), status: z.number().int(), code: z.string().optional(), message: z.string().optional() })),
    })
    .meta({ id: 'BulkResult' }),
  filters: z.looseObject({ items: z.array(savedFilter) }).meta({ id: 'SavedFilters' }),
  filter: savedFilter,
  teamMetrics: z
    .looseObject({
      from: z.string(),
      to: z.string(),
      owners: z.array(z.looseObject({ owner: z.string(), name: z.string(), openCases: z.number().int(), onHold: z.number().int() })),
      bookings: z.looseObject({
        created: z.number(),
        booked: z.number(),
        done: z.number(),
        cancelled: z.number(),
        didNotAttend: z.number(),
        meanHoursToBook: z.number().nullable(),
        meanHoursBookedToDone: z.number().nullable(),
        didNotAttendRate: z.number().nullable(),
      }),
      byMonth: z.array(z.looseObject({ month: z.string(), created: z.number(), booked: z.number(), done: z.number(), didNotAttend: z.number(), cancelled: z.number() })),
    })
    .meta({ id: 'TeamMetrics' }),
  referredPatients: z
    .looseObject({
      items: z.array(
        z.looseObject({
          ...referredSummary,
          nextBooking: z.looseObject({ kind: z.enum(BOOKING_KINDS), startsAt: instant.nullable(), startsAtLocal: z.string(), site: z.string().nullable() }).nullable(),
        }),
      ),
      timeZone,
    })
    .meta({ id: 'ReferredPatients' }),
  referredPatient: z
    .looseObject({
      ...referredSummary,
      patient: z.looseObject({ givenName: z.string(), familyName: z.string(), birthDate: day }),
      bookings: z.array(
        z.looseObject({ kind: z.enum(BOOKING_KINDS), visit: z.enum(FOLLOW_UP_VISITS).optional(), status: z.enum(BOOKING_STATUSES), startsAt: instant.nullable(), startsAtLocal: z.string().nullable(), site: z.string().nullable(), open: z.boolean() }),
      ),
      sharedNotes: z.array(z.looseObject({ noteId: z.string(), text: z.string(), createdAt: instant, editedAt: instant.nullable(), author: z.looseObject({ role: z.enum(ROLES) }) })),
      informationSent: z.array(z.looseObject({ infoId: z.string(), receivedAt: instant, attachments: z.array(z.string()) })),
      timeZone,
    })
    .meta({ id: 'ReferredPatient' }),
  informationReceived: z.looseObject({ patientId: z.string(), infoId: z.string(), receivedAt: instant }).meta({ id: 'InformationReceived' }),
} as const satisfies Record<string, z.ZodType>;
