// The rules every report figure follows, shared by the API and the dashboard (no dependencies,
// so the dashboard can import it): what each funnel figure counts, and one rounding rule.
export const FUNNEL = ['referrals', 'accepted', 'myelographies', 'localised', 'treated', 'completed'] as const;
export type FunnelMeasure = (typeof FUNNEL)[number];

/**
 * What each funnel figure counts: patients (each counted once) or events (a patient may have
 * several myelograms and procedures), so the two are never added or compared as one.
 */
export const FUNNEL_UNITS: Record<FunnelMeasure, 'patients' | 'myelograms' | 'procedures'> = {
  referrals: 'patients',
  accepted: 'patients',
  myelographies: 'myelograms',
  localised: 'myelograms',
  treated: 'procedures',
  completed: 'patients',
};

/** The one rounding rule for shares: whole percent, half up, from the counts themselves. */
export function percentOf(part: number, whole: number): number | null {
  return whole === 0 ? null : Math.floor((100 * part) / whole + 0.5 + 1e-9);
}

