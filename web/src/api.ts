// Calls to the HTTP API with the session's bearer token. Errors arrive in the contract's shape
// ({error: {code, message, issues?}}) and are thrown as ApiFailure for the screens to show.
import { apiUrl } from './cloud-auth.js';
import { plainMessage } from './labels.js';
import { navigate } from './router.js';
import { currentSession, markRefused, nextSession, signOut, type Session } from './session.js';

export interface Issue {
  readonly path: string;
  readonly message: string;
}

export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly issues: readonly Issue[] = [],
  ) {
    super(message);
    this.name = 'ApiFailure';
  }
}

const RETURN_KEY = 'csf-pathway.return-to';

/** Where to go after signing in (set when a page needed a session it did not have). */
export function takeReturnPath(): string | null {
  const path = sessionStorage.getItem(RETURN_KEY);
  sessionStorage.removeItem(RETURN_KEY);
  return path && path.startsWith('/') && !path.startsWith('//') ? path : null;
}

export function requireSignIn(): void {
  if (location.pathname !== '/sign-in') sessionStorage.setItem(RETURN_KEY, location.pathname + location.search);
  signOut();
  navigate('/sign-in', { replace: true });
}

async function failureOf(res: Response): Promise<ApiFailure> {
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    body = undefined;
  }
  const err = (body as { error?: { code?: string; message?: string; issues?: Issue[] } } | undefined)?.error;
  const issues = (err?.issues ?? []).map((i) => ({ path: i.path, message: plainMessage(i.message) }));
  return new ApiFailure(res.status, err?.code ?? `HTTP${res.status}`, plainMessage(err?.message ?? `The server answered ${res.status}.`), issues);
}

/**
 * A usable session: the current one, or, when it expired or was refused while a screen is open,
 * the one the user signs in with again (the shell shows the re-sign-in dialog over the screen, so
 * a form being filled in stays as it is). No session at all: the sign-in page.
 */
async function usableSession(): Promise<Session> {
  const session = currentSession();
  if (session) return session;
  if (localStorage.getItem('csf-pathway.token')) return nextSession();
  requireSignIn();
  throw new ApiFailure(401, 'Unauthorized', 'Please sign in.');
}

/** A raw authorised request; throws ApiFailure on any non-2xx answer. A 401 asks for a re-sign-in and retries once. */
export async function apiRequest(method: 'GET' | 'POST', path: string, body?: unknown): Promise<Response> {
  for (let attempt = 0; ; attempt++) {
    const session = await usableSession();
    const headers: Record<string, string> = { authorization: `Bearer ${session.token}`, accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(await apiUrl(path), { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), cache: 'no-store' });
    if (res.status === 401 && attempt === 0) {
      markRefused(session.token);
      continue;
    }
    if (!res.ok) {
      const failure = await failureOf(res);
      // A stale screen: whoever shows this record reloads it and says what changed.
      if (res.status === 409) window.dispatchEvent(new CustomEvent(CONFLICT_EVENT, { detail: { path, message: failure.message } }));
      throw failure;
    }
    return res;
  }
}

export const CONFLICT_EVENT = 'csf:conflict';

export async function apiJson<T>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<T> {
  const res = await apiRequest(method, path, body);
  return (await res.json()) as T;
}

/** A query string from the defined, non-empty values. */
export function queryString(params: Record<string, string | number | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Every page of a paged list, up to a safety cap. */
export async function allPages<T>(path: string, params: Record<string, string | undefined>, maxPages = 20): Promise<T[]> {
  const items: T[] = [];
  let nextToken: string | null = null;
  for (let i = 0; i < maxPages; i++) {
    const page: { items: T[]; nextToken: string | null } = await apiJson('GET', `${path}${queryString({ ...params, nextToken })}`);
    items.push(...page.items);
    nextToken = page.nextToken;
    if (!nextToken) break;
  }
  return items;
}

/** Local sign-in: POST /local/sign-in answers {token} (the local stack only; Cognito in the cloud). */
export async function localSignIn(body: { role: string; email: string; site?: string }): Promise<string> {
  const res = await fetch('/local/sign-in', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw await failureOf(res);
  return ((await res.json()) as { token: string }).token;
}
