// Ownership of cases and assignment of pending decisions, follow-up dates, the "my work" lists
// and bulk actions. Each patient's change is one transaction with its audit event; nothing here
// touches the patient record (holds go through the pathway's own hold service).
import { belongsTo, decidingGroupOf, findMember, groupsOf, type Member } from '../domain/directory.js';
import { assigneeSchema, bulkSchema, dateIn, followUpSchema, ownerSchema, type BulkRequest } from '../domain/team-work.js';
import { decisionStageIds } from '../domain/pathway.js';
import { TERMINAL_STATUSES, type Role } from '../domain/vocabulary.js';
import { ApiError, conflict, validationError } from '../shared/errors.js';
import { parse, PATIENT_ID_PATTERN, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import type { Deps } from '../shared/runtime.js';
import type { CaseSummary, TeamStore, WorkRecord } from '../store/team-store.js';
import { actorOf } from './actor.js';
import { holdPatient } from './patient-actions.js';
import {
  caseOf,
  currentAssignee,
  describeGroup,
  groupOfPending,
  memberOf,
  mutateWork,
  pendingKeyOf,
  personOf,
  requireClinician,
} from './team-common.js';
import { teamDepsOf, type TeamDeps } from './team-runtime.js';

const isOpen = (s: CaseSummary) => !TERMINAL_STATUSES.includes(s.status);

// ---------------------------------------------------------------- ownership
async function applyOwner(deps: TeamDeps, caller: Caller, role: Role, patientId: string, email: string | null): Promise<HttpResult> {
  const p = await caseOf(deps, patientId);
  if (TERMINAL_STATUSES.includes(p.status)) throw conflict(`The pathway is ${p.status}; its owner can no longer change.`);
  let owner: Member | undefined;
  if (email) {
    owner = findMember(await deps.directory.members(), email);
    if (!owner || owner.role !== 'coordinator') throw validationError('The owner is invalid.', [{ path: 'coordinator', message: 'must be a coordinator in the clinician directory' }]);
  }
  const now = deps.clock.now().toISOString();
  const result = await mutateWork(deps, patientId, (work) => {
    const from = work.owner?.email ?? null;
    const to = owner?.email ?? null;
    if ((from ?? '').toLowerCase() === (to ?? '').toLowerCase()) return { next: null, result: work.owner };
    const next: WorkRecord = { ...work, owner: owner ? { ...personOf(owner), since: now } : null };
    return {
      next,
      events: [{ action: 'owner_changed', patientId, stage: p.stage, actor: actorOf(caller, role), details: { from, to } }],
      result: next.owner,
    };
  });
  return { status: 200, body: { patientId, owner: result } };
}

export async function setOwner(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator'], 'change who owns a case');
  const req = parse(ownerSchema, body, 'owner');
  return applyOwner(await teamDepsOf(deps), caller, role, patientId, req.coordinator);
}

// ---------------------------------------------------------------- assignment of the pending decision
async function applyAssignee(deps: TeamDeps, caller: Caller, role: Role, patientId: string, email: string | null, pendingDecisionId?: string): Promise<HttpResult> {
  const p = await caseOf(deps, patientId);
  const key = pendingKeyOf(p);
  const group = groupOfPending(deps, p);
  if (!key || !group || p.status !== 'active') throw conflict('The patient is not waiting on a decision that can be assigned.');
  if (pendingDecisionId && pendingDecisionId !== key) throw conflict('The pending decision has changed since you loaded it.');
  let assignee: Member | undefined;
  if (email) {
    const member = findMember(await deps.directory.members(), email);
    if (!member || !belongsTo(member, group)) {
      throw validationError('The assignee is invalid.', [{ path: 'clinician', message: `must be in the deciding team (${describeGroup(group)})` }]);
    }
    assignee = member;
  }
  const now = deps.clock.now().toISOString();
  const stage = p.pendingDecision?.stage ?? null;
  const result = await mutateWork(deps, patientId, (work) => {
    const current = currentAssignee(work, p);
    const from = current?.email ?? null;
    const to = assignee?.email ?? null;
    if ((from ?? '').toLowerCase() === (to ?? '').toLowerCase()) return { next: null, result: current };
    const next: WorkRecord = {
      ...work,
      assignee: assignee && stage ? { ...personOf(assignee), stage, pendingKey: key, since: now } : null,
    };
    return {
      next,
      events: [{ action: 'assignee_changed', patientId, stage: p.stage, actor: actorOf(caller, role), details: { from, to, pendingDecisionId: key } }],
      result: next.assignee,
    };
  });
  return { status: 200, body: { patientId, pendingDecisionId: key, assignee: result } };
}

export async function setAssignee(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireClinician(caller, 'assign decisions');
  const req = parse(assigneeSchema, body, 'assignment');
  return applyAssignee(await teamDepsOf(deps), caller, role, patientId, req.clinician, req.pendingDecisionId);
}

/** Claim: a coordinator takes the case, a physician takes the pending decision. */
export async function claim(deps: Deps, caller: Caller, patientId: string): Promise<HttpResult> {
  const role = requireClinician(caller, 'claim work');
  const t = await teamDepsOf(deps);
  if (role === 'coordinator') return applyOwner(t, caller, role, patientId, caller.email);
  return applyAssignee(t, caller, role, patientId, caller.email);
}

// ---------------------------------------------------------------- follow-up date
export async function setFollowUp(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireClinician(caller, 'set follow-up dates');
  const req = parse(followUpSchema, body, 'follow-up');
  const t = await teamDepsOf(deps);
  const p = await caseOf(t, patientId);
  const result = await mutateWork(t, patientId, (work) => {
    const next: WorkRecord = { ...work, followUp: req.on ? { on: req.on, ...(req.reason ? { reason: req.reason } : {}), setBy: caller.email } : null };
    // The reason is free text (often about the patient): it stays in the work record, not the audit.
    return { next, events: [{ action: 'follow_up_set', patientId, stage: p.stage, actor: actorOf(caller, role), details: { on: req.on } }], result: next.followUp };
  });
  return { status: 200, body: { patientId, followUp: result } };
}

// ---------------------------------------------------------------- what a case's work looks like now
export function workView(work: WorkRecord | undefined, p: Parameters<typeof currentAssignee>[1]) {
  return {
    owner: work?.owner ?? null,
    assignee: currentAssignee(work, p),
    followUp: work?.followUp ?? null,
    pendingDecisionId: pendingKeyOf(p),
  };
}

// ---------------------------------------------------------------- my work
const row = (s: CaseSummary, work: WorkRecord | undefined, now: string) => ({
  patientId: s.patientId,
  caseRef: s.caseRef,
  stage: s.stage,
  status: s.status,
  site: s.site,
  dueAt: s.dueAt,
  overdue: s.status === 'active' && s.dueAt !== null && s.dueAt < now,
  awaiting: pendingKeyOf(s) && s.pendingDecision ? s.pendingDecision.stage : null,
  owner: work?.owner ? personOf(work.owner) : null,
  assignee: currentAssignee(work, s) ? personOf(currentAssignee(work, s) as NonNullable<WorkRecord['assignee']>) : null,
  followUpOn: work?.followUp?.on ?? null,
});

/** Pending decisions of the caller's team(s) with nobody assigned (worklist-index Queries, never a Scan). */
async function teamUnassigned(t: TeamDeps, me: Member, now: string, limit: number) {
  const groups = groupsOf(me);
  if (!groups.length) return [];
  const candidates: CaseSummary[] = [];
  for (const stage of decisionStageIds(t.pathway)) {
    const page = await t.store.listWorklist({ stages: [stage], statuses: ['active'], limit: 200 });
    for (const s of page.items) {
      if (groups.some((g) => { const d = decidingGroupOf(t.pathway, stage, s.site, t.config); return d.role === g.role && d.team === g.team && (g.site === null || d.site === g.site); })) candidates.push(s as unknown as CaseSummary);
    }
  }
  const ids = candidates.map((c) => c.patientId);
  const [summaries, works] = await Promise.all([t.team.summariesOf(ids), t.team.workOf(ids)]);
  const out = [];
  for (const id of ids) {
    const s = summaries.get(id);
    if (!s || s.status !== 'active' || !pendingKeyOf(s)) continue;
    if (currentAssignee(works.get(id), s)) continue;
    out.push(row(s, works.get(id), now));
    if (out.length >= limit) break;
  }
  return out.sort((a, b) => (a.dueAt ?? '~').localeCompare(b.dueAt ?? '~'));
}

export async function myWork(deps: Deps, caller: Caller): Promise<HttpResult> {
  const role = requireClinician(caller, 'see their work');
  const t = await teamDepsOf(deps);
  const me = await memberOf(t, caller, role);
  const now = t.clock.now();
  const nowIso = now.toISOString();
  const today = dateIn(t.teamConfig.timeZone, now);
  const [owned, assigned] = await Promise.all([t.team.listOwned(caller.email), t.team.listAssigned(caller.email)]);
  const ids = [...new Set([...owned, ...assigned].map((l) => l.patientId))];
  const [summaries, works] = await Promise.all([t.team.summariesOf(ids), t.team.workOf(ids)]);
  const ownedRows = owned
    .map((l) => summaries.get(l.patientId))
    .filter((s): s is CaseSummary => !!s && isOpen(s) && (works.get(s.patientId)?.owner?.email ?? '').toLowerCase() === caller.email.toLowerCase())
    .map((s) => row(s, works.get(s.patientId), nowIso));
  const assignedRows = assigned
    .map((l) => summaries.get(l.patientId))
    .filter((s): s is CaseSummary => {
      if (!s || s.status !== 'active') return false;
      const a = currentAssignee(works.get(s.patientId), s);
      return !!a && a.email.toLowerCase() === caller.email.toLowerCase();
    })
    .map((s) => row(s, works.get(s.patientId), nowIso));
  const followUps = ownedRows.filter((r) => r.followUpOn !== null && r.followUpOn <= today);
  return {
    status: 200,
    body: {
      me: { email: me.email, name: me.name, role, team: me.team ?? null, site: me.site ?? null },
      today,
      timeZone: t.teamConfig.timeZone,
      owned: ownedRows,
      assigned: assignedRows,
      followUpsDue: followUps,
      teamUnassigned: await teamUnassigned(t, me, nowIso, 100),
    },
  };
}

/** The clinician directory, for pickers (no patient data). */
export async function listDirectory(deps: Deps, caller: Caller): Promise<HttpResult> {
  requireClinician(caller, 'read the clinician directory');
  const t = await teamDepsOf(deps);
  const members = await t.directory.members();
  return { status: 200, body: { items: members.map((m) => ({ email: m.email, name: m.name, role: m.role, team: m.team ?? null, site: m.site ?? null })) } };
}

/** Who may take the pending decision of a patient (for the assignee picker). */
export async function candidatesFor(t: TeamDeps, p: Parameters<typeof groupOfPending>[1]): Promise<{ email: string; name: string }[]> {
  const group = groupOfPending(t, p);
  if (!group) return [];
  return (await t.directory.members()).filter((m) => belongsTo(m, group)).map(personOf);
}

// ---------------------------------------------------------------- bulk actions
interface BulkOutcome {
  readonly patientId: string;
  readonly ok: boolean;
  readonly status: number;
  readonly code?: string;
  readonly message?: string;
}

export async function runBulk(deps: Deps, caller: Caller, body: unknown): Promise<HttpResult> {
  const role = requireRole(caller, ['coordinator'], 'run bulk actions');
  const req: BulkRequest = parse(bulkSchema, body, 'bulk action');
  const t = await teamDepsOf(deps);
  // Validate the target once, so a wrong name is one 400 rather than a hundred failures.
  if (req.action === 'reassign_owner' && req.coordinator) {
    const m = findMember(await t.directory.members(), req.coordinator);
    if (!m || m.role !== 'coordinator') throw validationError('The owner is invalid.', [{ path: 'coordinator', message: 'must be a coordinator in the clinician directory' }]);
  }
  const results: BulkOutcome[] = [];
  for (const patientId of [...new Set(req.patientIds)]) {
    try {
      if (!PATIENT_ID_PATTERN.test(patientId)) throw new ApiError(404, 'NotFound', 'No such patient.');
      let res: HttpResult;
      if (req.action === 'reassign_owner') res = await applyOwner(t, caller, role, patientId, req.coordinator);
      else if (req.action === 'assign') res = await applyAssignee(t, caller, role, patientId, req.clinician);
      else res = await holdPatient(t, caller, patientId, { reason: req.reason, ...(req.note ? { note: req.note } : {}) });
      results.push({ patientId, ok: true, status: res.status });
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      results.push({ patientId, ok: false, status: err.status, code: err.code, message: err.issues?.[0] ? `${err.message} ${err.issues[0].path} ${err.issues[0].message}` : err.message });
    }
  }
  return { status: 200, body: { action: req.action, succeeded: results.filter((r) => r.ok).length, failed: results.filter((r) => !r.ok).length, results } };
}

/**
 * Notification routing (functions/app/outbox.ts `toAssignee`): the assignee of the decision
 * `pendingDecisionId` pending at `stage`, so its emails go to them rather than the whole team.
 * Null: nobody is assigned (or the assignment lapsed), send to the team as configured.
 */
export async function recipientsOverride(store: Pick<TeamStore, 'getWork'>, patientId: string, stage: string, pendingDecisionId: string): Promise<string[] | null> {
  const a = (await store.getWork(patientId))?.assignee;
  if (!a || a.stage !== stage || a.pendingKey !== pendingDecisionId) return null;
  return [a.email];
}
