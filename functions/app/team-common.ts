// Shared pieces of the team-work services: the case being worked on, who the caller is in the
// directory, the pending decision's key, and read-modify-write of the work record.
import { belongsTo, decidingGroupOf, findMember, CLINICAL_TEAMS, type ClinicalTeam, type DecidingGroup, type Member } from '../domain/directory.js';
import type { Role } from '../domain/vocabulary.js';
import { ConcurrentUpdateError, notFound } from '../shared/errors.js';
import { requirePatientId, requireRole, type Caller } from '../shared/http.js';
import type { PatientRecord } from '../store/pathway-store.js';
import type { Person, TeamAuditEventInput, WorkRecord } from '../store/team-store.js';
import type { TeamDeps } from './team-runtime.js';

export const CLINICIAN_ROLES: readonly Role[] = ['coordinator', 'physician'];

/** A program clinician's role, or 403 (referrers and administrators see no team work). */
export const requireClinician = (caller: Caller, action: string): Role => requireRole(caller, CLINICIAN_ROLES, action);

export async function caseOf(deps: TeamDeps, patientId: string): Promise<PatientRecord> {
  requirePatientId(patientId);
  const p = await deps.store.getPatient(patientId);
  if (!p) throw notFound('No such patient.');
  return p;
}

/** The key of the decision the patient waits on: the engine's `pendingDecision.id`, new on every await. */
export function pendingKeyOf(p: Pick<PatientRecord, 'pendingDecision' | 'decidedAt'>): string | null {
  return p.pendingDecision && !p.decidedAt ? p.pendingDecision.id : null;
}

/** The assignee of the decision pending now; an assignment of an earlier decision has lapsed. */
export function currentAssignee(work: WorkRecord | undefined, p: Pick<PatientRecord, 'pendingDecision' | 'decidedAt'>): WorkRecord['assignee'] {
  const key = pendingKeyOf(p);
  return work?.assignee && key && work.assignee.pendingKey === key ? work.assignee : null;
}

/** The caller as the directory knows them; the token's custom:team / custom:site win when present. */
export async function memberOf(deps: TeamDeps, caller: Caller, role: Role): Promise<Member> {
  const found = findMember(await deps.directory.members(), caller.email);
  const team = caller.team && (CLINICAL_TEAMS as readonly string[]).includes(caller.team) ? (caller.team as ClinicalTeam) : found?.team;
  const site = caller.site ?? found?.site;
  return {
    email: caller.email,
    name: found?.name ?? caller.email,
    role: role === 'coordinator' ? 'coordinator' : 'physician',
    ...(team ? { team } : {}),
    ...(site ? { site } : {}),
    sub: caller.sub,
  };
}

export const personOf = (m: Pick<Member, 'email' | 'name'>): Person => ({ email: m.email, name: m.name });

export function groupOfPending(deps: TeamDeps, p: PatientRecord): DecidingGroup | null {
  return p.pendingDecision ? decidingGroupOf(deps.pathway, p.pendingDecision.stage, p.site, deps.config) : null;
}

export const describeGroup = (g: DecidingGroup): string => (g.team ? `${g.team}${g.site ? ` at ${g.site}` : ''}` : 'the coordinators');

export { belongsTo };

export const emptyWork = (patientId: string, at: string): WorkRecord => ({ patientId, rev: 0, owner: null, assignee: null, followUp: null, updatedAt: at });

/**
 * Read-modify-write of a patient's work record, retried when a concurrent writer wins. The
 * change sees the current record (or an empty one) and returns the next with its audit events,
 * or null for "nothing to change".
 */
export async function mutateWork<R>(
  deps: TeamDeps,
  patientId: string,
  change: (work: WorkRecord) => { next: WorkRecord; events: TeamAuditEventInput[]; result: R } | { next: null; result: R },
  attempts = 6,
): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    const stored = await deps.team.getWork(patientId);
    const now = deps.clock.now().toISOString();
    const out = change(stored ?? emptyWork(patientId, now));
    if (!out.next) return out.result;
    try {
      await deps.team.saveWork({ ...out.next, rev: (stored?.rev ?? 0) + 1, updatedAt: now }, stored, out.events);
      return out.result;
    } catch (err) {
      if (!(err instanceof ConcurrentUpdateError) || attempt >= attempts) throw err;
      await new Promise((r) => setTimeout(r, Math.random() * 20 * attempt));
    }
  }
}
