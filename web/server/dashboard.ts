// Serves the built dashboard (web/dist) from the local API server, and the local-only sign-in.
// Plugged into startApiServer's `fallback`, so it only sees requests no API route answered,
// plus browser page loads (see api-server.ts). Never deployed: in the cloud the dashboard is
// static hosting and sign-in is the Cognito hosted UI.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_CONFIG } from '../../functions/domain/config.js';
import { NEURORADIOLOGY_SITES, ROLES, type Role } from '../../functions/domain/vocabulary.js';

export const WEB_DIST_DIR = fileURLToPath(new URL('../dist', import.meta.url));

export interface SignInRequest {
  readonly role: Role;
  readonly email: string;
  readonly site?: string;
  /** The physician's team (the `custom:team` claim), for "waiting on me". */
  readonly team?: string;
  /** A shorter token life than the default, e.g. "120s" (to see the expiry warning). */
  readonly expiresIn?: string;
}

export interface DashboardProps {
  /** The built dashboard (index.html and assets/). */
  readonly distDir: string;
  /** Issues a local token; when absent, POST /local/sign-in does not exist. */
  readonly signIn?: (req: SignInRequest) => Promise<string>;
}

export type Fallback = (req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

const PHYSICIAN_TEAMS = ['neuroradiology', 'neurointerventional', 'neurosurgery'] as const;

// Every site of the default team directory: the referral sites plus the treating teams'.
const SITES = [
  ...NEURORADIOLOGY_SITES,
  DEFAULT_CONFIG.teamDirectory.neurointerventional.site,
  DEFAULT_CONFIG.teamDirectory.neurosurgery.site,
] as [string, ...string[]];

export const signInSchema = z.strictObject({
  role: z.enum(ROLES, { message: `must be one of ${ROLES.join(', ')}` }),
  email: z.email('must be an email address').max(254),
  site: z.enum(SITES, { message: `must be one of ${SITES.join(', ')}` }).optional(),
  team: z.enum(PHYSICIAN_TEAMS, { message: `must be one of ${PHYSICIAN_TEAMS.join(', ')}` }).optional(),
  /** Seconds the token lives (at most the default 12 hours). */
  expiresInSeconds: z.number().int().min(30).max(43_200).optional(),
});

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

// Mantine injects its CSS variables in <style> tags and Recharts sizes with style attributes,
// hence 'unsafe-inline' for styles only; scripts come from our own origin alone.
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

const MAX_SIGN_IN_BYTES = 4096;

function send(res: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': 'no-store', ...extra });
  res.end(body);
}

const jsonError = (res: ServerResponse, status: number, code: string, message: string, issues?: { path: string; message: string }[]) =>
  send(res, status, 'application/json', JSON.stringify({ error: { code, message, ...(issues ? { issues } : {}) } }));

async function readSmallBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_SIGN_IN_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handleSignIn(req: IncomingMessage, res: ServerResponse, signIn: NonNullable<DashboardProps['signIn']>): Promise<void> {
  // JSON only: a cross-site page cannot send application/json without a CORS preflight,
  // which this server never grants.
  if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json')) {
    return jsonError(res, 415, 'UnsupportedMediaType', 'The body must be sent as application/json.');
  }
  const raw = await readSmallBody(req);
  if (raw === undefined) return jsonError(res, 413, 'PayloadTooLarge', `The body must be at most ${MAX_SIGN_IN_BYTES} bytes.`);
  let body: unknown;
  try {
    body = JSON.parse(raw || 'null');
  } catch {
    return jsonError(res, 400, 'ValidationError', 'The body is not valid JSON.', [{ path: '', message: 'must be valid JSON' }]);
  }
  const parsed = signInSchema.safeParse(body);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
    return jsonError(res, 400, 'ValidationError', 'The sign-in is invalid.', issues);
  }
  const { expiresInSeconds, ...identity } = parsed.data;
  const token = await signIn({ ...identity, ...(expiresInSeconds ? { expiresIn: `${expiresInSeconds}s` } : {}) });
  send(res, 200, 'application/json', JSON.stringify({ token }));
}

async function fileAt(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

function serveFile(req: IncomingMessage, res: ServerResponse, path: string, cacheControl: string): void {
  const type = TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, { ...SECURITY_HEADERS, 'content-type': type, 'cache-control': cacheControl });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  createReadStream(path).on('error', () => res.destroy()).pipe(res);
}

const NOT_BUILT = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Dashboard not built</title></head>
<body><h1>The dashboard is not built</h1><p>Run <code>npm run build:web</code> (or <code>npm start</code>, which builds it) and reload.</p></body></html>`;

/** The fallback for startApiServer: dashboard files, the SPA's index.html, and POST /local/sign-in. */
export function dashboardFallback(props: DashboardProps): Fallback {
  const root = resolve(props.distDir);
  const index = join(root, 'index.html');
  return async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    if (url.pathname === '/local/sign-in' && props.signIn) {
      if (method !== 'POST') return (jsonError(res, 405, 'MethodNotAllowed', 'Use POST.'), true);
      await handleSignIn(req, res, props.signIn);
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') return false;
    let pathname: string;
    try {
      pathname = decodeURIComponent(url.pathname);
    } catch {
      return false;
    }
    if (pathname.includes('\0')) return false;
    const candidate = resolve(root, `.${pathname}`);
    const inside = candidate === root || candidate.startsWith(root + sep);
    if (inside && (await fileAt(candidate))) {
      // Vite names assets by content hash, so they never change; index.html names the current
      // ones, so it is never cached; anything else is revalidated.
      const cache = candidate === index ? 'no-store' : pathname.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache';
      serveFile(req, res, candidate, cache);
      return true;
    }
    // A missing file (a path with an extension) is a 404; any other path is a page of the SPA.
    if (extname(pathname) !== '') return false;
    if (!(await fileAt(index))) {
      send(res, 503, 'text/html; charset=utf-8', NOT_BUILT);
      return true;
    }
    serveFile(req, res, index, 'no-store');
    return true;
  };
}
