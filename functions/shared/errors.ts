// Named errors. API errors map to the contract's error body; workflow errors carry the names the
// state machine's Retry and Catch match on (a Lambda's errorType is its error's name).

export interface Issue {
  readonly path: string;
  readonly message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 415,
    readonly code: 'ValidationError' | 'Unauthorized' | 'Forbidden' | 'NotFound' | 'Conflict' | 'PayloadTooLarge' | 'UnsupportedMediaType',
    message: string,
    readonly issues?: readonly Issue[],
  ) {
    super(message);
    this.name = code;
  }
}

export const validationError = (message: string, issues: readonly Issue[]) => new ApiError(400, 'ValidationError', message, issues);
export const unauthorized = (message = 'A valid bearer token is required.') => new ApiError(401, 'Unauthorized', message);
export const forbidden = (message: string) => new ApiError(403, 'Forbidden', message);
export const notFound = (message: string) => new ApiError(404, 'NotFound', message);
export const conflict = (message: string) => new ApiError(409, 'Conflict', message);

/** A failure worth retrying (throttling, a lost race): the state machine retries it with backoff. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}
/** The patient left the pathway (withdrawn) while the engine was working: stop quietly. */
export class PathwayClosedError extends Error {
  override readonly name = 'PathwayClosedError';
}
/** SES throttled us: retried by the state machine, then recorded as notification_failed. */
export class MailThrottledError extends Error {
  override readonly name = 'MailThrottledError';
}
/** SES refused the message for good. */
export class MailRejectedError extends Error {
  override readonly name = 'MailRejectedError';
}
/** An optimistic write lost to a concurrent one. */
export class ConcurrentUpdateError extends Error {
  override readonly name = 'TransientError';
}

/** No patient record with that id (a workflow task or the sweep asked for one that is gone). */
export class PatientNotFoundError extends Error {
  override readonly name = 'PatientNotFoundError';
}
/** A decision for a pending decision that is no longer pending (another tab, an older round): 409. */
export class StaleDecisionError extends ApiError {
  constructor(message: string) {
    super(409, 'Conflict', message);
  }
}
/** The record and the execution disagree in a way no retry can fix: the pathway fails loudly. */
export class CorruptRecordError extends Error {
  override readonly name = 'CorruptRecordError';
}
/** This execution has been superseded (the pathway continues in another one): it ends quietly. */
export class SupersededExecutionError extends Error {
  override readonly name = 'PathwayClosedError';
}
