// API Gateway (HTTP API, payload 2.0) glue: caller from the JWT authorizer's claims, strict JSON
// bodies, zod issues as the contract's error body, and no stack traces or PHI in responses.
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type * as z from 'zod';
import { ROLES, GROUP_OF_ROLE, type Role } from '../domain/vocabulary.js';
import { ApiError, forbidden, unauthorized, validationError, type Issue } from './errors.js';
import { logger } from './logger.js';
import { isTransient } from './transient.js';

export interface Caller {
  readonly sub: string;
  readonly email: string;
  readonly roles: readonly Role[];
  readonly site?: string;
  /** TEAM: a physician's specialty team (`custom:team`), when the identity provider sets it. */
  readonly team?: string;
}

export interface HttpResult {
  readonly status: number;
  readonly body: unknown;
  readonly contentType?: string;
  readonly headers?: Record<string, string>;
}

export type HttpEvent = APIGatewayProxyEventV2WithJWTAuthorizer;

export const MAX_BODY_BYTES = 64 * 1024;

/** What a 503 asks the client to wait before trying again. */
export const RETRY_AFTER_SECONDS = 5;

function parseGroups(raw: unknown): string[] {
  if (Array.isArray(raw)) return raw.map(String);
  if (typeof raw !== 'string') return [];
  // API Gateway flattens array claims to "[a b]"; a local token may give "a,b".
  return raw.replace(/^\[|\]$/g, '').split(/[\s,]+/).filter(Boolean);
}

export function callerOf(event: HttpEvent): Caller {
  const claims = event.requestContext?.authorizer?.jwt?.claims as Record<string, unknown> | undefined;
  if (!claims || typeof claims.sub !== 'string' || !claims.sub) throw unauthorized();
  const groups = parseGroups(claims['cognito:groups']);
  const roles = ROLES.filter((r) => groups.includes(GROUP_OF_ROLE[r]));
  const site = typeof claims['custom:site'] === 'string' ? claims['custom:site'] : undefined;
  const team = typeof claims['custom:team'] === 'string' ? claims['custom:team'] : undefined;
  return { sub: claims.sub, email: typeof claims.email === 'string' ? claims.email : '', roles, ...(site ? { site } : {}), ...(team ? { team } : {}) };
}

/** The caller's role for an action allowed to `allowed`, or 403. */
export function requireRole(caller: Caller, allowed: readonly Role[], action: string): Role {
  const role = caller.roles.find((r) => allowed.includes(r));
  if (!role) throw forbidden(`Your role may not ${action}.`);
  return role;
}

export function zodIssues(error: z.ZodError): Issue[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

export function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (!result.success) throw validationError(`The ${what} is invalid.`, zodIssues(result.error));
  return result.data;
}

export function jsonBody(event: HttpEvent): unknown {
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) throw new ApiError(413, 'PayloadTooLarge', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
  const type = (event.headers?.['content-type'] ?? event.headers?.['Content-Type'] ?? '').toLowerCase();
  if (raw.trim() === '') throw validationError('A JSON body is required.', [{ path: '', message: 'body is required' }]);
  // Exactly application/json, optionally with parameters (charset): not application/jsonp,
  // application/json-patch+json or anything else that merely starts the same way.
  if (!/^application\/json\s*(;|$)/.test(type)) throw new ApiError(415, 'UnsupportedMediaType', 'The body must be sent as application/json.');
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw validationError('The body is not valid JSON.', [{ path: '', message: 'must be valid JSON' }]);
  }
}

export function queryOf(event: HttpEvent): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(event.queryStringParameters ?? {})) if (v !== undefined) out[k] = v;
  return out;
}

export function errorBody(err: ApiError) {
  return { error: { code: err.code, message: err.message, ...(err.issues ? { issues: err.issues } : {}) } };
}

export function httpHandler(fn: (event: HttpEvent) => Promise<HttpResult>) {
  return async (event: HttpEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      const result = await fn(event);
      const isText = typeof result.body === 'string';
      return {
        statusCode: result.status,
        headers: { 'content-type': result.contentType ?? 'application/json', 'cache-control': 'no-store', ...result.headers },
        body: isText ? (result.body as string) : JSON.stringify(result.body),
      };
    } catch (err) {
      if (err instanceof ApiError) {
        return { statusCode: err.status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(errorBody(err)) };
      }
      if (isTransient(err)) {
        // A dependency is away (throttled, restarting, unreachable): nothing was written.
        logger.warn('dependency unavailable', { errorName: (err as Error)?.name, route: event.routeKey });
        return {
          statusCode: 503,
          headers: { 'content-type': 'application/json', 'cache-control': 'no-store', 'retry-after': String(RETRY_AFTER_SECONDS) },
          body: JSON.stringify({ error: { code: 'ServiceUnavailable', message: 'A service the pathway depends on is unavailable; nothing was changed. Try again shortly.' } }),
        };
      }
      // Unknown failures: log the error's name and message only (our messages carry no PHI).
      logger.error('unhandled API error', { errorName: (err as Error)?.name, errorMessage: (err as Error)?.message, route: event.routeKey });
      return {
        statusCode: 500,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ error: { code: 'InternalError', message: 'Something went wrong; nothing you sent was lost. Try again.' } }),
      };
    }
  };
}

/** Longest path parameter worth looking up (ids are 26 characters); longer is no such resource. */
const MAX_PATH_PARAM_CHARS = 200;

export function pathParam(event: HttpEvent, name: string): string {
  const value = event.pathParameters?.[name];
  if (!value || value.length > MAX_PATH_PARAM_CHARS * 3) throw new ApiError(404, 'NotFound', 'No such resource.');
  let decoded: string;
  try {
    decoded = decodeURIComponent(value);
  } catch {
    // Malformed percent-encoding (e.g. "%E0%A4%A") names nothing we have.
    throw new ApiError(404, 'NotFound', 'No such resource.');
  }
  if (decoded.length > MAX_PATH_PARAM_CHARS) throw new ApiError(404, 'NotFound', 'No such resource.');
  return decoded;
}

/** Patient ids are ULIDs; anything else is no such patient (and never reaches the database). */
export const PATIENT_ID_PATTERN = /^[0-9A-HJKMNP-TV-Z]{26}$/;

export function requirePatientId(patientId: string): string {
  if (!PATIENT_ID_PATTERN.test(patientId)) throw new ApiError(404, 'NotFound', 'No such patient.');
  return patientId;
}
