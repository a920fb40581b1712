import { useCallback, useEffect, useRef } from 'react';

/**
 * Guards against out-of-order answers: `begin()` starts a request and returns a check that is
 * true only while no later request has started (and the screen is still open), so a slow,
 * stale answer never overwrites a newer one.
 */
export function useLatestRequest(): () => () => boolean {
  const seq = useRef(0);
  useEffect(
    () => () => {
      seq.current += 1;
    },
    [],
  );
  return useCallback(() => {
    const id = ++seq.current;
    return () => id === seq.current;
  }, []);
}
