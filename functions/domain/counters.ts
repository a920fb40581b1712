// The throughput counters the engine keeps per month (pre-aggregated, so reports cost months,
// not patients). The repository maps each item to its key; the names live here.
export type CounterItem =
  | { readonly kind: 'stage'; readonly stage: string }
  | { readonly kind: 'funnel' | 'yield' | 'outcomes' };

export interface CounterIncrement {
  readonly month: string;
  readonly item: CounterItem;
  readonly add: Readonly<Record<string, number>>;
}

/** A counter increment before the month of the event is known. */
export type CounterDraft = Omit<CounterIncrement, 'month'>;

/** Funnel attributes of METRIC#<month>/FUNNEL. */
export const FUNNEL = {
  referrals: 'referrals',
  accepted: 'accepted',
  myelographies: 'myelographies',
  localised: 'localised',
  treated: 'treated',
  completed: 'completed',
} as const;

export const STAGE_COUNTERS = { entered: 'entered', exited: 'exited', withinSla: 'withinSla', lateSla: 'lateSla' } as const;
