// Test-only fault injection for the local engine (never part of the deployed code): rules come
// from the LOCAL_FAULTS environment variable as JSON; a rule names a function by its handler
// module (functions/workflow/enter-stage.ts: "enter-stage"), e.g.
//   [{"function":"notify-team","error":"MailRejectedError","times":2},
//    {"function":"persist-transition","error":"TransientError","probability":0.2},
//    {"function":"enter-stage","error":"CorruptRecordError","match":{"step":4}}]
// A rule fires when the function matches, `match` is a subset of the payload, and it has fired
// fewer than `times` times (default unlimited), with the given probability (default 1). The
// first rule that fires wins.
//
// Two more test knobs, read here so start.ts needs no change:
// - LOCAL_FAULTS_LOG=<file>: every injected fault is appended to it as one JSON line
//   ({"at", "function", "error", "rule"}), written synchronously so the count survives kill -9.
//   Only the function and error names are written: never the payload (it may hold ids only,
//   but a log of faults has no need for them).
// - LOCAL_FAULTS_SEED=<integer>: draw probabilities from a seeded generator (mulberry32) rather
//   than Math.random, so a run's fault pattern can be replayed (timing still varies).
import { appendFileSync } from 'node:fs';

export interface FaultRule {
  readonly function: string;
  readonly error: string;
  readonly match?: Record<string, unknown>;
  readonly times?: number;
  readonly probability?: number;
}

export interface InjectedFault {
  readonly at: string;
  readonly function: string;
  readonly error: string;
  readonly rule: number;
}

function isSubset(pattern: unknown, value: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object') return pattern === value;
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(pattern).every(([k, v]) => isSubset(v, (value as Record<string, unknown>)[k]));
}

/** A small seeded generator in [0, 1): mulberry32. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export interface FaultInjectorOptions {
  /** Where to append one JSON line per injected fault (default: LOCAL_FAULTS_LOG, else nowhere). */
  readonly logFile?: string;
  /** Called with each injected fault (tests of this module). */
  readonly onFault?: (fault: InjectedFault) => void;
}

function defaultRandom(): () => number {
  const seed = process.env.LOCAL_FAULTS_SEED;
  if (seed === undefined || seed === '') return Math.random;
  const n = Number(seed);
  if (!Number.isInteger(n)) throw new Error(`LOCAL_FAULTS_SEED must be an integer, got ${seed}`);
  return seededRandom(n);
}

export function faultInjector(rules: readonly FaultRule[], random: () => number = defaultRandom(), options: FaultInjectorOptions = {}) {
  const fired = new Map<number, number>();
  const logFile = options.logFile ?? process.env.LOCAL_FAULTS_LOG;
  return (functionName: string, payload: unknown): Error | undefined => {
    for (const [i, rule] of rules.entries()) {
      if (rule.function !== functionName) continue;
      if (rule.match && !isSubset(rule.match, payload)) continue;
      const count = fired.get(i) ?? 0;
      if (rule.times !== undefined && count >= rule.times) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      fired.set(i, count + 1);
      const fault: InjectedFault = { at: new Date().toISOString(), function: functionName, error: rule.error, rule: i };
      if (logFile) appendFileSync(logFile, `${JSON.stringify(fault)}\n`);
      options.onFault?.(fault);
      const error = new Error(`injected ${rule.error} into ${functionName}`);
      error.name = rule.error;
      return error;
    }
    return undefined;
  };
}

/** Read a LOCAL_FAULTS_LOG file back: the injected faults, skipping a line torn by kill -9. */
export function readFaultLog(text: string): InjectedFault[] {
  const out: InjectedFault[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as InjectedFault);
    } catch {
      // torn last line
    }
  }
  return out;
}
