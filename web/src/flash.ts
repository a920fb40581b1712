// A one-off message carried across a navigation ("Referral CSF-2026-000012 created").
import { useSyncExternalStore } from 'react';

let current: { message: string; path: string } | null = null;
const listeners = new Set<() => void>();

export function setFlash(message: string, path: string): void {
  current = { message, path };
  listeners.forEach((l) => l());
}

export function clearFlash(): void {
  current = null;
  listeners.forEach((l) => l());
}

export function useFlash(path: string): string | null {
  const f = useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => current,
  );
  return f && f.path === path ? f.message : null;
}
