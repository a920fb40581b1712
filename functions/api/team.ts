// The team's work: ownership, assignment, follow-up dates, bookings, notes, bulk actions, saved
// filters, team metrics and the referring doctor's view. One handler, one service call per route.
import { getCaseWork } from '../app/team-case.js';
import { createBooking, listBookings, updateBooking } from '../app/team-bookings.js';
import { createFilter, deleteFilter, listFilters, updateFilter } from '../app/team-filters.js';
import { teamMetrics } from '../app/team-analytics.js';
import { addNote, editNote, listNotes } from '../app/team-notes.js';
import { getReferredPatient, listReferredPatients, submitInformation } from '../app/team-referrer.js';
import { claim, listDirectory, myWork, runBulk, setAssignee, setFollowUp, setOwner } from '../app/team-work.js';
import { notFound } from '../shared/errors.js';
import { callerOf, httpHandler, jsonBody, pathParam, queryOf, type Caller, type HttpEvent, type HttpResult } from '../shared/http.js';
import { runtimeDeps, type Deps } from '../shared/runtime.js';
import type { TeamRouteKey } from './team-routes.js';

type Route = (deps: Deps, caller: Caller, event: HttpEvent) => Promise<HttpResult>;
const id = (event: HttpEvent) => pathParam(event, 'patientId');

/** One service call per route key of team-routes.ts (the compiler checks every key is served). */
export const TEAM_ROUTES: Record<TeamRouteKey, Route> = {
  'GET /work/mine': (d, c) => myWork(d, c),
  'GET /directory': (d, c) => listDirectory(d, c),
  'GET /patients/{patientId}/work': (d, c, e) => getCaseWork(d, c, id(e)),
  'POST /patients/{patientId}/claim': (d, c, e) => claim(d, c, id(e)),
  'POST /patients/{patientId}/owner': (d, c, e) => setOwner(d, c, id(e), jsonBody(e)),
  'POST /patients/{patientId}/assignee': (d, c, e) => setAssignee(d, c, id(e), jsonBody(e)),
  'POST /patients/{patientId}/follow-up': (d, c, e) => setFollowUp(d, c, id(e), jsonBody(e)),
  'GET /bookings': (d, c, e) => listBookings(d, c, queryOf(e)),
  'POST /patients/{patientId}/bookings': (d, c, e) => createBooking(d, c, id(e), jsonBody(e)),
  'PUT /patients/{patientId}/bookings/{bookingId}': (d, c, e) => updateBooking(d, c, id(e), pathParam(e, 'bookingId'), jsonBody(e)),
  'GET /patients/{patientId}/notes': (d, c, e) => listNotes(d, c, id(e)),
  'POST /patients/{patientId}/notes': (d, c, e) => addNote(d, c, id(e), jsonBody(e)),
  'PUT /patients/{patientId}/notes/{noteId}': (d, c, e) => editNote(d, c, id(e), pathParam(e, 'noteId'), jsonBody(e)),
  'POST /bulk': (d, c, e) => runBulk(d, c, jsonBody(e)),
  'GET /filters': (d, c) => listFilters(d, c),
  'POST /filters': (d, c, e) => createFilter(d, c, jsonBody(e)),
  'PUT /filters/{filterId}': (d, c, e) => updateFilter(d, c, pathParam(e, 'filterId'), jsonBody(e)),
  'DELETE /filters/{filterId}': (d, c, e) => deleteFilter(d, c, pathParam(e, 'filterId')),
  'GET /metrics/team': (d, c, e) => teamMetrics(d, c, queryOf(e)),
  'GET /referrer/patients': (d, c) => listReferredPatients(d, c),
  'GET /referrer/patients/{patientId}': (d, c, e) => getReferredPatient(d, c, id(e)),
  'POST /patients/{patientId}/information': (d, c, e) => submitInformation(d, c, id(e), jsonBody(e)),
};

export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  const route = TEAM_ROUTES[event.routeKey as TeamRouteKey] as Route | undefined;
  if (!route) throw notFound('No such route.');
  return route(await runtimeDeps(), caller, event);
});
