// The local HTTP API: turns requests into API Gateway (HTTP API, payload 2.0) events for the same
// handlers the cloud runs, after verifying the bearer token as the JWT authorizer would.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { MAX_BODY_BYTES, type HttpEvent } from '../functions/shared/http.js';
import type { TokenVerifier } from './auth.js';

type Handler = (event: HttpEvent) => Promise<APIGatewayProxyStructuredResultV2>;

export interface Route {
  readonly method: 'GET' | 'POST';
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
}

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};
const error = (res: ServerResponse, status: number, code: string, message: string) => json(res, status, { error: { code, message } });

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
  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) error(res, 500, 'InternalError', 'Something went wrong.');
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
    const method = req.method ?? 'GET';
    if (url.pathname === '/health' && method === 'GET') {
      return opts.isReady() ? json(res, 200, { status: 'ok' }) : json(res, 503, { status: 'starting' });
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
    if (!opts.isReady()) return error(res, 503, 'Unavailable', 'The stack is starting; try again shortly.');
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
        domainName: url.host,
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
