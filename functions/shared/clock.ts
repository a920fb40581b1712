import { monotonicFactory } from 'ulid';

export interface Clock {
  now(): Date;
}
export const systemClock: Clock = { now: () => new Date() };

export interface Ids {
  /** Time-ordered unique id (ULID): patient ids and audit event ids. */
  next(): string;
}
const monotonic = monotonicFactory();
export const ulidIds: Ids = { next: () => monotonic() };

export const monthOf = (iso: string): string => iso.slice(0, 7);
export const DAY_MS = 86_400_000;
export const addDays = (from: Date, days: number): Date => new Date(from.getTime() + days * DAY_MS);
