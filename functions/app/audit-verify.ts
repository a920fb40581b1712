// GET /audit/verify?patientId=: the administrators' check of a patient's audit chain (which events
// verify, and where the chain breaks), over the audit items as stored, hash and link included.
import * as z from 'zod';
import { verifyAuditChain } from '../domain/audit-chain.js';
import { notFound } from '../shared/errors.js';
import { PATIENT_ID_PATTERN, parse, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import type { Deps } from '../shared/runtime.js';

const querySchema = z.object({ patientId: z.string().regex(PATIENT_ID_PATTERN, 'must be a patient id') });

export async function verifyPatientAudit(deps: Pick<Deps, 'store'>, caller: Caller, query: Record<string, string>): Promise<HttpResult> {
  requireRole(caller, ['administrator'], 'verify the audit trail');
  const { patientId } = parse(querySchema, query, 'query');
  const items = await deps.store.auditItems(patientId);
  if (items.length === 0) throw notFound('No audit trail for this patient.');
  return { status: 200, body: { patientId, ...verifyAuditChain(items) } };
}
