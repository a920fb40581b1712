// A deliberately small client-side router: the History API and one path per screen. Paths carry
// ids only (never names or case details).
import { Anchor, type AnchorProps } from '@mantine/core';
import { useSyncExternalStore, type MouseEvent, type ReactNode } from 'react';

const EVENT = 'csf:navigate';

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.dispatchEvent(new Event(EVENT));
  window.scrollTo(0, 0);
}

function subscribe(listener: () => void): () => void {
  window.addEventListener('popstate', listener);
  window.addEventListener(EVENT, listener);
  return () => {
    window.removeEventListener('popstate', listener);
    window.removeEventListener(EVENT, listener);
  };
}

export function usePath(): string {
  return useSyncExternalStore(subscribe, () => location.pathname);
}

export function useSearch(): URLSearchParams {
  const search = useSyncExternalStore(subscribe, () => location.search);
  return new URLSearchParams(search);
}

/** A link that navigates in place; modified clicks (new tab, etc.) keep browser behaviour. */
export function Link({ to, children, ...rest }: { to: string; children: ReactNode; 'aria-label'?: string; 'aria-current'?: 'page' | undefined } & AnchorProps) {
  const onClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(to);
  };
  return (
    <Anchor href={to} onClick={onClick} {...rest}>
      {children}
    </Anchor>
  );
}

/**
 * Filters kept in the address (replacing the entry, so Back leaves the screen rather than undoing
 * each keystroke): a reload or a shared link shows the same view. Empty values are dropped.
 */
export function setSearch(patch: Record<string, string | null | undefined>): void {
  const q = new URLSearchParams(location.search);
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  history.replaceState(null, '', `${location.pathname}${s ? `?${s}` : ''}`);
  window.dispatchEvent(new Event(EVENT));
}
