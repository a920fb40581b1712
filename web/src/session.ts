// The signed-in user: a bearer token and the claims the dashboard reads from it. The API verifies
// the token; these claims only shape the UI.
//
// One session for every tab: the token is kept in localStorage, so a link from an email opens
// signed in, and signing out (or the idle logout) in one tab signs out all of them (the `storage`
// event). The trade-off, accepted on purpose: any script running on this origin can read
// localStorage, and the token outlives a closed tab until it expires. What bounds it: the CSP
// allows scripts from our own origin only (no inline, no eval), the token is short-lived, the
// idle logout removes it after 15 minutes without activity in any tab, and "Sign out" removes
// it everywhere. sessionStorage would not stop a script on the origin either; it only made every
// new tab ask for a new sign-in.
import { useSyncExternalStore } from 'react';
import { GROUP_OF_ROLE, ROLES, type Role } from '../../functions/domain/vocabulary.js';

export type Team = 'neuroradiology' | 'neurointerventional' | 'neurosurgery';
const TEAMS: readonly Team[] = ['neuroradiology', 'neurointerventional', 'neurosurgery'];

export interface Session {
  readonly token: string;
  readonly role: Role;
  readonly email: string;
  readonly site?: string;
  /** The physician's team: the `custom:team` claim, else inferred from the site. */
  readonly team?: Team;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

const KEY = 'csf-pathway.token';
const ACTIVITY_KEY = 'csf-pathway.last-activity';
const listeners = new Set<() => void>();
let cached: { token: string | null; session: Session | null } = { token: null, session: null };
/** Set when the API refused the token (401) before its own expiry time. */
let refusedToken: string | null = null;

function decodeClaims(token: string): Record<string, unknown> | null {
  const part = token.split('.')[1];
  if (!part) return null;
  try {
    const json = atob(part.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(part.length / 4) * 4, '='));
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(json, (c) => c.charCodeAt(0)))) as Record<string, unknown>;
  } catch {
    return null;
  }
}

// until custom:team arrives in every token: the treating teams sit at one site each.
const TEAM_OF_SITE: Record<string, Team> = {
  'santa-clara': 'neuroradiology',
  'roseville-sacramento': 'neuroradiology',
  sacramento: 'neurointerventional',
  'redwood-city': 'neurosurgery',
};

export function sessionFromToken(token: string): Session | null {
  const claims = decodeClaims(token);
  if (!claims) return null;
  const groups = Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'].map(String) : [];
  const role = ROLES.find((r) => groups.includes(GROUP_OF_ROLE[r]));
  if (!role) return null;
  const site = typeof claims['custom:site'] === 'string' ? claims['custom:site'] : undefined;
  const claimedTeam = TEAMS.find((t) => t === claims['custom:team']);
  const team = role !== 'physician' ? undefined : (claimedTeam ?? (site ? TEAM_OF_SITE[site] : undefined));
  return {
    token,
    role,
    email: typeof claims.email === 'string' ? claims.email : '',
    ...(site ? { site } : {}),
    ...(team ? { team } : {}),
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : 0,
  };
}

function storedToken(): string | null {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** The session in store, expired or not (an expired one keeps the screen for a re-sign-in). */
function read(): Session | null {
  const token = storedToken();
  if (token !== cached.token) cached = { token, session: token ? sessionFromToken(token) : null };
  return cached.session;
}

const notify = () => listeners.forEach((l) => l());

// Another tab signed in, out, or renewed the session.
if (typeof window !== 'undefined') {
  window.addEventListener('storage', (e) => {
    if (e.key === KEY || e.key === null) notify();
  });
}

export function signIn(token: string): Session | null {
  const session = sessionFromToken(token);
  if (!session) return null;
  localStorage.setItem(KEY, token);
  refusedToken = null;
  noteActivity();
  notify();
  return session;
}

export function signOut(): void {
  localStorage.removeItem(KEY);
  localStorage.removeItem(ACTIVITY_KEY);
  refusedToken = null;
  notify();
}

/** A session the API should accept: present, not expired, not refused. */
export function currentSession(): Session | null {
  const s = read();
  return s && !needsRenewal(s) ? s : null;
}

export function needsRenewal(s: Session, now = Date.now()): boolean {
  return s.expiresAt <= now || s.token === refusedToken;
}

/** The API answered 401 to this token: ask the same user to sign in again, keeping the screen. */
export function markRefused(token: string): void {
  refusedToken = token;
  notify();
}

/** Resolves with the next usable session (after a re-sign-in, here or in another tab). */
export function nextSession(): Promise<Session> {
  return new Promise((resolve) => {
    const check = () => {
      const s = currentSession();
      if (s) {
        listeners.delete(check);
        resolve(s);
      }
    };
    listeners.add(check);
    check();
  });
}

/** The session in store, expired or not; null once signed out. */
export function useSession(): Session | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    read,
  );
}

/** Renders again when the session's usability changes (a 401), not only when the token does. */
export function useRefused(session: Session | null): boolean {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => (session ? session.token === refusedToken : false),
  );
}

// Activity is shared across tabs: working in one tab keeps the others signed in.
let lastWrite = 0;
export function noteActivity(now = Date.now()): void {
  // At most one write every few seconds: mousemove fires constantly.
  if (now - lastWrite < 5_000) return;
  lastWrite = now;
  try {
    localStorage.setItem(ACTIVITY_KEY, String(now));
  } catch {
    // storage full or disabled: the idle timer then counts this tab alone
  }
}

export function lastActivity(): number {
  const v = Number(localStorage.getItem(ACTIVITY_KEY) ?? 0);
  return Number.isFinite(v) ? v : 0;
}

/** Forget the throttle so the next activity is written at once ("Stay signed in"). */
export function resetActivityThrottle(): void {
  lastWrite = 0;
}
