// The local HTTP API: turns requests into API Gateway (HTTP API, payload 2.0) events for the same
// handlers the cloud runs, after verifying the bearer token as the JWT authorizer would.
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MAX_BODY_BYTES, RETRY_AFTER_SECONDS, type HttpEvent } from '../functions/shared/http.js';
import type { TokenVerifier } from './auth.js';
import type { HealthReport } from './health.js';

type Handler = (event: HttpEvent) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE'; // PUT and DELETE for notes, bookings, filters
  /** API Gateway route path, e.g. /patients/{patientId}/decisions */
  readonly path: string;
  readonly handler: () => Promise<Handler>;
  /** Answered without a bearer token, as an API Gateway route without an authorizer. */
  readonly public?: boolean;
}

export interface ApiServerOptions {
  readonly host: string;
  readonly port: number;
  readonly routes: readonly Route[];
  readonly verify: TokenVerifier;
  readonly isReady: () => boolean;
  /** Extra handler for non-API paths (the dashboard); return false when it did not answer. */
  readonly fallback?: (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;
  /** Asks every dependency (GET /health); without it, ready means healthy. */
  readonly health?: () => Promise<HealthReport>;
  readonly limits?: Partial<ServerLimits>;
}

/**
 * How long a client may take and how many may be connected at once. A slow or stuck client is
 * cut off instead of holding a connection for minutes (Node's defaults: 60 s for headers, 300 s
 * for a request, no cap).
 */
export interface ServerLimits {
  /** The whole request head must arrive within this. */
  readonly headersTimeoutMs: number;
  /** The whole request (head and body) must arrive within this. */
  readonly requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this. */
  readonly keepAliveTimeoutMs: number;
  /** Connections beyond this many are refused. */
  readonly maxConnections: number;
  /** Request head size limit (an oversized one gets 431 with the contract's error body). */
  readonly maxHeaderBytes: number;
}

export const DEFAULT_LIMITS: ServerLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  maxHeaderBytes: 16 * 1024,
};

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};
const error = (res: ServerResponse, status: number, code: string, message: string, issues?: { path: string; message: string }[]) =>
  json(res, status, { error: { code, message, ...(issues ? { issues } : {}) } });

/** A host name, IPv4 or bracketed IPv6 address, with an optional port: what a Host header may be. */
const HOST_HEADER = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/** Errors Node's parser raises before a request exists, answered with the contract's error body. */
function answerClientError(err: NodeJS.ErrnoException, socket: Duplex): void {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'RequestHeaderFieldsTooLarge', 'The request headers are too large.']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'RequestTimeout', 'The request took too long to arrive.']
        : [400, 'ValidationError', 'The request is not valid HTTP.'];
  const body = JSON.stringify({ error: { code, message } });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json\r\ncache-control: no-store\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
}

function match(route: Route, method: string, path: string): Record<string, string> | undefined {
  if (route.method !== method) return undefined;
  const want = route.path.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith('{') && w.endsWith('}')) {
      if (!g) return undefined;
      params[w.slice(1, -1)] = g;
    } else if (w !== g) return undefined;
  }
  return params;
}

/** Past this much of an oversized body we stop reading and drop the connection. */
const MAX_DISCARD_BYTES = 16 * MAX_BODY_BYTES;

async function readBody(req: IncomingMessage): Promise<string | 'too-large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    // Over the limit: keep reading (and dropping) the rest, so the client, still sending, gets
    // the 413 rather than a reset connection; give up on a body far beyond the limit.
    if (size > MAX_DISCARD_BYTES) break;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk as Buffer);
  }
  return size > MAX_BODY_BYTES ? 'too-large' : Buffer.concat(chunks).toString('utf8');
}

export function startApiServer(opts: ApiServerOptions): Promise<Server> {
  const limits = { ...DEFAULT_LIMITS, ...opts.limits };
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      maxHeaderSize: limits.maxHeaderBytes,
      // How often Node enforces the two timeouts above (default every 30 s).
      connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    },
    (req, res) => {
      handle(req, res).catch(() => {
        if (!res.headersSent) error(res, 500, 'InternalError', 'Something went wrong.');
        else res.end();
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.maxHeadersCount = 100;
  server.on('clientError', answerClientError);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const host = req.headers.host ?? '';
    if (!HOST_HEADER.test(host)) {
      res.setHeader('connection', 'close');
      return error(res, 400, 'ValidationError', 'The Host header is missing or malformed.', [{ path: 'headers.host', message: 'must be a host name or address, with an optional port' }]);
    }
    // The path comes from the request line alone (a URL built from the Host header could fail on it).
    const target = req.url ?? '/';
    let url: URL;
    try {
      url = new URL(`http://localhost${target.startsWith('/') ? target : `/${target}`}`);
    } catch {
      return error(res, 400, 'ValidationError', 'The request path is malformed.', [{ path: 'path', message: 'must be a valid path' }]);
    }
    const method = req.method ?? 'GET';
    if (url.pathname === '/health' && method === 'GET') {
      if (!opts.isReady()) return json(res, 503, { status: 'starting' });
      const report = opts.health ? await opts.health() : undefined;
      if (!report || report.status === 'ok') return json(res, 200, { status: 'ok' });
      res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
      return json(res, 503, {
        status: 'unavailable',
        down: report.down,
        parts: report.parts,
        error: { code: 'ServiceUnavailable', message: `Unavailable: ${report.down.join(', ')}.` },
      });
    }
    // A browser opening a dashboard link (e.g. an email's /patients/<id>) asks for a page
    // without a bearer token: that is the dashboard's, every other request the API's.
    const pageLoad = (method === 'GET' || method === 'HEAD') && !req.headers.authorization && (req.headers.accept ?? '').includes('text/html');
    if (pageLoad && opts.fallback && (await opts.fallback(req, res))) return;
    let found: { route: Route; params: Record<string, string> } | undefined;
    for (const route of opts.routes) {
      const params = match(route, method, url.pathname);
      if (params) {
        found = { route, params };
        break;
      }
    }
    if (!found) {
      // A request with a bearer token is an API call: an unknown path is a 404 with the
      // contract's error body, never the dashboard's page.
      if (!req.headers.authorization && opts.fallback && (await opts.fallback(req, res))) return;
      const known = opts.routes.some((r) => match({ ...r, method: method as 'GET' }, method, url.pathname));
      return error(res, 404, 'NotFound', known ? 'No such route.' : 'No such route.');
    }
    if (!opts.isReady()) {
      res.setHeader('retry-after', String(RETRY_AFTER_SECONDS));
      return error(res, 503, 'ServiceUnavailable', 'The stack is starting; try again shortly.');
    }
    const auth = req.headers.authorization ?? '';
    const token = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(auth)?.[1];
    if (!token && !found.route.public) return error(res, 401, 'Unauthorized', 'A bearer token is required.');
    let claims: Record<string, unknown> = {};
    try {
      if (token) claims = await opts.verify(token);
    } catch {
      return error(res, 401, 'Unauthorized', 'The bearer token is invalid or expired.');
    }
    const body = await readBody(req);
    if (body === 'too-large') {
      res.setHeader('connection', 'close');
      return error(res, 413, 'PayloadTooLarge', `The body must be at most ${MAX_BODY_BYTES} bytes.`);
    }
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = query[k] === undefined ? v : `${query[k]},${v}`;
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers[k] = v;
    const now = new Date();
    const event = {
      version: '2.0',
      routeKey: `${found.route.method} ${found.route.path}`,
      rawPath: url.pathname,
      rawQueryString: url.search.slice(1),
      headers,
      queryStringParameters: Object.keys(query).length ? query : undefined,
      pathParameters: Object.keys(found.params).length ? found.params : undefined,
      body: body || undefined,
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: host,
        domainPrefix: 'local',
        http: { method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '', userAgent: headers['user-agent'] ?? '' },
        requestId: `${now.getTime()}-${Math.random().toString(36).slice(2)}`,
        routeKey: `${found.route.method} ${found.route.path}`,
        stage: '$default',
        time: now.toUTCString(),
        timeEpoch: now.getTime(),
        authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: claims as Record<string, string>, scopes: [] } },
      },
    } as unknown as HttpEvent;
    const handler = await found.route.handler();
    const result = await handler(event);
    res.writeHead(result.statusCode ?? 200, (result.headers ?? {}) as Record<string, string>);
    res.end(result.body ?? '');
  }

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => resolve(server));
  });
}
