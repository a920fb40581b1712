// FHIR's HTTP conventions around the API Gateway event: application/fhir+json in and out,
// OperationOutcome for every error, absolute Location headers.
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Resource } from '@medplum/fhirtypes';
import { ApiError } from '../shared/errors.js';
import { MAX_BODY_BYTES, type HttpEvent } from '../shared/http.js';
import { logger } from '../shared/logger.js';
import { FhirError, fromApiError, operationOutcome } from './outcome.js';

export const FHIR_BASE_PATH = '/fhir/R4';
export const FHIR_JSON = 'application/fhir+json';

/** The body as JSON, sent as application/fhir+json or application/json (with any charset). */
export function fhirBody(event: HttpEvent): unknown {
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  if (Buffer.byteLength(raw, 'utf8') > MAX_BODY_BYTES) throw new FhirError(413, [{ message: `The body must be at most ${MAX_BODY_BYTES} bytes.`, code: 'too-costly' }]);
  const type = (header(event, 'content-type') ?? '').toLowerCase();
  if (!/^application\/(fhir\+)?json\s*(;|$)/.test(type)) throw new FhirError(415, [{ message: `The body must be sent as ${FHIR_JSON}.`, code: 'not-supported' }]);
  if (raw.trim() === '') throw new FhirError(400, [{ message: 'A FHIR resource is required in the body.', code: 'required' }]);
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw new FhirError(400, [{ message: 'The body is not valid JSON.', code: 'structure' }]);
  }
}

/** JSON is all we speak: a client that accepts only something else (XML, Turtle) gets 406. */
export function requireJsonAccepted(event: HttpEvent): void {
  const format = event.queryStringParameters?._format;
  if (format && !/^(json|application\/(fhir\+)?json)$/.test(format)) throw new FhirError(406, [{ message: 'Only JSON is served (_format=json).', code: 'not-supported', expression: '_format' }]);
  const accept = (header(event, 'accept') ?? '').toLowerCase();
  if (accept && !/(\*\/\*|application\/\*|application\/(fhir\+)?json)/.test(accept)) {
    throw new FhirError(406, [{ message: `Only ${FHIR_JSON} is served.`, code: 'not-supported' }]);
  }
}

export function header(event: HttpEvent, name: string): string | undefined {
  const headers = event.headers ?? {};
  return headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
}

/** The FHIR base as the client reached it (behind API Gateway: https and its domain). */
export function baseUrlOf(event: HttpEvent): string {
  const host = header(event, 'host') ?? event.requestContext?.domainName ?? 'localhost';
  const proto = header(event, 'x-forwarded-proto') ?? (/^(127\.|localhost|\[::1\])/.test(host) ? 'http' : 'https');
  return `${proto}://${host}${FHIR_BASE_PATH}`;
}

export function fhirResponse(status: number, resource: Resource, headers: Record<string, string> = {}): APIGatewayProxyStructuredResultV2 {
  return { statusCode: status, headers: { 'content-type': `${FHIR_JSON}; charset=utf-8`, 'cache-control': 'no-store', ...headers }, body: JSON.stringify(resource) };
}

export function fhirHandler(fn: (event: HttpEvent) => Promise<APIGatewayProxyStructuredResultV2>) {
  return async (event: HttpEvent): Promise<APIGatewayProxyStructuredResultV2> => {
    try {
      return await fn(event);
    } catch (err) {
      const fhirError = err instanceof FhirError ? err : err instanceof ApiError ? fromApiError(err) : undefined;
      if (fhirError) return fhirResponse(fhirError.status, operationOutcome(fhirError.issues, fhirError.defaultCode));
      const name = (err as Error)?.name;
      // The store or the engine is away for a moment: nothing was written, the client may retry.
      if (name === 'TransientError' || name === 'ServiceUnavailable' || name === 'ProvisionedThroughputExceededException' || name === 'ThrottlingException') {
        return fhirResponse(503, operationOutcome([{ message: 'A dependency is unavailable; nothing was lost. Try again shortly.', code: 'transient' }]), { 'retry-after': '5' });
      }
      logger.error('unhandled FHIR error', { errorName: name, errorMessage: (err as Error)?.message, route: event.routeKey });
      return fhirResponse(500, operationOutcome([{ message: 'Something went wrong; nothing you sent was lost. Try again.', code: 'exception' }]));
    }
  };
}
