// Who a case waits on, from the pathway definition: the team and its site (neuroradiology at the
// patient's referral site, neurointerventional radiology, neurosurgery, the coordinators, the
// referring doctor), and whether the signed-in user is among those who may decide it.
import type { DecisionStage, Role } from '../../functions/domain/vocabulary.js';
import type { Awaiting, AwaitingTeam, PatientListItem, TimelineEvent } from './api-types.js';
import { label } from './labels.js';
import type { Session } from './session.js';

export interface WaitingOn {
  readonly stage: DecisionStage;
  readonly role: Role;
  readonly team: AwaitingTeam;
  readonly site: string | null;
}

// until awaiting.team arrives: the acting team of each stage, and where the treating teams sit.
const TEAM_OF_STAGE: Record<DecisionStage, AwaitingTeam> = {
  TRIAGE: 'neuroradiology',
  IMAGING_SELECTION: 'neuroradiology',
  MYELOGRAPHY: 'neuroradiology',
  TREATMENT_PLANNING: 'neuroradiology',
  TARGETED_PATCH: 'neurointerventional',
  NEUROSURGICAL_ESCALATION: 'neurosurgery',
  FOLLOW_UP: 'coordinators',
};
// until awaiting.team arrives
const SITE_OF_TEAM: Partial<Record<AwaitingTeam, string>> = { neurointerventional: 'sacramento', neurosurgery: 'redwood-city' };

const PHYSICIAN_TEAMS: readonly AwaitingTeam[] = ['neuroradiology', 'neurointerventional', 'neurosurgery'];

/**
 * The team a case waits on: the API's `awaiting.team` and `site` when it sends them, else derived
 * from the stage. `lastTriageOutcome` (from the timeline) tells a triage waiting on the referring
 * doctor's information apart, which the list cannot know without the API's field.
 */
export function waitingOn(item: { readonly awaiting: Awaiting | null; readonly site: string; readonly status: string }, lastTriageOutcome?: string): WaitingOn | null {
  const a = item.awaiting;
  if (!a || (item.status !== 'active' && item.status !== 'on_hold')) return null;
  const derived: AwaitingTeam = a.stage === 'TRIAGE' && lastTriageOutcome === 'request_info' ? 'referrer' : TEAM_OF_STAGE[a.stage];
  const team = a.team ?? derived;
  const site = a.site !== undefined ? a.site : team === 'neuroradiology' ? item.site : (SITE_OF_TEAM[team] ?? null);
  return { stage: a.stage, role: a.role, team, site };
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
export function mayDecide(session: Session, w: WaitingOn): boolean {
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
export function isWaitingOnMe(session: Session, w: WaitingOn): boolean {
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
