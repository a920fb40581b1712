// The route keys of the team-work API (served by functions/api/team.ts). The local stack and the
// CDK stack route exactly these, so the three can never disagree.
export const TEAM_ROUTE_KEYS = [
  'GET /work/mine',
  'GET /directory',
  'GET /patients/{patientId}/work',
  'POST /patients/{patientId}/claim',
  'POST /patients/{patientId}/owner',
  'POST /patients/{patientId}/assignee',
  'POST /patients/{patientId}/follow-up',
  'GET /bookings',
  'POST /patients/{patientId}/bookings',
  'PUT /patients/{patientId}/bookings/{bookingId}',
  'GET /patients/{patientId}/notes',
  'POST /patients/{patientId}/notes',
  'PUT /patients/{patientId}/notes/{noteId}',
  'POST /bulk',
  'GET /filters',
  'POST /filters',
  'PUT /filters/{filterId}',
  'DELETE /filters/{filterId}',
  'GET /metrics/team',
  'GET /referrer/patients',
  'GET /referrer/patients/{patientId}',
  'POST /patients/{patientId}/information',
] as const;
export type TeamRouteKey = (typeof TEAM_ROUTE_KEYS)[number];
