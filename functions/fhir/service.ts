// The FHIR R4 interactions, each a translation around one of the product's application services:
// referrals go through the intake service, check-ins through the decision service, reads through
// the patient queries (same roles, same record_viewed audit). Nothing here writes on its own.
import type { Bundle, BundleEntry, QuestionnaireResponse, Resource, ServiceRequest, Task } from '@medplum/fhirtypes';
import { getPatient, listPatients } from '../app/queries.js';
import { submitReferral } from '../app/intake.js';
import { submitDecision } from '../app/decisions.js';
import { candidatesForTaskStatus, CHECK_IN_QUESTIONNAIRE_ID, TASK_STATUSES, taskStatusOf, type TaskStatus } from '../domain/fhir-codes.js';
import { ApiError } from '../shared/errors.js';
import { PATIENT_ID_PATTERN, type Caller } from '../shared/http.js';
import type { Deps } from '../shared/runtime.js';
import { FhirError, fhirNotFound, fromApiError, invalid, notSupported, operationOutcome, type FhirIssue } from './outcome.js';
import type { PatientDetail } from './patient-detail.js';
import { checkInFromResponse, checkInQuestionnaire, checkInResponseOf, parseCheckInResponseId } from './questionnaire.js';
import { patientOf, referralFromBundle, referralFromServiceRequest, serviceRequestOf, type MappedReferral } from './referral-mapping.js';
import { decisionsIn, taskOf } from './task-view.js';

export interface FhirResult {
  readonly status: number;
  readonly resource: Resource;
  readonly location?: string;
}

/**
 * Refuse a resource that does not conform to the base R4 definition, naming each element. The
 * validator (Medplum's, with its definitions) loads on the first validation, not with the handler.
 */
export async function requireValid<T extends Resource>(body: unknown, resourceType: T['resourceType']): Promise<T> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid([{ message: 'The body must be a FHIR resource (a JSON object).' }]);
  const type = (body as { resourceType?: unknown }).resourceType;
  if (type !== resourceType) throw invalid([{ expression: 'resourceType', message: `must be ${resourceType}${typeof type === 'string' ? `, not ${type}` : ''}`, code: 'structure' }]);
  const { structuralIssues } = await import('./validator.js');
  const issues = structuralIssues(body as Resource);
  if (issues.length) {
    throw invalid(issues.map((i) => ({ message: i.details?.text ?? i.diagnostics ?? 'is invalid', code: i.code, ...(i.expression?.[0] ? { expression: i.expression[0] } : {}) })));
  }
  return body as T;
}

/** Run an application service; its refusals become FHIR errors naming our elements. */
async function through<T>(run: () => Promise<T>, sources?: ReadonlyMap<string, string>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof ApiError) throw fromApiError(err, (path) => sources?.get(path) ?? nearestSource(sources, path));
    throw err;
  }
}

/** `patient.birthDate` may be reported as `patient` or a deeper path: use the closest known source. */
function nearestSource(sources: ReadonlyMap<string, string> | undefined, path: string): string | undefined {
  if (!sources) return undefined;
  for (const [field, source] of sources) if (field.startsWith(`${path}.`) || path.startsWith(`${field}.`)) return source;
  return undefined;
}

async function detail(deps: Deps, caller: Caller, patientId: string): Promise<PatientDetail> {
  if (!PATIENT_ID_PATTERN.test(patientId)) throw fhirNotFound();
  const result = await through(() => getPatient(deps, caller, patientId));
  return result.body as PatientDetail;
}

// ------------------------------------------------------------------ referrals
export async function createReferral(
  deps: Deps,
  caller: Caller,
  body: unknown,
  as: 'ServiceRequest' | 'transaction',
): Promise<FhirResult & { patientId: string; created: boolean; mapped: MappedReferral }> {
  const mapped = as === 'ServiceRequest' ? referralFromServiceRequest(await requireValid<ServiceRequest>(body, 'ServiceRequest')) : referralFromBundle(await requireValid<Bundle>(body, 'Bundle'));
  const answer = await through(() => submitReferral(deps, caller, mapped.body), mapped.sources);
  const { patientId } = answer.body as { patientId: string };
  // The creator sees the Task without a record_viewed of its own: this is its write's answer.
  const task = taskOf(await viewWithoutAudit(deps, patientId));
  return { status: answer.status, resource: task, location: `Task/${patientId}`, patientId, created: answer.status === 201, mapped };
}

/** The transaction-response for a referral Bundle: one entry per request entry, and the Task. */
export function transactionResponse(result: { patientId: string; created: boolean; mapped: MappedReferral; resource: Resource }): Bundle {
  const status = result.created ? '201 Created' : '200 OK';
  const entry: BundleEntry[] = result.mapped.entries.map((e) => ({
    response:
      e.resourceType === 'ServiceRequest'
        ? { status, location: `ServiceRequest/${result.patientId}` }
        : e.resourceType === 'Patient'
          ? { status, location: `Patient/${result.patientId}` }
          : {
              status,
              outcome: operationOutcome([{ message: `Recorded as part of ServiceRequest/${result.patientId}; not kept as a resource of its own.`, code: 'informational' }], 'informational', 'information'),
            },
  }));
  entry.push({ fullUrl: `Task/${result.patientId}`, resource: result.resource, response: { status, location: `Task/${result.patientId}` } });
  return { resourceType: 'Bundle', type: 'transaction-response', entry };
}

/**
 * The just-created referral's detail. The intake service answered for this caller, so the caller
 * may create; reading back what it wrote is not a record view (a referrer may create but not list).
 */
async function viewWithoutAudit(deps: Deps, patientId: string): Promise<PatientDetail> {
  const p = await deps.store.getPatient(patientId);
  if (!p) throw fhirNotFound();
  const timeline = await deps.store.patientTimeline(patientId);
  return { ...p, clinical: p.history, timeline: timeline.map((e) => ({ at: e.at, action: e.action, stage: e.stage, details: e.details })) };
}

// ------------------------------------------------------------------ reads
export async function readTask(deps: Deps, caller: Caller, id: string): Promise<FhirResult> {
  return { status: 200, resource: taskOf(await detail(deps, caller, id)) };
}

export async function readServiceRequest(deps: Deps, caller: Caller, id: string): Promise<FhirResult> {
  return { status: 200, resource: serviceRequestOf(await detail(deps, caller, id)) };
}

export async function readPatient(deps: Deps, caller: Caller, id: string): Promise<FhirResult> {
  return { status: 200, resource: patientOf(await detail(deps, caller, id)) };
}

export function readQuestionnaire(id: string): FhirResult {
  if (id !== CHECK_IN_QUESTIONNAIRE_ID) throw fhirNotFound('No such Questionnaire.');
  return { status: 200, resource: checkInQuestionnaire() };
}

export async function readQuestionnaireResponse(deps: Deps, caller: Caller, id: string): Promise<FhirResult> {
  const ref = parseCheckInResponseId(id);
  if (!ref) throw fhirNotFound('No such QuestionnaireResponse.');
  const p = await detail(deps, caller, ref.patientId);
  const record = p.clinical?.followUps?.[ref.index];
  if (!record) throw fhirNotFound('No such QuestionnaireResponse.');
  return { status: 200, resource: checkInResponseOf(p.patientId, ref.index, record) };
}

// ------------------------------------------------------------------ Task search
const TASK_SEARCH_PARAMS = new Set(['based-on', 'patient', 'subject', 'status', '_count', '_page', '_format']);
const MAX_COUNT = 50;

export async function searchTasks(deps: Deps, caller: Caller, query: Record<string, string>, selfUrl: string): Promise<FhirResult> {
  const issues: FhirIssue[] = [];
  for (const key of Object.keys(query)) {
    if (!TASK_SEARCH_PARAMS.has(key)) issues.push({ message: `The search parameter ${key} is not supported on Task (based-on, patient, status, _count).`, code: 'not-supported', expression: key });
  }
  const count = query._count === undefined ? 20 : Number(query._count);
  if (!Number.isInteger(count) || count < 1 || count > MAX_COUNT) issues.push({ message: `must be a whole number from 1 to ${MAX_COUNT}`, expression: '_count', code: 'value' });
  const statuses = query.status ? query.status.split(',') : [];
  for (const s of statuses) if (!TASK_STATUSES.includes(s as TaskStatus)) issues.push({ message: `${s} is not a Task status (${TASK_STATUSES.join(', ')})`, expression: 'status', code: 'value' });
  const idFrom = (param: string, type: string): string | undefined => {
    const v = query[param];
    if (v === undefined) return undefined;
    const m = new RegExp(`^(?:.*/)?(?:${type}/)?([^/]+)$`).exec(v);
    return m?.[1];
  };
  const ids = [idFrom('based-on', 'ServiceRequest'), idFrom('patient', 'Patient'), idFrom('subject', 'Patient')].filter((v): v is string => v !== undefined);
  if (issues.length) throw invalid(issues);

  let tasks: Task[] = [];
  let next: string | null = null;
  if (ids.length) {
    // Every Task is the referral of one patient: these parameters name at most one Task.
    const id = ids[0] as string;
    if (ids.every((i) => i === id) && PATIENT_ID_PATTERN.test(id)) {
      try {
        tasks = [taskOf(await detail(deps, caller, id))];
      } catch (err) {
        if (!(err instanceof Error && 'status' in err && (err as { status: number }).status === 404)) throw err;
      }
    }
    if (statuses.length) tasks = tasks.filter((t) => statuses.includes(t.status));
  } else {
    const page = await searchByStatus(deps, caller, statuses as TaskStatus[], count, query._page);
    tasks = page.tasks;
    next = page.next;
  }
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(ids.length ? { total: tasks.length } : {}),
    link: [
      { relation: 'self', url: selfUrl },
      ...(next ? [{ relation: 'next', url: withParam(selfUrl, '_page', next) }] : []),
    ],
    entry: tasks.map((t) => ({ fullUrl: `Task/${t.id}`, resource: t, search: { mode: 'match' } })),
  };
  return { status: 200, resource: bundle };
}

/** Walk the worklist one pathway status at a time; a page token says where to go on. */
async function searchByStatus(deps: Deps, caller: Caller, wanted: TaskStatus[], count: number, pageToken: string | undefined) {
  // One worklist walk per pathway status a wanted Task status can come from; all of them if none.
  const lists: (string | undefined)[] = wanted.length ? [...new Set(wanted.flatMap((w) => candidatesForTaskStatus(w).statuses))] : [undefined];
  let cursor: { i: number; t?: string } = { i: 0 };
  if (pageToken) {
    try {
      cursor = JSON.parse(Buffer.from(pageToken, 'base64url').toString('utf8')) as { i: number; t?: string };
    } catch {
      throw invalid([{ expression: '_page', message: 'must be a page token from a previous search', code: 'value' }]);
    }
    if (!Number.isInteger(cursor.i) || cursor.i < 0 || cursor.i > lists.length) throw invalid([{ expression: '_page', message: 'must be a page token from a previous search', code: 'value' }]);
  }
  const tasks: Task[] = [];
  while (cursor.i < lists.length && tasks.length < count) {
    const status = lists[cursor.i];
    const page = (await through(() => listPatients(deps, caller, { ...(status ? { status } : {}), limit: String(count - tasks.length), ...(cursor.t ? { nextToken: cursor.t } : {}) }))).body as {
      items: { patientId: string; stage: PatientDetail['stage']; status: PatientDetail['status'] }[];
      nextToken: string | null;
    };
    for (const item of page.items) {
      const d = await detail(deps, caller, item.patientId);
      const status = taskStatusOf(d.stage, d.status, decisionsIn(d.timeline).at(-1) ?? null);
      if (!wanted.length || wanted.includes(status)) tasks.push(taskOf(d));
    }
    cursor = page.nextToken ? { i: cursor.i, t: page.nextToken } : { i: cursor.i + 1 };
  }
  const next = cursor.i < lists.length ? Buffer.from(JSON.stringify(cursor)).toString('base64url') : null;
  return { tasks, next };
}

function withParam(url: string, key: string, value: string): string {
  const u = new URL(url);
  u.searchParams.set(key, value);
  return u.toString();
}

// ------------------------------------------------------------------ follow-up check-in
export async function recordCheckIn(deps: Deps, caller: Caller, body: unknown): Promise<FhirResult> {
  const qr = await requireValid<QuestionnaireResponse>(body, 'QuestionnaireResponse');
  const checkIn = checkInFromResponse(qr);
  if (!PATIENT_ID_PATTERN.test(checkIn.patientId)) throw new FhirError(404, [{ expression: 'QuestionnaireResponse.subject', message: 'No such patient.', code: 'not-found' }]);
  await through(() => submitDecision(deps, caller, checkIn.patientId, checkIn.decision), checkIn.sources);
  // The decision service answered 202: the follow-up is recorded; its place names the response.
  const p = await deps.store.getPatient(checkIn.patientId);
  const index = (p?.history.followUps.length ?? 1) - 1;
  const record = p?.history.followUps[index];
  if (!record) throw notSupported('The check-in was recorded but cannot be read back.');
  const created = checkInResponseOf(checkIn.patientId, index, record);
  return { status: 201, resource: created, location: `QuestionnaireResponse/${created.id}` };
}
