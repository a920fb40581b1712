/**
 * Refusals in each service's wire format, as AWS answers them, so the functions' SDK clients raise
 * the same errors locally as in the cloud (checked against the installed AWS SDK v3 clients in
 * tests/local/iam.test.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Decision } from './authorizer.js';

/** AWS's message for an access key it does not know. */
export const INVALID_TOKEN_MESSAGE = 'The security token included in the request is invalid.';

export type DeniedService = 'dynamodb' | 'ses' | 'sfn' | 'events' | 'cognito';

export interface WireResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** AWS JSON 1.0 (DynamoDB, Step Functions) or 1.1 (EventBridge, Cognito); SES speaks the query protocol. */
const JSON_VERSION: Readonly<Record<Exclude<DeniedService, 'ses'>, string>> = {
  dynamodb: '1.0',
  sfn: '1.0',
  events: '1.1',
  cognito: '1.1',
};

/** The policies do not allow the call: AccessDeniedException (JSON, 400) or AccessDenied (SES, 403). */
export function accessDeniedResponse(service: DeniedService, message: string): WireResponse {
  return service === 'ses' ? sesError(403, 'AccessDenied', message) : jsonError(service, 'AccessDeniedException', message);
}

/** An access key nobody was given: UnrecognizedClientException (JSON, 400) or InvalidClientTokenId (SES, 403). */
export function invalidTokenResponse(service: DeniedService, message: string = INVALID_TOKEN_MESSAGE): WireResponse {
  return service === 'ses' ? sesError(403, 'InvalidClientTokenId', message) : jsonError(service, 'UnrecognizedClientException', message);
}

/** The wire answer for a refused Decision. */
export function refusalResponse(service: DeniedService, decision: Extract<Decision, { allowed: false }>): WireResponse {
  return decision.reason === 'unknown-key' ? invalidTokenResponse(service, decision.message) : accessDeniedResponse(service, decision.message);
}

function jsonError(service: Exclude<DeniedService, 'ses'>, code: string, message: string): WireResponse {
  // DynamoDB qualifies its error types with the Coral namespace; the SDK keeps the part after '#'.
  const type = service === 'dynamodb' ? `com.amazon.coral.service#${code}` : code;
  return {
    status: 400,
    headers: {
      'content-type': `application/x-amz-json-${JSON_VERSION[service]}`,
      'x-amzn-errortype': code,
      'x-amzn-requestid': randomUUID(),
    },
    body: JSON.stringify({ __type: type, message }),
  };
}

function sesError(status: number, code: string, message: string): WireResponse {
  const requestId = randomUUID();
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">' +
      `<Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}
