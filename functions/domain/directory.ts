// The clinician directory: who works on the program, in which role, specialty team and site.
// Ownership and assignment read it to refuse someone outside the deciding team. Locally it is
// configuration (synthetic people at example.org, TEAM_CONFIG can replace them); in AWS the same
// port is answered from the Cognito user pool's groups and custom:team / custom:site attributes.
import type { PathwayConfig } from './config.js';
import { stageOf, type PathwayDefinition } from './pathway.js';

export const CLINICAL_TEAMS = ['neuroradiology', 'neurointerventional', 'neurosurgery'] as const;
export type ClinicalTeam = (typeof CLINICAL_TEAMS)[number];

export interface Member {
  readonly email: string;
  readonly name: string;
  readonly role: 'coordinator' | 'physician';
  /** Physicians only: their specialty team. */
  readonly team?: ClinicalTeam;
  /** Where they work (a neuroradiology site, or the treating team's site). */
  readonly site?: string;
  /** Set when the directory knows the sign-in subject (Cognito); locally people match by email. */
  readonly sub?: string;
}

/** The people who may take a pending decision: a role, and for physicians a team at a site. */
export interface DecidingGroup {
  readonly role: 'coordinator' | 'physician';
  readonly team: ClinicalTeam | null;
  readonly site: string | null;
}

export interface ClinicianDirectory {
  members(): Promise<readonly Member[]>;
}

/** Synthetic default directory: two people per team and site, two coordinators. */
export const DEFAULT_DIRECTORY: readonly Member[] = [
  { email: 'coordinator@example.org', name: 'Casey Coordinator', role: 'coordinator' },
  { email: 'coordinator.two@example.org', name: 'Dana Desk', role: 'coordinator' },
  { email: 'coordinator.three@example.org', name: 'Eli Scheduler', role: 'coordinator' },
  { email: 'nr1.santa-clara@example.org', name: 'Dr. Ada Axial', role: 'physician', team: 'neuroradiology', site: 'santa-clara' },
  { email: 'nr2.santa-clara@example.org', name: 'Dr. Ben Bolus', role: 'physician', team: 'neuroradiology', site: 'santa-clara' },
  { email: 'nr1.roseville-sacramento@example.org', name: 'Dr. Cora Coronal', role: 'physician', team: 'neuroradiology', site: 'roseville-sacramento' },
  { email: 'nr2.roseville-sacramento@example.org', name: 'Dr. Dev Delayed', role: 'physician', team: 'neuroradiology', site: 'roseville-sacramento' },
  { email: 'nir1.sacramento@example.org', name: 'Dr. Erin Embolize', role: 'physician', team: 'neurointerventional', site: 'sacramento' },
  { email: 'nir2.sacramento@example.org', name: 'Dr. Finn Fibrin', role: 'physician', team: 'neurointerventional', site: 'sacramento' },
  { email: 'ns1.redwood-city@example.org', name: 'Dr. Gil Graft', role: 'physician', team: 'neurosurgery', site: 'redwood-city' },
  { email: 'ns2.redwood-city@example.org', name: 'Dr. Hana Hemilam', role: 'physician', team: 'neurosurgery', site: 'redwood-city' },
];

/** Who decides a stage for a patient referred to `site`: the stage's team in the pathway definition. */
export function decidingGroupOf(def: PathwayDefinition, stage: string, site: string, config: PathwayConfig): DecidingGroup {
  const team = stageOf(def, stage).team;
  switch (team) {
    case 'neuroradiology':
      return { role: 'physician', team, site };
    case 'neurointerventional':
      return { role: 'physician', team, site: config.teamDirectory.neurointerventional.site };
    case 'neurosurgery':
      return { role: 'physician', team, site: config.teamDirectory.neurosurgery.site };
    default:
      // Follow-up check-ins are the coordinators' (physicians may record them too).
      return { role: 'coordinator', team: null, site: null };
  }
}

export function belongsTo(member: Member, group: DecidingGroup): boolean {
  if (member.role !== group.role) return false;
  if (group.team && member.team !== group.team) return false;
  if (group.site && member.site !== group.site) return false;
  return true;
}

export const sameEmail = (a: string, b: string): boolean => a.trim().toLowerCase() === b.trim().toLowerCase();

export function findMember(members: readonly Member[], email: string): Member | undefined {
  return members.find((m) => sameEmail(m.email, email));
}

/** The groups a signed-in clinician answers for (their "team's unassigned" list). */
export function groupsOf(member: Member): DecidingGroup[] {
  if (member.role === 'coordinator') return [{ role: 'coordinator', team: null, site: null }];
  if (!member.team) return [];
  return [{ role: 'physician', team: member.team, site: member.site ?? null }];
}

export class ConfiguredDirectory implements ClinicianDirectory {
  constructor(private readonly people: readonly Member[]) {}
  async members(): Promise<readonly Member[]> {
    return this.people;
  }
}
