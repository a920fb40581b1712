// The signed-in user: a bearer token kept in sessionStorage (gone when the tab closes) and the
// claims the dashboard reads from it. The API verifies the token; these claims only shape the UI.
import { useSyncExternalStore } from 'react';
import { GROUP_OF_ROLE, ROLES, type Role } from '../../functions/domain/vocabulary.js';

export interface Session {
  readonly token: string;
  readonly role: Role;
  readonly email: string;
  readonly site?: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
}

const KEY = 'csf-pathway.token';
const listeners = new Set<() => void>();
let cached: { token: string | null; session: Session | null } = { token: null, session: null };

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

export function sessionFromToken(token: string): Session | null {
  const claims = decodeClaims(token);
  if (!claims) return null;
  const groups = Array.isArray(claims['cognito:groups']) ? claims['cognito:groups'].map(String) : [];
  const role = ROLES.find((r) => groups.includes(GROUP_OF_ROLE[r]));
  if (!role) return null;
  const site = typeof claims['custom:site'] === 'string' ? claims['custom:site'] : undefined;
  return {
    token,
    role,
    email: typeof claims.email === 'string' ? claims.email : '',
    ...(site ? { site } : {}),
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : 0,
  };
}

function read(): Session | null {
  const token = sessionStorage.getItem(KEY);
  if (token !== cached.token) cached = { token, session: token ? sessionFromToken(token) : null };
  const s = cached.session;
  return s && s.expiresAt > Date.now() ? s : null;
}

const notify = () => listeners.forEach((l) => l());

export function signIn(token: string): Session | null {
  const session = sessionFromToken(token);
  if (!session) return null;
  sessionStorage.setItem(KEY, token);
  notify();
  return session;
}

export function signOut(): void {
  sessionStorage.removeItem(KEY);
  notify();
}

export function currentSession(): Session | null {
  return read();
}

export function useSession(): Session | null {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    read,
  );
}
