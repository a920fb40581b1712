// Which failures are worth retrying: throttling, server faults, timeouts and dropped connections
// are; a refused condition, a validation error or a bug are not.
import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  RequestLimitExceeded,
  ResourceNotFoundException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { TransientError } from '../../functions/shared/errors.js';
import { httpHandler, type HttpEvent } from '../../functions/shared/http.js';
import { workflowHandler } from '../../functions/workflow/handler.js';
import { isTransient } from '../../functions/shared/transient.js';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });
const networkError = (code: string) => Object.assign(new Error(`connect ${code} 127.0.0.1:8000`), { code });

describe('transient failures', () => {
  it.each([
    ['DynamoDB throttling', new ProvisionedThroughputExceededException({ message: 'slow down', ...meta(400) })],
    ['request limit exceeded', new RequestLimitExceeded({ message: 'limit', ...meta(400) })],
    ['a DynamoDB internal server error', new InternalServerError({ message: 'oops', ...meta(500) })],
    ['any service answering 503', Object.assign(new Error('unavailable'), { name: 'SomeNewError', ...meta(503) })],
    ['HTTP 429', Object.assign(new Error('too many'), { name: 'Whatever', ...meta(429) })],
    ['an SES throttle by name', Object.assign(new Error('Maximum sending rate exceeded'), { name: 'Throttling' })],
    ['an SDK error it marks retryable', Object.assign(new Error('x'), { name: 'Unknown', $retryable: { throttling: false } })],
    ['a server fault', Object.assign(new Error('x'), { name: 'Unknown', $fault: 'server' })],
    ['a refused connection', networkError('ECONNREFUSED')],
    ['a reset connection', networkError('ECONNRESET')],
    ['a socket timeout', networkError('ETIMEDOUT')],
    ['the SDK request timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['a refused connection wrapped as the cause', new Error('request failed', { cause: networkError('ECONNREFUSED') })],
    ['one of several attempts refused', new AggregateError([networkError('ECONNREFUSED')], 'all attempts failed')],
    ['our own TransientError', new TransientError('retry me')],
  ])('%s is transient', (_, err) => {
    expect(isTransient(err)).toBe(true);
  });

  it.each([
    ['a failed condition', new ConditionalCheckFailedException({ message: 'no', ...meta(400) })],
    ['a cancelled transaction', new TransactionCanceledException({ message: 'cancelled', ...meta(400) })],
    ['a missing table', new ResourceNotFoundException({ message: 'no table', ...meta(400) })],
    ['a plain bug', new TypeError('cannot read properties of undefined')],
    ['a named domain error', Object.assign(new Error('no'), { name: 'PathwayClosedError' })],
    ['nothing at all', undefined],
    ['a string', 'ECONNREFUSED'],
  ])('%s is not transient', (_, err) => {
    expect(isTransient(err)).toBe(false);
  });
});

describe('a dependency away', () => {
  it('answers an API request with 503 ServiceUnavailable, Retry-After and the contract error body', async () => {
    const handler = httpHandler(async () => {
      throw networkError('ECONNREFUSED');
    });
    const res = await handler({ routeKey: 'GET /patients' } as HttpEvent);
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['retry-after']).toMatch(/^\d+$/);
    expect(JSON.parse(res.body ?? '{}').error.code).toBe('ServiceUnavailable');
  });

  it('still answers a bug with 500', async () => {
    const handler = httpHandler(async () => {
      throw new TypeError('bug');
    });
    expect((await handler({ routeKey: 'GET /patients' } as HttpEvent)).statusCode).toBe(500);
  });

  it('makes a workflow task fail with TransientError, which the state machine retries', async () => {
    Object.assign(process.env, { PATHWAY_TABLE_NAME: 'p', AUDIT_TABLE_NAME: 'a', AWS_REGION: 'us-east-1' });
    const task = workflowHandler('persist-transition', z.object({ patientId: z.string() }), async () => {
      throw new InternalServerError({ message: 'oops', ...meta(500) });
    });
    await expect(task({ patientId: 'P1' })).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('leaves a workflow task failure that is not transient as it was', async () => {
    const task = workflowHandler('persist-transition', z.object({ patientId: z.string() }), async () => {
      throw Object.assign(new Error('closed'), { name: 'PathwayClosedError' });
    });
    await expect(task({ patientId: 'P1' })).rejects.toMatchObject({ name: 'PathwayClosedError' });
  });
});
