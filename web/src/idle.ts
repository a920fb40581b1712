// Idle logout (HIPAA automatic logoff): after a configurable time without activity in any tab
// (15 minutes by default), the session is removed everywhere; a warning comes a minute before.
import { cloudConfig } from './cloud-auth.js';

export const DEFAULT_IDLE_MINUTES = 15;
export const IDLE_WARNING_MS = 60_000;
/** A browser may shorten its own idle time (never lengthen it): the browser tests use this. */
export const IDLE_OVERRIDE_KEY = 'csf-pathway.idle-minutes';

const positive = (v: unknown): number | null => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
};

/**
 * Minutes of inactivity before logout: the deployment's `idleMinutes` in /config.json, else the
 * build's VITE_IDLE_MINUTES, else 15; a shorter per-browser setting wins.
 */
export async function idleMinutes(): Promise<number> {
  const cloud = (await cloudConfig()) as { idleMinutes?: unknown } | null;
  const configured = positive(cloud?.idleMinutes) ?? positive(import.meta.env.VITE_IDLE_MINUTES) ?? DEFAULT_IDLE_MINUTES;
  const local = positive(localStorage.getItem(IDLE_OVERRIDE_KEY));
  return local !== null ? Math.min(local, configured) : configured;
}

export const SIGNED_OUT_REASON_KEY = 'csf-pathway.signed-out-reason';

export function takeSignedOutReason(): string | null {
  const reason = sessionStorage.getItem(SIGNED_OUT_REASON_KEY);
  sessionStorage.removeItem(SIGNED_OUT_REASON_KEY);
  return reason;
}
