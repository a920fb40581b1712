// One answer to "is this failure worth retrying?" for every AWS SDK and network error: throttling,
// a server-side (5xx) fault, a timeout, a dropped or refused connection. The API answers such a
// failure with 503 ServiceUnavailable and Retry-After (nothing was written, try again); the
// workflow handlers rethrow it as TransientError, which the state machine's Retry catches.

/** Error names the AWS SDKs use for throttling and server-side trouble. */
const TRANSIENT_NAMES = new Set([
  'TransientError',
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestThrottled',
  'RequestThrottledException',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'SlowDown',
  'TransactionInProgressException',
  'InternalServerError',
  'InternalServerErrorException',
  'InternalServerException',
  'InternalFailure',
  'InternalError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'ServiceException',
  'BandwidthLimitExceeded',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'PriorRequestNotComplete',
  'EC2ThrottledException',
]);

/** Node and undici socket-level failures: the other side is away, slow or restarting. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETDOWN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ERR_HTTP_REQUEST_TIMEOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

interface SdkErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly errno?: unknown;
  readonly $retryable?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly cause?: unknown;
  readonly errors?: unknown;
}

function isTransientOne(e: SdkErrorShape): boolean {
  if (typeof e.name === 'string' && TRANSIENT_NAMES.has(e.name)) return true;
  if (typeof e.code === 'string' && (NETWORK_CODES.has(e.code) || TRANSIENT_NAMES.has(e.code))) return true;
  // The SDK marks what its own retry strategy would retry (throttling, transient, clock skew).
  if (e.$retryable) return true;
  if (e.$fault === 'server') return true;
  const status = e.$metadata?.httpStatusCode;
  return typeof status === 'number' && (status >= 500 || status === 429);
}

/** True when `err` (or what caused it) is a transient AWS or network failure. */
export function isTransient(err: unknown): boolean {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const e = queue.shift();
    if (!e || typeof e !== 'object' || seen.has(e) || seen.size > 10) continue;
    seen.add(e);
    const shape = e as SdkErrorShape;
    if (isTransientOne(shape)) return true;
    queue.push(shape.cause);
    // AggregateError (a connection tried on several addresses) holds one error per attempt.
    if (Array.isArray(shape.errors)) queue.push(...(shape.errors as unknown[]));
  }
  return false;
}
