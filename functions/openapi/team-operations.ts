// The team-work routes (functions/api/team-routes.ts) in the OpenAPI document: who owns each case,
// assignments, bookings, notes, bulk actions, saved filters, team metrics and the referring
// doctor's view. Request bodies are the handlers' own zod schemas (functions/domain/team-work.ts);
// answers are the schemas of team-responses.ts, with a sentence saying what they hold.
import type * as z from 'zod';
import type { TeamRouteKey } from '../api/team-routes.js';
import {
  assigneeSchema,
  bulkSchema,
  createBookingSchema,
  createNoteSchema,
  editNoteSchema,
  followUpSchema,
  informationSchema,
  ownerSchema,
  savedFilterSchema,
  updateBookingSchema,
} from '../domain/team-work.js';
import { TEAM_ANSWERS as A } from './team-responses.js';

export type TeamErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 503;

export interface TeamOperation {
  readonly operationId: string;
  readonly summary: string;
  readonly roles: string;
  readonly body?: z.ZodType;
  readonly status: 200 | 201 | 204;
  readonly answer: string;
  /** The answer's shape (every status but 204 has one). */
  readonly schema?: z.ZodType;
  readonly errors: readonly TeamErrorStatus[];
}

const CLINICIANS = 'coordinators, physicians';
const READ: readonly TeamErrorStatus[] = [401, 403, 404, 503];
const WRITE: readonly TeamErrorStatus[] = [400, 401, 403, 404, 409, 413, 415, 503];

/** One entry per team route key: a key without an operation fails the typecheck. */
export const TEAM_OPERATIONS: Readonly<Record<TeamRouteKey, TeamOperation>> = {
  'GET /work/mine': { operationId: 'getMyWork', summary: 'My work: the cases I own or am assigned, and those waiting on my team', roles: CLINICIANS, status: 200, schema: A.myWork, answer: 'The caller’s cases, with who each waits on.', errors: READ },
  'GET /directory': { operationId: 'getDirectory', summary: 'The clinician directory (coordinators and physicians, with team and site)', roles: CLINICIANS, status: 200, schema: A.directory, answer: 'Every clinician who can own or be assigned work.', errors: READ },
  'GET /patients/{patientId}/work': { operationId: 'getCaseWork', summary: 'Who owns the case, who is assigned the pending decision, its follow-up date, bookings and notes', roles: CLINICIANS, status: 200, schema: A.caseWork, answer: 'The case’s team work.', errors: READ },
  'POST /patients/{patientId}/claim': { operationId: 'claimCase', summary: 'Take the pending decision myself', roles: CLINICIANS, status: 200, schema: A.claim, answer: 'The new assignee.', errors: WRITE },
  'POST /patients/{patientId}/owner': { operationId: 'setOwner', summary: 'Set or clear the coordinator who owns the case', roles: 'coordinators', body: ownerSchema, status: 200, schema: A.owner, answer: 'The new owner.', errors: WRITE },
  'POST /patients/{patientId}/assignee': { operationId: 'setAssignee', summary: 'Assign the pending decision to a clinician (its emails then go to them)', roles: CLINICIANS, body: assigneeSchema, status: 200, schema: A.assignee, answer: 'The new assignee.', errors: WRITE },
  'POST /patients/{patientId}/follow-up': { operationId: 'setFollowUp', summary: 'Set the date to chase the case next', roles: CLINICIANS, body: followUpSchema, status: 200, schema: A.followUp, answer: 'The follow-up date.', errors: WRITE },
  'GET /bookings': { operationId: 'listBookings', summary: 'Bookings by day or week, and the procedures not yet booked', roles: CLINICIANS, status: 200, schema: A.bookings, answer: 'The bookings in the site’s time zone.', errors: [400, 401, 403, 503] },
  'POST /patients/{patientId}/bookings': { operationId: 'createBooking', summary: 'Book a myelogram, patch or operation', roles: CLINICIANS, body: createBookingSchema, status: 201, schema: A.booking, answer: 'The booking.', errors: WRITE },
  'PUT /patients/{patientId}/bookings/{bookingId}': { operationId: 'updateBooking', summary: 'Move, confirm, mark done or cancel a booking', roles: CLINICIANS, body: updateBookingSchema, status: 200, schema: A.booking, answer: 'The booking as changed.', errors: WRITE },
  'GET /patients/{patientId}/notes': { operationId: 'listNotes', summary: 'The case notes (never in emails, logs or the audit trail)', roles: CLINICIANS, status: 200, schema: A.notes, answer: 'The notes, newest last, with which the caller may still edit.', errors: READ },
  'POST /patients/{patientId}/notes': { operationId: 'addNote', summary: 'Add a case note', roles: CLINICIANS, body: createNoteSchema, status: 201, schema: A.note, answer: 'The note.', errors: WRITE },
  'PUT /patients/{patientId}/notes/{noteId}': { operationId: 'editNote', summary: 'Correct my note (by its author, within the edit window)', roles: CLINICIANS, body: editNoteSchema, status: 200, schema: A.note, answer: 'The note as corrected.', errors: WRITE },
  'POST /bulk': { operationId: 'runBulk', summary: 'One action on many cases (owner, assignee, follow-up date)', roles: 'coordinators', body: bulkSchema, status: 200, schema: A.bulk, answer: 'How many succeeded, and why each failure failed.', errors: [400, 401, 403, 413, 415, 503] },
  'GET /filters': { operationId: 'listFilters', summary: 'My saved worklist filters', roles: 'coordinators, physicians, administrators', status: 200, schema: A.filters, answer: 'The caller’s saved filters.', errors: [401, 403, 503] },
  'POST /filters': { operationId: 'createFilter', summary: 'Save a worklist filter', roles: 'coordinators, physicians, administrators', body: savedFilterSchema, status: 201, schema: A.filter, answer: 'The saved filter.', errors: [400, 401, 403, 409, 413, 415, 503] },
  'PUT /filters/{filterId}': { operationId: 'updateFilter', summary: 'Change a saved filter', roles: 'coordinators, physicians, administrators', body: savedFilterSchema, status: 200, schema: A.filter, answer: 'The filter as changed.', errors: WRITE },
  'DELETE /filters/{filterId}': { operationId: 'deleteFilter', summary: 'Delete a saved filter', roles: 'coordinators, physicians, administrators', status: 204, answer: 'Deleted.', errors: READ },
  'GET /metrics/team': { operationId: 'getTeamMetrics', summary: 'Team metrics: ownership, assignment and booking times', roles: 'administrators', status: 200, schema: A.teamMetrics, answer: 'The team figures by month.', errors: [400, 401, 403, 503] },
  'GET /referrer/patients': { operationId: 'listReferredPatients', summary: 'A referring doctor’s own patients and where each stands', roles: 'referrers', status: 200, schema: A.referredPatients, answer: 'The caller’s referred patients (nobody else’s).', errors: [401, 403, 503] },
  'GET /referrer/patients/{patientId}': { operationId: 'getReferredPatient', summary: 'One of my referred patients: milestones and what the program waits for', roles: 'referrers', status: 200, schema: A.referredPatient, answer: 'The referred patient (404 for anyone else’s).', errors: READ },
  'POST /patients/{patientId}/information': { operationId: 'submitInformation', summary: 'Answer the program’s request for information about my referral', roles: 'referrers', body: informationSchema, status: 201, schema: A.informationReceived, answer: 'Received; the coordinators are told.', errors: WRITE },
};
