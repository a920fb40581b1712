// The one place that knows the DynamoDB layout. The CDK stack, the local stack and the
// repository all build tables, indexes and keys from here; no key string is assembled elsewhere.
//
// Pathway table (patients and pre-aggregated counters):
//   PK = PATIENT#<patientId>   SK = STATE                 the patient's pathway record
//   PK = REFERRAL#<referralId> SK = REFERRAL              idempotency guard for intake
//   PK = METRIC#<YYYY-MM>      SK = STAGE#<stage>         entered / exited / days-in-stage histogram
//   PK = METRIC#<YYYY-MM>      SK = FUNNEL                referrals, accepted, myelographies, ...
//   PK = METRIC#<YYYY-MM>      SK = YIELD | OUTCOMES      localisation yield, outcomes by procedure
//   PK = CASEREF               SK = COUNTER               sequence behind human-readable case refs
//   PK = CASEREF#<caseRef>     SK = CASEREF               the patient of a case reference (audit search)
//   PK = SUBSCRIPTIONS         SK = SUBSCRIPTION#<id>     a FHIR rest-hook subscription (few: one partition)
//   PK = SUBSCRIPTION#<id>     SK = DELIVERY#<patientId>#<step>   one notification and its attempts
//   GSI1 (worklist): GSI1PK = STAGE#<stage>#STATUS#<status>, GSI1SK = <dueAt or "~">#<patientId>
//     so a stage's worklist is one Query sorted by due date, and "overdue" is the same Query
//     with GSI1SK < now. Projection: only the worklist columns.
//   TEAM (team-store.ts; the team's work beside the record, never inside it):
//   PK = PATIENT#<patientId>   SK = WORK                  owner, decision assignee, follow-up date (rev-checked)
//   PK = PATIENT#<patientId>   SK = BOOKING#<bookingId>   a booking: kind, time, site, place, status, who booked
//   PK = PATIENT#<patientId>   SK = NOTE#<noteId>         a case note (PHI: served to the team, never logged)
//   PK = PATIENT#<patientId>   SK = INFO#<infoId>         information a referring doctor sent
//   PK = REFERRER#email:<email> | REFERRER#sub:<sub>   SK = PATIENT#<patientId>   a referring doctor's patients
//   PK = OWNER#<email>         SK = PATIENT#<patientId>   cases a coordinator owns (with the follow-up date)
//   PK = ASSIGNEE#<email>      SK = PATIENT#<patientId>   pending decisions assigned to a clinician
//   PK = BOOKINGS#<status>     SK = <startsAt or "~">#<bookingId>   bookings by status, sorted by time
//   PK = USER#<sub>            SK = FILTER#<filterId>     a user's saved filters
//   PK = TEAMMETRIC#<YYYY-MM>  SK = BOOKINGS              booking counters (to_schedule->booked->done, DNA)
//
// Audit table (append-only: the application may put, never update or delete):
//   PK = PATIENT#<patientId> | SYSTEM   SK = <ISO time>#<ulid>
//   GSI1 (by month): GSI1PK = MONTH#<YYYY-MM>, GSI1SK = <ISO time>#<ulid>

export const PATHWAY_TABLE = {
  partitionKey: 'PK',
  sortKey: 'SK',
  worklistIndex: {
    name: 'GSI1',
    partitionKey: 'GSI1PK',
    sortKey: 'GSI1SK',
    projection: ['patientId', 'caseRef', 'stage', 'status', 'site', 'stageEnteredAt', 'dueAt', 'awaiting', 'pathwayVersion', 'hold', 'decidedAt', 'urgency', 'outboxSince'],
  },
} as const;

export const AUDIT_TABLE = {
  partitionKey: 'PK',
  sortKey: 'SK',
  monthIndex: { name: 'GSI1', partitionKey: 'GSI1PK', sortKey: 'GSI1SK' },
} as const;

export const keys = {
  patient: (patientId: string) => ({ PK: `PATIENT#${patientId}`, SK: 'STATE' }),
  referral: (referralId: string) => ({ PK: `REFERRAL#${referralId}`, SK: 'REFERRAL' }),
  caseRefCounter: () => ({ PK: 'CASEREF', SK: 'COUNTER' }),
  caseRef: (caseRef: string) => ({ PK: `CASEREF#${caseRef}`, SK: 'CASEREF' }),
  stageMetric: (month: string, stage: string) => ({ PK: `METRIC#${month}`, SK: `STAGE#${stage}` }),
  funnelMetric: (month: string) => ({ PK: `METRIC#${month}`, SK: 'FUNNEL' }),
  yieldMetric: (month: string) => ({ PK: `METRIC#${month}`, SK: 'YIELD' }),
  outcomeMetric: (month: string) => ({ PK: `METRIC#${month}`, SK: 'OUTCOMES' }),
  metricMonth: (month: string) => `METRIC#${month}`,
  worklistPartition: (stage: string, status: string) => `STAGE#${stage}#STATUS#${status}`,
  /** "~" sorts after every ISO date, so undated rows come last and never count as overdue. */
  worklistSort: (dueAt: string | null, patientId: string) => `${dueAt ?? '~'}#${patientId}`,
  auditPatient: (patientId: string) => `PATIENT#${patientId}`,
  auditSystem: () => 'SYSTEM',
  auditSort: (at: string, id: string) => `${at}#${id}`,
  auditMonth: (month: string) => `MONTH#${month}`,
  subscription: (id: string) => ({ PK: 'SUBSCRIPTIONS', SK: `SUBSCRIPTION#${id}` }),
  subscriptionPartition: () => 'SUBSCRIPTIONS',
  delivery: (subscriptionId: string, patientId: string, step: number) => ({ PK: `SUBSCRIPTION#${subscriptionId}`, SK: `DELIVERY#${patientId}#${String(step).padStart(6, '0')}` }),
  deliveryPartition: (subscriptionId: string) => `SUBSCRIPTION#${subscriptionId}`,
} as const;

/** TEAM: keys of the team's work (team-store.ts), appended so the pathway's keys above stay as they are. */
export const teamKeys = {
  work: (patientId: string) => ({ PK: `PATIENT#${patientId}`, SK: 'WORK' }),
  patientPartition: (patientId: string) => `PATIENT#${patientId}`,
  booking: (patientId: string, bookingId: string) => ({ PK: `PATIENT#${patientId}`, SK: `BOOKING#${bookingId}` }),
  bookingPrefix: 'BOOKING#',
  note: (patientId: string, noteId: string) => ({ PK: `PATIENT#${patientId}`, SK: `NOTE#${noteId}` }),
  notePrefix: 'NOTE#',
  information: (patientId: string, infoId: string) => ({ PK: `PATIENT#${patientId}`, SK: `INFO#${infoId}` }),
  informationPrefix: 'INFO#',
  referrerPartition: (who: { email: string } | { sub: string }) => ('email' in who ? `REFERRER#email:${who.email.trim().toLowerCase()}` : `REFERRER#sub:${who.sub}`),
  ownerPartition: (email: string) => `OWNER#${email.trim().toLowerCase()}`,
  assigneePartition: (email: string) => `ASSIGNEE#${email.trim().toLowerCase()}`,
  patientSort: (patientId: string) => `PATIENT#${patientId}`,
  bookingList: (status: string, startsAt: string | null | undefined, bookingId: string) => ({ PK: `BOOKINGS#${status}`, SK: `${startsAt ?? '~'}#${bookingId}` }),
  bookingListPartition: (status: string) => `BOOKINGS#${status}`,
  userPartition: (sub: string) => `USER#${sub}`,
  filter: (sub: string, filterId: string) => ({ PK: `USER#${sub}`, SK: `FILTER#${filterId}` }),
  filterPrefix: 'FILTER#',
  bookingMetric: (month: string) => ({ PK: `TEAMMETRIC#${month}`, SK: 'BOOKINGS' }),
} as const;
