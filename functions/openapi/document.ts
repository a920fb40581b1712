// The OpenAPI 3.1 description of the REST API, generated from the zod schemas the handlers
// validate with (request bodies and query strings, functions/domain/schemas.ts) and the answer
// schemas of ./responses.ts. JSON Schema 2020-12 is OpenAPI 3.1's schema dialect, which zod 4
// writes directly (z.toJSONSchema): nothing is translated by hand.
import * as z from 'zod';
import {
  auditQuerySchema,
  holdSchema,
  listPatientsQuerySchemaFor,
  redFlagSchema,
  referralSchema,
  resumeSchema,
  throughputQuerySchema,
  withdrawSchema,
  reopenSchema,
} from '../domain/schemas.js';
import { allStageIds, CARE_PATHWAY } from '../domain/pathway.js';
import { TEAM_ROUTE_KEYS } from '../api/team-routes.js';
import { FHIR_ROUTES } from '../fhir/routes.js';
import { TEAM_OPERATIONS } from './team-operations.js';
import {
  auditChainSchema,
  auditPageSchema,
  decisionAcceptedSchema,
  errorBodySchema,
  healthSchema,
  patientActionAcceptedSchema,
  patientDetailSchema,
  patientPageSchema,
  redFlagsRecordedSchema,
  referralAcceptedSchema,
  slaReportSchema,
  throughputReportSchema,
} from './responses.js';

type JsonSchema = Record<string, unknown>;
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 503;

interface Operation {
  readonly method: 'get' | 'post' | 'put' | 'delete';
  readonly path: string;
  readonly operationId: string;
  readonly summary: string;
  readonly roles: string;
  readonly body?: z.ZodType | { readonly oneOf: readonly z.ZodType[]; readonly discriminator: string };
  readonly query?: z.ZodObject;
  readonly responses: Readonly<Record<number, { readonly description: string; readonly schema?: z.ZodType; readonly csv?: boolean }>>;
  readonly errors: readonly ErrorStatus[];
  readonly public?: boolean;
}

const patientId = { name: 'patientId', in: 'path', required: true, description: 'The patient id (a ULID) from POST /referrals.', schema: { type: 'string', pattern: '^[0-9A-HJKMNP-TV-Z]{26}$' } };
const WRITE_ERRORS: readonly ErrorStatus[] = [400, 401, 403, 404, 409, 413, 415, 503];

/** Every REST route of the contract (../shared/CONTRACT.md), with who may call it. */
export const OPERATIONS: readonly Operation[] = [
  {
    method: 'post', path: '/referrals', operationId: 'createReferral', summary: 'Refer a patient: records them at the first stage and starts the pathway',
    roles: 'coordinators, physicians', body: referralSchema,
    responses: { 201: { description: 'Recorded; the pathway has started.', schema: referralAcceptedSchema }, 200: { description: 'The same referralId with the same body again: the same ids, no second pathway.', schema: referralAcceptedSchema } },
    errors: [400, 401, 403, 409, 413, 415, 503],
  },
  {
    method: 'get', path: '/patients', operationId: 'listPatients', summary: 'The worklist: patients by stage, status, site, overdue', roles: 'coordinators, physicians',
    query: listPatientsQuerySchemaFor(allStageIds(CARE_PATHWAY)), responses: { 200: { description: 'One page of patients, sorted by due date.', schema: patientPageSchema } }, errors: [400, 401, 403, 503],
  },
  {
    method: 'get', path: '/patients/{patientId}', operationId: 'getPatient', summary: 'The patient, the pending decision with its recommendation, and the timeline (the read is audited)',
    roles: 'coordinators, physicians', responses: { 200: { description: 'The patient record.', schema: patientDetailSchema } }, errors: [401, 403, 404, 503],
  },
  {
    method: 'post', path: '/patients/{patientId}/decisions', operationId: 'recordDecision', summary: 'Record the decision of the pending stage (fields by stage)',
    roles: 'physicians (clinical stages); coordinators and physicians (follow-up)',
    body: { oneOf: CARE_PATHWAY.stages.map((s) => s.schema), discriminator: 'stage' },
    responses: { 202: { description: 'Recorded and handed to the pathway.', schema: decisionAcceptedSchema } }, errors: WRITE_ERRORS,
  },
  {
    method: 'post', path: '/patients/{patientId}/hold', operationId: 'holdPatient', summary: 'Put the pathway on hold (stops the clock)', roles: 'coordinators',
    body: holdSchema, responses: { 202: { description: 'On hold.', schema: patientActionAcceptedSchema } }, errors: WRITE_ERRORS,
  },
  {
    method: 'post', path: '/patients/{patientId}/resume', operationId: 'resumePatient', summary: 'Resume a pathway on hold', roles: 'coordinators',
    body: resumeSchema, responses: { 202: { description: 'Active again.', schema: patientActionAcceptedSchema } }, errors: WRITE_ERRORS,
  },
  {
    method: 'post', path: '/patients/{patientId}/withdraw', operationId: 'withdrawPatient', summary: 'Withdraw the patient from the pathway', roles: 'coordinators',
    body: withdrawSchema, responses: { 202: { description: 'Withdrawn.', schema: patientActionAcceptedSchema } }, errors: WRITE_ERRORS,
  },
  {
    method: 'post', path: '/patients/{patientId}/reopen', operationId: 'reopenPatient', summary: 'Reopen a completed pathway for a recurrence (R9): a new episode', roles: 'coordinators, physicians',
    body: reopenSchema, responses: { 202: { description: 'Reopened: the new episode waits in its first stage.', schema: patientActionAcceptedSchema } }, errors: WRITE_ERRORS,
  },
  {
    method: 'get', path: '/metrics/throughput', operationId: 'getThroughput', summary: 'Throughput per month and stage, and the funnel (no PHI)', roles: 'administrators',
    query: throughputQuerySchema, responses: { 200: { description: 'The report, as JSON or (format=csv) CSV.', schema: throughputReportSchema, csv: true } }, errors: [400, 401, 403, 503],
  },
  {
    method: 'get', path: '/metrics/sla', operationId: 'getSlaReport', summary: 'Service levels per stage and month, and the overdue list', roles: 'administrators',
    query: throughputQuerySchema, responses: { 200: { description: 'The service-level report.', schema: slaReportSchema } }, errors: [400, 401, 403, 503],
  },
  {
    method: 'get', path: '/audit', operationId: 'getAudit', summary: 'The audit trail, by patient or by time', roles: 'administrators',
    query: auditQuerySchema, responses: { 200: { description: 'One page of audit events.', schema: auditPageSchema } }, errors: [400, 401, 403, 503],
  },
  {
    method: 'post', path: '/patients/{patientId}/red-flags', operationId: 'recordRedFlags', summary: 'Record urgent complications (red flags): the case turns urgent', roles: 'coordinators, physicians',
    body: redFlagSchema, responses: { 201: { description: 'Recorded.', schema: redFlagsRecordedSchema }, 200: { description: 'The same report again: nothing new.', schema: redFlagsRecordedSchema } }, errors: [400, 401, 403, 404, 503],
  },
  {
    method: 'get', path: '/audit/verify', operationId: 'verifyAudit', summary: "Verify a patient's audit hash chain", roles: 'administrators',
    query: z.object({ patientId: z.string() }), responses: { 200: { description: 'The verdict.', schema: auditChainSchema } }, errors: [400, 401, 403, 503],
  },
  {
    method: 'get', path: '/health', operationId: 'getHealth', summary: 'Whether every part of the stack is ready (local stack)', roles: 'anyone', public: true,
    responses: { 200: { description: 'Ready.', schema: healthSchema }, 503: { description: 'A part is down (named in the body).', schema: healthSchema } }, errors: [],
  },
  {
    method: 'get', path: '/openapi.json', operationId: 'getOpenApi', summary: 'This document', roles: 'anyone', public: true,
    responses: { 200: { description: 'The OpenAPI 3.1 description of this API.' } }, errors: [],
  },
];

const ERROR_DESCRIPTIONS: Record<ErrorStatus, string> = {
  400: 'ValidationError: the field and the reason in `issues`; nothing changed.',
  401: 'Unauthorized: missing or invalid bearer token.',
  403: 'Forbidden: the caller\'s role may not do this.',
  404: 'NotFound: no such patient or route.',
  409: 'Conflict: the state does not allow it (stale or repeated decision, conflicting referral); nothing changed.',
  413: 'PayloadTooLarge: the body is over 64 KiB.',
  415: 'UnsupportedMediaType: the body must be application/json.',
  503: 'ServiceUnavailable: a dependency is down; retry after `Retry-After` seconds. Nothing was lost.',
};

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const out = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** Named answer schemas (those with a `.meta({ id })`), each once under components.schemas. */
function componentSchemas(): Record<string, JsonSchema> {
  const all = z.toJSONSchema(z.globalRegistry, { target: 'draft-2020-12', io: 'output', unrepresentable: 'any', uri: (id) => `#/components/schemas/${id}` }).schemas as Record<string, JsonSchema>;
  const out: Record<string, JsonSchema> = {};
  for (const [id, s] of Object.entries(all)) {
    const { $schema: _s, $id: _i, ...rest } = s;
    out[id] = rest;
  }
  return out;
}

const refOf = (schema: z.ZodType): JsonSchema => {
  const id = z.globalRegistry.get(schema)?.id;
  return id ? { $ref: `#/components/schemas/${id}` } : jsonSchema(schema, 'output');
};

function queryParameters(query: z.ZodObject): JsonSchema[] {
  const full = jsonSchema(query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(full.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', required: (full.required ?? []).includes(name), schema }));
}

function requestBody(body: NonNullable<Operation['body']>): JsonSchema {
  const schema =
    'oneOf' in body
      ? { oneOf: body.oneOf.map((s) => jsonSchema(s, 'input')), discriminator: { propertyName: body.discriminator } }
      : jsonSchema(body as z.ZodType, 'input');
  return { required: true, content: { 'application/json': { schema } } };
}

/** The path's parameters: the patient id with its pattern, any other id as a string. */
function pathParameters(path: string): JsonSchema[] {
  return [...path.matchAll(/\{(\w+)\}/g)].map((m) => (m[1] === 'patientId' ? patientId : { name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
}

/** The team-work routes as operations (functions/openapi/team-operations.ts). */
function teamOperations(): Operation[] {
  return TEAM_ROUTE_KEYS.map((key) => {
    const [method, path] = key.split(' ') as [string, string];
    const t = TEAM_OPERATIONS[key];
    return {
      method: method.toLowerCase() as Operation['method'],
      path,
      operationId: t.operationId,
      summary: t.summary,
      roles: t.roles,
      ...(t.body ? { body: t.body } : {}),
      responses: { [t.status]: { description: t.answer, ...(t.schema ? { schema: t.schema } : {}) } },
      errors: t.errors,
    };
  });
}

function operationObject(op: Operation): JsonSchema {
  const responses: Record<string, JsonSchema> = {};
  for (const [status, r] of Object.entries(op.responses)) {
    responses[status] = {
      description: r.description,
      ...(r.schema
        ? { content: { 'application/json': { schema: refOf(r.schema) }, ...(r.csv ? { 'text/csv': { schema: { type: 'string' } } } : {}) } }
        : {}),
      ...(status === '503' ? { headers: { 'Retry-After': { schema: { type: 'integer' } } } } : {}),
    };
  }
  for (const status of op.errors) {
    responses[String(status)] = {
      description: ERROR_DESCRIPTIONS[status],
      content: { 'application/json': { schema: refOf(errorBodySchema) } },
      ...(status === 503 ? { headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } } } } : {}),
    };
  }
  return {
    operationId: op.operationId,
    summary: op.summary,
    description: `Who may call it: ${op.roles}.`,
    tags: [op.path.split('/')[1] ?? 'api'],
    ...(op.public ? { security: [] } : {}),
    ...(pathParameters(op.path).length || op.query ? { parameters: [...pathParameters(op.path), ...(op.query ? queryParameters(op.query) : [])] } : {}),
    ...(op.body ? { requestBody: requestBody(op.body) } : {}),
    responses,
  };
}

/** The FHIR interactions, listed so one document names every route; their reference is /fhir/R4/metadata. */
function fhirPaths(): Record<string, Record<string, JsonSchema>> {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const r of FHIR_ROUTES) {
    const method = r.method.toLowerCase();
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    paths[r.path] ??= {};
    (paths[r.path] as Record<string, JsonSchema>)[method] = {
      operationId: `fhir${method === 'get' ? 'Get' : 'Post'}${r.path.replace('/fhir/R4', '').replace(/[{}]/g, '').split('/').map((s) => s.charAt(0).toUpperCase() + s.slice(1)).join('') || 'Transaction'}`,
      summary: `FHIR R4 ${r.method} ${r.path.replace('/fhir/R4', '') || '/'} (see the CapabilityStatement at /fhir/R4/metadata)`,
      tags: ['fhir'],
      ...(params.length ? { parameters: params } : {}),
      ...(method === 'post' ? { requestBody: { required: true, content: { 'application/fhir+json': { schema: { $ref: '#/components/schemas/FhirResource' } } } } } : {}),
      responses: {
        [method === 'post' ? '201' : '200']: { description: 'A FHIR resource.', content: { 'application/fhir+json': { schema: { $ref: '#/components/schemas/FhirResource' } } } },
        default: { description: 'An OperationOutcome naming each element at fault.', content: { 'application/fhir+json': { schema: { $ref: '#/components/schemas/FhirResource' } } } },
      },
    };
  }
  return paths;
}

export function openApiDocument(serverUrl?: string): JsonSchema {
  const paths: Record<string, Record<string, JsonSchema>> = {};
  for (const op of [...OPERATIONS, ...teamOperations()]) {
    paths[op.path] ??= {};
    (paths[op.path] as Record<string, JsonSchema>)[op.method] = operationObject(op);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'CSF Leak Pathway API',
      version: '1.0.0',
      summary: 'Referrals, the worklist, decisions by stage, holds, metrics and the audit trail of the spinal CSF leak care pathway.',
      description:
        'Generated from the zod schemas the handlers validate with. Every call except GET /health (and this document) carries `Authorization: Bearer <JWT>`; roles come from `cognito:groups`. A rejected request writes nothing. All examples are synthetic.',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'referrals', description: 'Intake' },
      { name: 'patients', description: 'Worklist, patient record, decisions, hold, resume, withdraw' },
      { name: 'metrics', description: 'Administrators: throughput and service levels' },
      { name: 'audit', description: 'Administrators: who did and viewed what' },
      { name: 'health', description: 'Readiness' },
      { name: 'work', description: 'Team work: my work (also /directory, /bookings, /bulk, /filters, /metrics/team and the case routes under /patients)' },
      { name: 'referrer', description: 'Referring doctors: their own patients, and answering a request for information' },
      { name: 'fhir', description: 'FHIR R4 (referrals, Task status, check-ins); described in full by its CapabilityStatement' },
    ],
    paths: { ...paths, ...fhirPaths() },
    components: {
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: {
        ...componentSchemas(),
        FhirResource: { type: 'object', required: ['resourceType'], properties: { resourceType: { type: 'string' } }, additionalProperties: true },
      },
    },
  };
}
