// Read-modify-write of one patient record with an optimistic revision check, retried when a
// concurrent writer wins. The change function is pure (a domain state change): it sees the
// record and returns the next one with its audit events and counters, or throws to refuse.
import type { Ctx, PatientRecord } from '../domain/record.js';
import type { AuditEvent, AuditEventInput, CounterIncrement } from '../store/pathway-store.js';
import { ConcurrentUpdateError } from '../shared/errors.js';
import type { Deps } from '../shared/runtime.js';
import { recommendationFor } from '../domain/decision-checks.js';
import { stageOf } from '../domain/pathway.js';

export interface Change {
  readonly next: PatientRecord;
  readonly events?: readonly AuditEventInput[];
  readonly counters?: readonly CounterIncrement[];
}

export async function mutatePatient<R>(
  deps: Pick<Deps, 'store'>,
  patientId: string,
  change: (current: PatientRecord | undefined) => { change: Change | null; result: R },
  opts: {
    readonly attempts?: number;
    /**
     * The record as the caller just read it: the first attempt starts from it instead of reading
     * again. The revision check makes that safe (a stale copy loses the write and is read afresh),
     * and a copy that leads to no change is read afresh too, so "nothing to do" is never decided
     * on a stale record.
     */
    readonly known?: PatientRecord;
  } = {},
): Promise<{ result: R; events: AuditEvent[]; saved: PatientRecord | undefined }> {
  const attempts = opts.attempts ?? 8;
  let given = opts.known?.patientId === patientId ? opts.known : undefined;
  for (let attempt = 1; ; attempt++) {
    const fromKnown = given !== undefined;
    const current = given ?? (await deps.store.getPatient(patientId));
    given = undefined;
    const { change: c, result } = change(current);
    if (!c && fromKnown) {
      attempt -= 1;
      continue;
    }
    if (!c) return { result, events: [], saved: current };
    const next = { ...c.next, rev: (current?.rev ?? 0) + 1 };
    try {
      const events = await deps.store.savePatient(next, current ? current.rev : 'new', c.events, c.counters);
      return { result, events, saved: next };
    } catch (err) {
      if (!(err instanceof ConcurrentUpdateError) || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}

/** The domain's context for a state change made now. */
export function ctxOf(deps: Pick<Deps, 'pathway' | 'config' | 'clock' | 'ids'>): Ctx {
  return {
    def: deps.pathway,
    config: deps.config,
    now: deps.clock.now(),
    newId: () => deps.ids.next(),
    recommend: (stage, history) => (stageOf(deps.pathway, stage).recommends ? recommendationFor(deps.config, stage as never, history) : null),
  };
}
