// FHIR errors: every refusal is an OperationOutcome with the HTTP status the REST API would give,
// each issue naming the element at fault with a FHIRPath-like expression.
import type { OperationOutcome, OperationOutcomeIssue } from '@medplum/fhirtypes';
import { ApiError } from '../shared/errors.js';

export type IssueCode = OperationOutcomeIssue['code'];

export interface FhirIssue {
  readonly expression?: string;
  readonly message: string;
  readonly code?: IssueCode;
}

export class FhirError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 406 | 409 | 412 | 413 | 415 | 422,
    readonly issues: readonly FhirIssue[],
    readonly defaultCode: IssueCode = 'invalid',
  ) {
    super(issues.map((i) => (i.expression ? `${i.expression}: ${i.message}` : i.message)).join('; '));
    this.name = 'FhirError';
  }
}

export const invalid = (issues: readonly FhirIssue[]) => new FhirError(400, issues, 'invalid');
export const notSupported = (message: string, expression?: string) =>
  new FhirError(400, [{ message, code: 'not-supported', ...(expression ? { expression } : {}) }], 'not-supported');
export const fhirNotFound = (message = 'No such resource.') => new FhirError(404, [{ message, code: 'not-found' }], 'not-found');

const CODE_OF_STATUS: Record<number, IssueCode> = {
  400: 'invalid',
  401: 'login',
  403: 'forbidden',
  404: 'not-found',
  405: 'not-supported',
  406: 'not-supported',
  409: 'conflict',
  412: 'conflict',
  413: 'too-costly',
  415: 'not-supported',
  422: 'processing',
  503: 'transient',
};

export function operationOutcome(issues: readonly FhirIssue[], fallback: IssueCode = 'invalid', severity: 'error' | 'information' = 'error'): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i) => ({
      severity,
      code: i.code ?? fallback,
      diagnostics: i.message,
      details: { text: i.message },
      ...(i.expression ? { expression: [i.expression] } : {}),
    })),
  };
}

/**
 * An application error (from the intake or decision service) as a FHIR error. `expressionOf`
 * turns a path of the REST body (e.g. `patient.birthDate`) into the FHIR element it came from.
 */
export function fromApiError(err: ApiError, expressionOf: (path: string) => string | undefined = () => undefined): FhirError {
  const code = CODE_OF_STATUS[err.status] ?? 'processing';
  const issues: FhirIssue[] = err.issues?.length
    ? err.issues.map((i) => {
        const expression = expressionOf(i.path);
        return { message: expression ? i.message : `${i.path ? `${i.path}: ` : ''}${i.message}`, code, ...(expression ? { expression } : {}) };
      })
    : [{ message: err.message, code }];
  return new FhirError(err.status, issues, code);
}
