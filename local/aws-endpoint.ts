// What every small local AWS endpoint shares: the AWS JSON 1.1 protocol over node:http (the
// `X-Amz-Target` header names the action, errors are `{"__type", "message"}` plus the
// `x-amzn-errortype` header, which is what the SDK v3 reads to name the error it throws), the
// caller's access key id read from its SigV4 signature, and the hook through which the local
// stack authorizes each call against the IAM policies the synthesized template grants.
//
// Signatures are not verified: the local stack hands each function its own access key id so an
// endpoint can tell callers apart, and trusts it. What the hook decides is whether the policies
// of that caller allow the call, as IAM would in AWS.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One IAM authorization question: may the caller do `action` on `resource` (with these condition keys)? */
export interface AuthorizationRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string>;
}

/**
 * Decides a whole call: every request must be allowed, or the call is refused and changes
 * nothing. `unknownKey` says the access key id belongs to no known caller (AWS answers
 * `UnrecognizedClientException` then, before any policy is read).
 */
export type AuthorizeHook = (
  accessKeyId: string | undefined,
  requests: readonly { action: string; resource: string; context?: Record<string, string> }[],
) => Promise<{ allowed: true } | { allowed: false; message: string; unknownKey?: boolean }>;

/** The access key id of a SigV4 `Authorization` header (`... Credential=<AKID>/<date>/<region>/<service>/aws4_request, ...`). */
export function accessKeyIdOf(authorization: string | readonly string[] | undefined): string | undefined {
  const header = typeof authorization === 'string' ? authorization : authorization?.[0];
  if (!header) return undefined;
  const match = /(?:^|[\s,])Credential=([^/,\s]+)\//.exec(header);
  return match?.[1];
}

/** An error answered in the AWS JSON protocol: `code` becomes the SDK error's `name`. */
export class AwsJsonError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

const JSON_11 = 'application/x-amz-json-1.1';

/** A JSON 1.1 success answer. */
export function sendJson11(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': JSON_11, 'content-length': Buffer.byteLength(text), 'x-amzn-requestid': randomUUID() });
  res.end(text);
}

/** A JSON 1.1 error answer: `__type` in the body and `x-amzn-errortype` in the headers, as AWS sends both. */
export function sendJson11Error(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) return;
  const text = JSON.stringify({ __type: code, message });
  res.writeHead(status, {
    'content-type': JSON_11,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
    'x-amzn-errortype': code,
  });
  res.end(text);
}

/**
 * Asks the hook (when there is one) and throws the error AWS would answer on a refusal, so an
 * endpoint calls this before it reads or changes anything.
 */
export async function authorizeCall(hook: AuthorizeHook | undefined, accessKeyId: string | undefined, requests: readonly AuthorizationRequest[]): Promise<void> {
  if (!hook) return;
  const decision = await hook(accessKeyId, requests);
  if (decision.allowed) return;
  throw new AwsJsonError(decision.unknownKey ? 'UnrecognizedClientException' : 'AccessDeniedException', decision.message);
}

export interface Json11EndpointOptions {
  readonly host: string;
  readonly port: number;
  /** Names the endpoint in the console line of an internal error (never request data). */
  readonly name: string;
  /** The `X-Amz-Target` prefix of the service, with its dot: `AWSEvents.`. */
  readonly targetPrefix: string;
  /** Larger bodies are refused before they are parsed. */
  readonly maxBodyBytes: number;
  /** Answers one action; throw AwsJsonError for an error answer. */
  readonly handle: (action: string, input: Record<string, unknown>, accessKeyId: string | undefined) => Promise<unknown>;
}

export interface Json11Endpoint {
  readonly url: string;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop reading, but keep the socket: the error answer still has to reach the client.
        req.removeAllListeners('data');
        req.resume();
        reject(new AwsJsonError('ValidationException', `The request body is larger than ${maxBytes} bytes`, 413));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Serves one JSON 1.1 service on `host` only (never every interface), port 0 for a free one. */
export async function startJson11Endpoint(opts: Json11EndpointOptions): Promise<Json11Endpoint> {
  const server = createServer((req, res) => {
    void answer(req, res);
  });

  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      // A plain GET / is a health probe (the stack waits for its servers before the handlers run).
      if (req.method === 'GET' && req.url === '/') {
        req.resume();
        sendJson11(res, 200, { status: 'ok' });
        return;
      }
      const target = req.headers['x-amz-target'];
      if (req.method !== 'POST' || typeof target !== 'string' || !target.startsWith(opts.targetPrefix)) {
        req.resume();
        throw new AwsJsonError('UnknownOperationException', `Expected POST with X-Amz-Target: ${opts.targetPrefix}<Action>`);
      }
      const body = await readBody(req, opts.maxBodyBytes);
      let input: unknown = {};
      if (body.trim()) {
        try {
          input = JSON.parse(body);
        } catch {
          throw new AwsJsonError('SerializationException', 'The request body is not valid JSON');
        }
      }
      if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new AwsJsonError('SerializationException', 'The request body must be a JSON object');
      const output = await opts.handle(target.slice(opts.targetPrefix.length), input as Record<string, unknown>, accessKeyIdOf(req.headers.authorization));
      sendJson11(res, 200, output);
    } catch (error) {
      if (error instanceof AwsJsonError) {
        sendJson11Error(res, error.status, error.code, error.message);
        return;
      }
      // The message could quote request data (which may one day hold PHI): name the failure only.
      console.error(`${opts.name}: internal error: ${error instanceof Error ? error.name : 'error'}`);
      sendJson11Error(res, 500, 'InternalFailure', 'Internal failure');
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let stopping: Promise<void> | undefined;
  return {
    url: `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`,
    stop: () =>
      (stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // The SDK keeps connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      })),
  };
}
