// A failure retries could not fix: the pathway is marked failed and the administrators are
// alerted (queued in the same transaction, then delivered).
import { fail } from '../domain/record.js';
import { PatientNotFoundError } from '../shared/errors.js';
import type { Deps } from '../shared/runtime.js';
import { ctxOf, mutatePatient } from './mutate.js';
import { deliverOutbox } from './outbox.js';

export interface FailureInput {
  readonly patientId: string;
  readonly error: { readonly Error?: string; readonly Cause?: string } | null;
}

export async function recordFailure(deps: Deps, input: FailureInput): Promise<{ recorded: true }> {
  const error = { name: String(input.error?.Error ?? 'Unknown').slice(0, 100), cause: String(input.error?.Cause ?? '').slice(0, 300) };
  await mutatePatient(deps, input.patientId, (p) => {
    if (!p) throw new PatientNotFoundError(input.patientId);
    return { change: fail(ctxOf(deps), p, error), result: null };
  });
  await deliverOutbox(deps, input.patientId);
  return { recorded: true };
}
