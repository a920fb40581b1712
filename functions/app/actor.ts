import type { Role } from '../domain/vocabulary.js';
import type { Caller } from '../shared/http.js';
import type { AuditActor } from '../store/pathway-store.js';

/** Who did it, as the audit trail records it. */
export function actorOf(caller: Caller, role: Role): AuditActor {
  return { sub: caller.sub, email: caller.email, role };
}

export { recommendationFor } from '../domain/decision-checks.js';
