// The closing task: the record closed the pathway (discharged, completed, lost to follow-up,
// withdrawn) in the transaction that decided it; announce it and let the execution end.
import { isTerminal } from '../domain/record.js';
import { CorruptRecordError, PatientNotFoundError } from '../shared/errors.js';
import type { Deps } from '../shared/runtime.js';
import { deliverOutbox } from './outbox.js';

export async function closePathway(deps: Deps, input: { patientId: string; status: string }): Promise<{ closed: string }> {
  const p = await deps.store.getPatient(input.patientId);
  if (!p) throw new PatientNotFoundError(input.patientId);
  // A withdrawal may overtake a closing decision; any closed status is a closed pathway.
  if (!isTerminal(p.status)) throw new CorruptRecordError(`the execution closed the pathway as ${input.status}; the record is ${p.status}`);
  await deliverOutbox(deps, p, (cur) => ({ ...cur, taskToken: null, decidedAt: null, decisionOutput: null }));
  return { closed: p.status };
}
