// Who a case waits on, from the pathway definition: the team and its site (neuroradiology at the
// patient's referral site, neurointerventional radiology, neurosurgery, the coordinators, the
// referring doctor), and whether the signed-in user is among those who may decide it.
import { DEFAULT_CONFIG } from '../../functions/domain/config.js';
import { awaitingFor, CARE_PATHWAY } from '../../functions/domain/pathway.js';
import type { Role } from '../../functions/domain/vocabulary.js';
import type { Awaiting, AwaitingTeam, PatientListItem, TimelineEvent } from './api-types.js';
import { label } from './labels.js';

/** The part of the session that decides what a user may decide (see session.ts). */
export interface Decider {
  readonly role: Role;
  readonly site?: string;
  readonly team?: 'neuroradiology' | 'neurointerventional' | 'neurosurgery';
}

export interface WaitingOn {
  readonly stage: string;
  readonly role: Role;
  readonly team: AwaitingTeam;
  readonly site: string | null;
}

const PHYSICIAN_TEAMS: readonly AwaitingTeam[] = ['neuroradiology', 'neurointerventional', 'neurosurgery'];

/**
 * The team a case waits on: the API's `awaiting.team` and `site`. A record written before
 * `awaiting` named its team gets them from the pathway definition, as the API would;
 * `lastTriageOutcome` (from the timeline) tells a triage waiting on the referring doctor apart.
 */
export function waitingOn(item: { readonly awaiting: Awaiting | null; readonly site: string; readonly status: string }, lastTriageOutcome?: string): WaitingOn | null {
  const a = item.awaiting;
  if (!a || (item.status !== 'active' && item.status !== 'on_hold')) return null;
  if (a.team && a.site !== undefined) return { stage: a.stage, role: a.role, team: a.team, site: a.site };
  const cause = a.stage === 'TRIAGE' && lastTriageOutcome ? { stage: a.stage, outcome: lastTriageOutcome } : null;
  const derived = awaitingFor(CARE_PATHWAY, DEFAULT_CONFIG, a.stage, item.site, cause);
  // No stage waits on the administrators; the definition's team list is wider than the board's.
  const team = a.team ?? (derived.team === 'administrators' ? 'coordinators' : derived.team);
  return { stage: a.stage, role: a.role, team, site: a.site !== undefined ? a.site : derived.site };
}

const TEAM_LABEL: Record<AwaitingTeam, string> = {
  neuroradiology: 'Neuroradiology',
  neurointerventional: 'Neurointerventional radiology',
  neurosurgery: 'Neurosurgery',
  coordinators: 'Coordinators',
  referrer: 'Referring doctor',
};

/** "Neuroradiology, Santa Clara", "Coordinators", "Referring doctor". */
export function waitingOnText(w: WaitingOn): string {
  return w.site && w.team !== 'coordinators' && w.team !== 'referrer' ? `${TEAM_LABEL[w.team]}, ${label(w.site)}` : TEAM_LABEL[w.team];
}

/**
 * Whether the signed-in user may record this decision: a coordinator the coordinators' check-ins;
 * a physician the stages of their team, and for neuroradiology those of their site. A physician
 * whose token names no team or site is a program physician and may decide every clinical stage.
 */
export function mayDecide(session: Decider, w: WaitingOn): boolean {
  if (w.team === 'coordinators') return session.role === 'coordinator' || session.role === 'physician';
  if (session.role !== 'physician') return false;
  // A triage waiting on the referring doctor is still decided by the site's neuroradiologists.
  const team = w.team === 'referrer' ? 'neuroradiology' : w.team;
  if (!PHYSICIAN_TEAMS.includes(team)) return false;
  if (session.team && session.team !== team) return false;
  if (team === 'neuroradiology' && session.site && session.team === 'neuroradiology' && w.site && session.site !== w.site) return false;
  return true;
}

/** "Waiting on me": cases whose next move is the user's (not those waiting on a referring doctor). */
export function isWaitingOnMe(session: Decider, w: WaitingOn): boolean {
  if (w.team === 'referrer') return false;
  if (w.team === 'coordinators') return session.role === 'coordinator';
  return mayDecide(session, w);
}

/** The outcome of the latest triage decision in a timeline (oldest first, as the API sends it). */
export function lastTriageOutcome(timeline: readonly TimelineEvent[]): string | undefined {
  for (let i = timeline.length - 1; i >= 0; i--) {
    const e = timeline[i];
    if (e?.action === 'decision_recorded' && e.stage === 'TRIAGE') return typeof e.details?.outcome === 'string' ? e.details.outcome : undefined;
  }
  return undefined;
}

/** Priority order: overdue first, then urgent, then the nearest due date, then the case reference. */
export function byPriority(a: PatientListItem, b: PatientListItem): number {
  return (
    Number(b.overdue) - Number(a.overdue) ||
    Number(b.urgency === 'urgent') - Number(a.urgency === 'urgent') ||
    (a.dueAt ?? '9999').localeCompare(b.dueAt ?? '9999') ||
    a.caseRef.localeCompare(b.caseRef)
  );
}
