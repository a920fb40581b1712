// THE CARE PATHWAY, top to bottom: every stage, who decides it, where each outcome leads, who is
// told and what they are asked to do, its service level and its decision schema. Everything that
// varies by stage is a field here; the state machine (scripts/gen-asl.ts), routing, emails, the
// overdue sweep, the worklist and the dashboard's decision forms are derived from it. Adding a
// stage means adding an entry below (and its schema); nothing else names a stage.
// Sources: ../shared/CONTRACT.md ("Decisions by stage", "Where each outcome leads") and
// domain/csf-leak-pathway.md (R1-R12). Pure data and pure functions: no AWS, no I/O.
import type * as z from 'zod';
import type { PathwayConfig } from './config.js';
import { FUNNEL, type CounterDraft } from './counters.js';
import type { ClinicalHistory, DecisionFacts } from './history.js';
import { decisionSchemas } from './schemas.js';
import type { DecisionStage, Role, Status, TeamRole } from './vocabulary.js';

export type ClosingStatus = Exclude<Status, 'active' | 'on_hold' | 'failed'>;
export type Destination = { readonly stage: string } | { readonly status: ClosingStatus };

/** One route out of a stage: the first route whose outcomes and fact both match is taken. */
export interface Route {
  /** Outcomes this route takes; absent: any outcome (then `fact` must be given). */
  readonly outcomes?: readonly string[];
  /** A fact computed by applyDecision (history.ts) that must be true for this route. */
  readonly fact?: keyof DecisionFacts;
  readonly to: Destination;
  /** Why, for the reader (the clinical rule). */
  readonly note?: string;
}

export interface Outcome {
  readonly label: string;
  /** Body fields this outcome requires (the schema enforces them; the dashboard marks them). */
  readonly requires?: readonly string[];
}

/** Who the team that must act is, and who the case waits on. */
export type WaitingTeam = TeamRole | 'referrer';

export interface StageDefinition {
  readonly id: string;
  readonly label: string;
  /** PascalCase name for the state machine's states (EnterTriage, RouteTriageDecision). */
  readonly stateName: string;
  readonly outcomes: Readonly<Record<string, Outcome>>;
  /** Roles that may record the decision. Physicians can be narrowed to teams by configuration (deciderTeams). */
  readonly deciders: readonly Role[];
  readonly routes: readonly Route[];
  /** The team told when the stage opens, and the action its email asks for. */
  readonly team: TeamRole;
  readonly action: string;
  /** Others told when the stage opens (besides the team), with their own action. */
  readonly alsoTell?: readonly { readonly audience: 'coordinators'; readonly action: string }[];
  /** The referring physician's milestone message when the stage opens after `after` (a stage or an outcome). */
  readonly referrerMilestones?: readonly { readonly afterStage?: string; readonly afterOutcome?: string; readonly message: string; readonly withDueDate?: boolean }[];
  /** Days allowed before the decision is overdue (configurable: serviceLevelDays), or the R9 visit schedule. */
  readonly serviceLevel: { readonly days: number } | { readonly followUpSchedule: true };
  readonly schema: z.ZodType;
  /** Who the case waits on while the decision is pending, when it is not the team told (request_info: the referrer). */
  readonly waitsOn?: (cause: { readonly stage?: string; readonly outcome?: string } | null) => WaitingTeam | undefined;
  /** Whether the stage has an evidence-based recommendation (recommendations.ts). */
  readonly recommends: boolean;
  /** Whether a decision departs from the recommendation (audited as overridesRecommendation). */
  readonly overridesRecommendation?: (decision: DecisionBody, recommended: string) => boolean;
  /** Throughput counters a decision of this stage adds (funnel, yield, outcomes). */
  readonly counters?: (decision: DecisionBody, history: ClinicalHistory) => CounterDraft[];
}

/** A validated decision body as the definition sees it (the stage's schema gave its shape). */
export interface DecisionBody {
  readonly stage: string;
  readonly outcome: string;
  readonly [field: string]: unknown;
}

export interface PathwayDefinition {
  readonly name: string;
  /** The stage the intake opens once the referral is recorded. */
  readonly firstStage: string;
  /** The intake's stage (recorded by the referral itself, never decided). */
  readonly intakeStage: { readonly id: string; readonly label: string };
  readonly stages: readonly StageDefinition[];
}

const IMAGING_SELECTION = 'IMAGING_SELECTION';
const TREATMENT_PLANNING = 'TREATMENT_PLANNING';
const FOLLOW_UP = 'FOLLOW_UP';

export const CARE_PATHWAY: PathwayDefinition = {
  name: 'CSF leak care pathway',
  intakeStage: { id: 'REFERRAL', label: 'Referral' },
  firstStage: 'TRIAGE',
  stages: [
    {
      id: 'TRIAGE',
      label: 'Triage',
      stateName: 'Triage',
      outcomes: {
        accept: { label: 'Accept', requires: ['brainMri', 'spineMri', 'ichd3'] },
        decline: { label: 'Decline', requires: ['reason'] },
        request_info: { label: 'Request more information', requires: ['reason'] },
      },
      deciders: ['physician'],
      routes: [
        { outcomes: ['accept'], to: { stage: IMAGING_SELECTION } },
        { outcomes: ['decline'], to: { status: 'discharged' } },
        { outcomes: ['request_info'], to: { stage: 'TRIAGE' }, note: 'triage again; the referring physician is asked' },
      ],
      team: 'neuroradiology',
      action: 'Review the referral and the brain and spine MRI, then record the triage decision.',
      referrerMilestones: [
        {
          afterOutcome: 'request_info',
          withDueDate: true,
          message: 'The triage team needs more information to decide on your referral. Please reply with the requested records; the team will contact you.',
        },
      ],
      serviceLevel: { days: 7 },
      schema: decisionSchemas.TRIAGE,
      recommends: true,
      overridesRecommendation: (d, recommended) => d.outcome !== recommended,
      counters: (d) => (d.outcome === 'accept' ? [{ item: { kind: 'funnel' }, add: { [FUNNEL.accepted]: 1 } }] : []),
      waitsOn: (cause) => (cause?.outcome === 'request_info' ? 'referrer' : undefined),
    },
    {
      id: IMAGING_SELECTION,
      label: 'Imaging selection',
      stateName: 'ImagingSelection',
      outcomes: {
        confirm: { label: 'Confirm the recommended technique', requires: ['technique'] },
        override: { label: 'Choose another technique', requires: ['technique', 'reason'] },
      },
      deciders: ['physician'],
      routes: [{ outcomes: ['confirm', 'override'], to: { stage: 'MYELOGRAPHY' } }],
      team: 'neuroradiology',
      action: 'Confirm or override the recommended myelography technique.',
      referrerMilestones: [{ afterStage: 'TRIAGE', message: 'Your referral has been accepted; imaging is being planned.' }],
      serviceLevel: { days: 3 },
      schema: decisionSchemas.IMAGING_SELECTION,
      recommends: true,
      overridesRecommendation: (d) => d.outcome === 'override',
    },
    {
      id: 'MYELOGRAPHY',
      label: 'Myelography',
      stateName: 'Myelography',
      outcomes: {
        leak_found: { label: 'Leak found', requires: ['technique', 'performedOn', 'leak'] },
        no_leak: { label: 'No leak', requires: ['technique', 'performedOn'] },
        equivocal: { label: 'Equivocal', requires: ['technique', 'performedOn'] },
      },
      deciders: ['physician'],
      routes: [
        { outcomes: ['leak_found'], to: { stage: TREATMENT_PLANNING } },
        { fact: 'negativeLimitReached', to: { stage: TREATMENT_PLANNING }, note: 'R4: after the configured number of negative studies, multidisciplinary review' },
        { outcomes: ['no_leak', 'equivocal'], to: { stage: IMAGING_SELECTION }, note: 'the next technique is recommended' },
      ],
      team: 'neuroradiology',
      action: 'Schedule and perform the myelogram, then record the result.',
      alsoTell: [{ audience: 'coordinators', action: 'Book the myelogram with the neuroradiology team.' }],
      serviceLevel: { days: 30 },
      schema: decisionSchemas.MYELOGRAPHY,
      recommends: true,
      counters: (d, history) => {
        const found = d.outcome === 'leak_found' ? 1 : 0;
        const slec = history.triage?.spineMri.slec ?? 'unknown';
        const technique = String(d.technique);
        return [
          { item: { kind: 'funnel' }, add: { [FUNNEL.myelographies]: 1, [FUNNEL.localised]: found } },
          { item: { kind: 'yield' }, add: { [`${technique}|${slec}|studies`]: 1, [`${technique}|${slec}|localised`]: found } },
        ];
      },
    },
    {
      id: TREATMENT_PLANNING,
      label: 'Treatment planning',
      stateName: 'TreatmentPlanning',
      outcomes: {
        targeted_patch: { label: 'Targeted patch' },
        empirical_patch: { label: 'Empirical patch' },
        neurosurgery: { label: 'Refer to neurosurgery' },
        repeat_imaging: { label: 'Repeat imaging' },
        discharge: { label: 'Discharge' },
      },
      deciders: ['physician'],
      routes: [
        { outcomes: ['targeted_patch', 'empirical_patch'], to: { stage: 'TARGETED_PATCH' } },
        { outcomes: ['neurosurgery'], to: { stage: 'NEUROSURGICAL_ESCALATION' } },
        { outcomes: ['repeat_imaging'], to: { stage: IMAGING_SELECTION } },
        { outcomes: ['discharge'], to: { status: 'discharged' } },
      ],
      team: 'neuroradiology',
      action: 'Hold the multidisciplinary review and record the treatment plan.',
      serviceLevel: { days: 7 },
      schema: decisionSchemas.TREATMENT_PLANNING,
      recommends: true,
      overridesRecommendation: (d, recommended) => d.outcome !== recommended,
    },
    {
      id: 'TARGETED_PATCH',
      label: 'Targeted patch',
      stateName: 'TargetedPatch',
      outcomes: {
        performed: { label: 'Performed', requires: ['procedure', 'levels', 'performedOn'] },
        not_performed: { label: 'Not performed' },
      },
      deciders: ['physician'],
      routes: [
        { outcomes: ['performed'], to: { stage: FOLLOW_UP } },
        { outcomes: ['not_performed'], to: { stage: TREATMENT_PLANNING } },
      ],
      team: 'neurointerventional',
      action: 'Perform the planned procedure and record it.',
      serviceLevel: { days: 21 },
      schema: decisionSchemas.TARGETED_PATCH,
      recommends: true,
      counters: (d) => (d.outcome === 'performed' ? [{ item: { kind: 'funnel' }, add: { [FUNNEL.treated]: 1 } }] : []),
    },
    {
      id: 'NEUROSURGICAL_ESCALATION',
      label: 'Neurosurgical escalation',
      stateName: 'NeurosurgicalEscalation',
      outcomes: {
        operated: { label: 'Operated', requires: ['procedure', 'performedOn'] },
        not_candidate: { label: 'Not a surgical candidate' },
        declined: { label: 'Declined surgery' },
      },
      deciders: ['physician'],
      routes: [
        { outcomes: ['operated'], to: { stage: FOLLOW_UP } },
        { outcomes: ['not_candidate', 'declined'], to: { stage: TREATMENT_PLANNING } },
      ],
      team: 'neurosurgery',
      action: 'Assess the patient for surgery and record the outcome.',
      serviceLevel: { days: 30 },
      schema: decisionSchemas.NEUROSURGICAL_ESCALATION,
      recommends: true,
      counters: (d) => (d.outcome === 'operated' ? [{ item: { kind: 'funnel' }, add: { [FUNNEL.treated]: 1 } }] : []),
    },
    {
      id: FOLLOW_UP,
      label: 'Follow-up',
      stateName: 'FollowUp',
      outcomes: {
        resolved: { label: 'Resolved', requires: ['visit'] },
        improved: { label: 'Improved', requires: ['visit'] },
        unchanged: { label: 'Unchanged', requires: ['visit'] },
        worse: { label: 'Worse', requires: ['visit'] },
        recurrence_same_site: { label: 'Recurrence at the same site', requires: ['visit'] },
        recurrence_new_site: { label: 'Recurrence at a new site', requires: ['visit'] },
        rebound_hypertension: { label: 'Rebound intracranial hypertension', requires: ['visit'] },
        lost_to_follow_up: { label: 'Lost to follow-up', requires: ['visit'] },
      },
      deciders: ['coordinator', 'physician'],
      routes: [
        { outcomes: ['resolved', 'improved', 'rebound_hypertension'], fact: 'lastVisit', to: { status: 'completed' }, note: 'R9: after the last scheduled visit' },
        { outcomes: ['resolved', 'improved', 'rebound_hypertension'], to: { stage: FOLLOW_UP }, note: 'R9: the next scheduled visit' },
        { outcomes: ['unchanged', 'worse', 'recurrence_same_site'], to: { stage: TREATMENT_PLANNING }, note: 'R6: neurosurgery is recommended once the failed-procedure threshold is reached' },
        { outcomes: ['recurrence_new_site'], to: { stage: IMAGING_SELECTION } },
        { outcomes: ['lost_to_follow_up'], to: { status: 'lost_to_follow_up' } },
      ],
      team: 'coordinators',
      action: 'Complete the scheduled follow-up check-in and record it.',
      referrerMilestones: [
        { afterStage: 'TARGETED_PATCH', message: 'Treatment has been performed; the patient now enters scheduled follow-up.' },
        { afterStage: 'NEUROSURGICAL_ESCALATION', message: 'Treatment has been performed; the patient now enters scheduled follow-up.' },
      ],
      serviceLevel: { followUpSchedule: true },
      schema: decisionSchemas.FOLLOW_UP,
      recommends: true,
      counters: (d, history) => {
        const procedure = history.procedures.at(-1)?.procedure ?? 'none';
        return [{ item: { kind: 'outcomes' }, add: { [`${procedure}|${String(d.visit)}|${d.outcome}`]: 1 } }];
      },
    },
  ],
};

// ---- Derived views of a definition (everything else reads the pathway through these) ----

export class UnknownStageError extends Error {
  override readonly name = 'UnknownStageError';
}

export function stageOf(def: PathwayDefinition, id: string): StageDefinition {
  const s = def.stages.find((x) => x.id === id);
  if (!s) throw new UnknownStageError(`no stage ${id} in ${def.name}`);
  return s;
}

export function isDecisionStage(def: PathwayDefinition, id: string): boolean {
  return def.stages.some((x) => x.id === id);
}

export const decisionStageIds = (def: PathwayDefinition): string[] => def.stages.map((s) => s.id);
/** Every stage a patient can be at, intake first. */
export const allStageIds = (def: PathwayDefinition): string[] => [def.intakeStage.id, ...decisionStageIds(def)];

export function stageLabel(def: PathwayDefinition, id: string): string {
  if (id === def.intakeStage.id) return def.intakeStage.label;
  return def.stages.find((s) => s.id === id)?.label ?? id;
}

export const outcomesOf = (def: PathwayDefinition, id: string): string[] => Object.keys(stageOf(def, id).outcomes);

/** Where an outcome leads, given the facts applyDecision computed. Undefined: no route (a defect). */
export function destinationOf(def: PathwayDefinition, stage: string, outcome: string, facts: DecisionFacts): Destination | undefined {
  return stageOf(def, stage).routes.find((r) => (!r.outcomes || r.outcomes.includes(outcome)) && (!r.fact || facts[r.fact]))?.to;
}

/** Teams of physicians allowed to decide a stage; undefined: every program physician (the default). */
export function deciderTeams(config: PathwayConfig, stage: string): readonly string[] | undefined {
  return (config.deciderTeams as Readonly<Record<string, readonly string[] | undefined>> | undefined)?.[stage];
}

/**
 * Whether a caller with `roles` (and, for a physician, `team`) may record `stage`'s decision: one
 * of the stage's deciders, and a physician within the configured teams where deciderTeams narrows
 * the stage. The decision service enforces this; the patient view reports it as `mayDecide`.
 */
export function mayRecordDecision(def: PathwayDefinition, config: PathwayConfig, stage: string, roles: readonly Role[], team: string | undefined): boolean {
  const role = roles.find((r) => stageOf(def, stage).deciders.includes(r));
  if (!role) return false;
  const teams = deciderTeams(config, stage);
  return !(role === 'physician' && teams && !(team && teams.includes(team)));
}

/** The service level of a stage in days (configuration overrides the definition). */
export function serviceLevelDays(def: PathwayDefinition, config: PathwayConfig, stage: string): number | 'followUpSchedule' {
  const s = stageOf(def, stage);
  if ('followUpSchedule' in s.serviceLevel) return 'followUpSchedule';
  return (config.serviceLevelDays as Readonly<Record<string, number | undefined>>)[stage] ?? s.serviceLevel.days;
}

/** Who the case waits on: the role that decides, the team, and the team's site. */
export interface Awaiting {
  readonly stage: string;
  readonly role: Role;
  readonly team: WaitingTeam;
  readonly site: string;
}

export function awaitingFor(
  def: PathwayDefinition,
  config: PathwayConfig,
  stage: string,
  patientSite: string,
  cause: { readonly stage?: string; readonly outcome?: string } | null,
): Awaiting {
  const s = stageOf(def, stage);
  const team = s.waitsOn?.(cause) ?? s.team;
  const role: Role = s.deciders.includes('physician') ? 'physician' : (s.deciders[0] ?? 'physician');
  return { stage, role, team, site: siteOfTeam(config, team, patientSite) };
}

function siteOfTeam(config: PathwayConfig, team: WaitingTeam, patientSite: string): string {
  const dir = config.teamDirectory;
  if (team === 'neurointerventional') return dir.neurointerventional.site;
  if (team === 'neurosurgery') return dir.neurosurgery.site;
  return patientSite;
}

/** The decision-form metadata the dashboard shows for each stage. */
export interface DecisionForm {
  readonly stage: string;
  readonly label: string;
  readonly deciders: readonly Role[];
  /** Physician teams that may decide (configuration); null: every program physician. */
  readonly deciderTeams: readonly string[] | null;
  readonly outcomes: readonly { readonly id: string; readonly label: string; readonly requires: readonly string[] }[];
}

export function decisionForms(def: PathwayDefinition = CARE_PATHWAY, config?: PathwayConfig): DecisionForm[] {
  return def.stages.map((s) => ({
    stage: s.id,
    label: s.label,
    deciders: s.deciders,
    deciderTeams: (config && deciderTeams(config, s.id)) ?? null,
    outcomes: Object.entries(s.outcomes).map(([id, o]) => ({ id, label: o.label, requires: o.requires ?? [] })),
  }));
}

/** Roles that may decide each stage of the care pathway (the dashboard's "by a physician"). */
export const DECIDERS = Object.fromEntries(CARE_PATHWAY.stages.map((s) => [s.id, s.deciders])) as Readonly<Record<DecisionStage, readonly Role[]>>;

/** The follow-up visit schedule applies to stages whose service level is the R9 schedule. */
export const usesVisitSchedule = (def: PathwayDefinition, stage: string): boolean => {
  const s = def.stages.find((x) => x.id === stage);
  return !!s && 'followUpSchedule' in s.serviceLevel;
};

export type { ClinicalHistory };
