// Every HTTP route of the product and the handler that serves it: one list, read by the CDK app
// (one Lambda per handler, the HTTP API's routes) and by the local API server (the same handler
// modules, in-process). A route added here is served in both, or the typecheck says why not.
import { FHIR_ROUTES } from '../fhir/routes.js';
import { TEAM_ROUTE_KEYS } from './team-routes.js';

/** The handler modules under functions/api, by the name the CDK app gives their functions. */
export const API_HANDLERS = {
  referrals: 'functions/api/referrals.ts',
  queries: 'functions/api/queries.ts',
  decisions: 'functions/api/decisions.ts',
  patientActions: 'functions/api/patient-actions.ts',
  redFlags: 'functions/api/red-flags.ts',
  admin: 'functions/api/admin.ts',
  team: 'functions/api/team.ts',
  fhir: 'functions/api/fhir.ts',
  openapi: 'functions/api/openapi.ts',
} as const;
export type ApiHandler = keyof typeof API_HANDLERS;

export interface ApiRoute {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly handler: ApiHandler;
  /** Served without a token (the FHIR CapabilityStatement, the OpenAPI document). */
  readonly public?: true;
}

/** The contract's endpoints (GET /health is the local server's own). */
export const CONTRACT_ROUTES: readonly ApiRoute[] = [
  { method: 'POST', path: '/referrals', handler: 'referrals' },
  { method: 'GET', path: '/patients', handler: 'queries' },
  { method: 'GET', path: '/patients/{patientId}', handler: 'queries' },
  { method: 'POST', path: '/patients/{patientId}/decisions', handler: 'decisions' },
  { method: 'POST', path: '/patients/{patientId}/hold', handler: 'patientActions' },
  { method: 'POST', path: '/patients/{patientId}/resume', handler: 'patientActions' },
  { method: 'POST', path: '/patients/{patientId}/withdraw', handler: 'patientActions' },
  { method: 'POST', path: '/patients/{patientId}/reopen', handler: 'patientActions' },
  { method: 'POST', path: '/patients/{patientId}/red-flags', handler: 'redFlags' },
  { method: 'GET', path: '/metrics/throughput', handler: 'admin' },
  { method: 'GET', path: '/metrics/sla', handler: 'admin' },
  { method: 'GET', path: '/audit', handler: 'admin' },
  { method: 'GET', path: '/audit/verify', handler: 'admin' },
];

/** FHIR R4 and the OpenAPI document, beside the contract's REST endpoints. */
export const INTEGRATION_ROUTES: readonly ApiRoute[] = [
  ...FHIR_ROUTES.map((r): ApiRoute => ({ method: r.method, path: r.path, handler: 'fhir', ...('public' in r ? { public: true as const } : {}) })),
  { method: 'GET', path: '/openapi.json', handler: 'openapi', public: true },
];

/** The team's daily work (owners, bookings, notes, filters, the referrer's view). */
export const TEAM_ROUTES: readonly ApiRoute[] = TEAM_ROUTE_KEYS.map((key) => {
  const [method, path] = key.split(' ') as [ApiRoute['method'], string];
  return { method, path, handler: 'team' };
});

export const ALL_ROUTES: readonly ApiRoute[] = [...CONTRACT_ROUTES, ...TEAM_ROUTES, ...INTEGRATION_ROUTES];
