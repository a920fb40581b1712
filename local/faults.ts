// Test-only fault injection for the local engine (never part of the deployed code): rules come
// from the LOCAL_FAULTS environment variable as JSON, e.g.
//   [{"function":"notify-team","error":"MailRejectedError","times":2},
//    {"function":"persist-transition","error":"TransientError","probability":0.2},
//    {"function":"persist-transition","error":"CorruptRecordError","match":{"to":{"stage":"MYELOGRAPHY"}}}]
// A rule fires when the function matches, `match` is a subset of the payload, and it has fired
// fewer than `times` times (default unlimited), with the given probability (default 1).

export interface FaultRule {
  readonly function: string;
  readonly error: string;
  readonly match?: Record<string, unknown>;
  readonly times?: number;
  readonly probability?: number;
}

function isSubset(pattern: unknown, value: unknown): boolean {
  if (pattern === null || typeof pattern !== 'object') return pattern === value;
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(pattern).every(([k, v]) => isSubset(v, (value as Record<string, unknown>)[k]));
}

export function faultInjector(rules: readonly FaultRule[], random: () => number = Math.random) {
  const fired = new Map<number, number>();
  return (functionName: string, payload: unknown): Error | undefined => {
    for (const [i, rule] of rules.entries()) {
      if (rule.function !== functionName) continue;
      if (rule.match && !isSubset(rule.match, payload)) continue;
      const count = fired.get(i) ?? 0;
      if (rule.times !== undefined && count >= rule.times) continue;
      if (rule.probability !== undefined && random() >= rule.probability) continue;
      fired.set(i, count + 1);
      const error = new Error(`injected ${rule.error} into ${functionName}`);
      error.name = rule.error;
      return error;
    }
    return undefined;
  };
}
