// Shared by the security suites: raw HTTP requests with full control over headers and body, the
// contract's error body, and a count of everything the stack has written.
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { expect } from 'vitest';
import type { LocalStackUnderTest } from '../support/local-stack.js';

export interface RawRequest {
  readonly method: string;
  /** Path and query, already encoded as it should go on the wire. */
  readonly path: string;
  readonly token?: string | null;
  readonly body?: string;
  readonly contentType?: string | null;
  readonly headers?: Record<string, string>;
}

export interface RawResponse {
  readonly status: number;
  readonly contentType: string;
  readonly text: string;
  readonly json: unknown;
}

export async function send(baseUrl: string, req: RawRequest): Promise<RawResponse> {
  const headers: Record<string, string> = { ...req.headers };
  if (req.token) headers.authorization = `Bearer ${req.token}`;
  if (req.body !== undefined && req.contentType !== null) headers['content-type'] = req.contentType ?? 'application/json';
  const res = await fetch(`${baseUrl}${req.path}`, { method: req.method, headers, ...(req.body === undefined ? {} : { body: req.body }) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json };
}

/** Run `fn` over `items` with at most `limit` in flight. */
export async function pool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T, i);
    }
  });
  await Promise.all(workers);
  return out;
}

const CODE_OF_STATUS: Record<number, string> = {
  400: 'ValidationError',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  409: 'Conflict',
  413: 'PayloadTooLarge',
  415: 'UnsupportedMediaType',
};

/**
 * Why a refusal does not follow the contract ({"error": {"code", "message", "issues"?}}, the code
 * matching the status, field-level issues for a 400, no internals), or undefined when it does.
 */
export function contractViolation(res: RawResponse): string | undefined {
  if (res.status >= 500) return `server error ${res.status}`;
  if (res.status < 400) return undefined;
  const body = res.json as { error?: { code?: unknown; message?: unknown; issues?: unknown } } | undefined;
  if (!res.contentType.startsWith('application/json')) return `content-type ${res.contentType}`;
  if (!body || typeof body !== 'object' || !body.error || typeof body.error !== 'object') return 'no error object';
  const keys = Object.keys(body).join(',');
  if (keys !== 'error') return `extra top-level keys: ${keys}`;
  const { code, message, issues } = body.error;
  if (typeof code !== 'string' || typeof message !== 'string' || message.length === 0) return 'error.code and error.message must be strings';
  const want = CODE_OF_STATUS[res.status];
  if (!want) return `unexpected status ${res.status}`;
  if (code !== want) return `status ${res.status} with code ${code}`;
  if (/\bat .+\(.+:\d+:\d+\)|node_modules|\/work\/|Error:/.test(message)) return `message leaks internals: ${message}`;
  if (res.status === 400) {
    if (!Array.isArray(issues) || issues.length === 0) return '400 without issues';
    for (const i of issues as { path?: unknown; message?: unknown }[]) {
      if (typeof i?.path !== 'string' || typeof i?.message !== 'string' || !i.message) return `malformed issue ${JSON.stringify(i)}`;
    }
  } else if (issues !== undefined) {
    return `issues on a ${res.status}`;
  }
  return undefined;
}

export function expectContractError(res: RawResponse, status: number): void {
  expect(res.status, res.text).toBe(status);
  expect(contractViolation(res), res.text).toBeUndefined();
}

export interface WriteSnapshot {
  readonly auditEvents: number;
  readonly referralGuards: number;
  readonly patients: number;
  readonly counters: string;
  readonly emails: number;
}

/** Everything a refused request must not have changed (test-only direct reads). */
export async function writeSnapshot(stack: LocalStackUnderTest): Promise<WriteSnapshot> {
  const client = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${stack.ports.dynamodb}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const scan = async (table: string, filter?: string, values?: Record<string, { S: string }>) => {
    let n = 0;
    let start: Record<string, never> | undefined;
    do {
      const out = await client.send(
        new ScanCommand({ TableName: table, Select: 'COUNT', ...(filter ? { FilterExpression: filter, ExpressionAttributeValues: values } : {}), ExclusiveStartKey: start }),
      );
      n += out.Count ?? 0;
      start = out.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start);
    return n;
  };
  // Every item of the pathway table (patients, referral guards, counters, the case sequence).
  const items: string[] = [];
  let start: Record<string, never> | undefined;
  do {
    const out = await client.send(new ScanCommand({ TableName: stack.tables.pathway, ExclusiveStartKey: start }));
    for (const it of out.Items ?? []) items.push(JSON.stringify(it));
    start = out.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start);
  const snapshot = {
    auditEvents: await scan(stack.tables.audit),
    referralGuards: await scan(stack.tables.pathway, 'begins_with(PK, :p)', { ':p': { S: 'REFERRAL#' } }),
    patients: await scan(stack.tables.pathway, 'begins_with(PK, :p)', { ':p': { S: 'PATIENT#' } }),
    counters: items.sort().join('\n'),
    emails: (await stack.inbox()).length,
  };
  client.destroy();
  return snapshot;
}
