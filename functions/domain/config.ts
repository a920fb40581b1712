// Program policy: the team directory and the thresholds the domain marks "configurable".
// Defaults below; a deployment overrides any part with the PATHWAY_CONFIG environment
// variable (JSON, deep-merged), validated at start-up so a bad value fails loudly.
import * as z from 'zod';
import { CARE_PATHWAY } from './pathway.js';
import { NEURORADIOLOGY_SITES } from './vocabulary.js';

const emails = z.array(z.email()).min(1);

export const pathwayConfigSchema = z.strictObject({
  /** Where links in emails point (the dashboard). */
  appBaseUrl: z.url(),
  /** Sender of every email. */
  mailFrom: z.email(),
  teamDirectory: z.strictObject({
    neuroradiology: z.record(z.enum(NEURORADIOLOGY_SITES), emails),
    neurointerventional: z.strictObject({ site: z.string(), emails }),
    neurosurgery: z.strictObject({ site: z.string(), emails }),
    coordinators: emails,
    administrators: emails,
    /** Who an overdue decision escalates to, per neuroradiology site. */
    siteLeads: z.record(z.enum(NEURORADIOLOGY_SITES), emails),
  }),
  /** Overdue handling: a reminder to the owner, then an escalation to the site lead. */
  overdue: z.strictObject({
    /** Days after the due date before the reminder (0: as soon as it is overdue). */
    reminderAfterDays: z.number().min(0),
    /** Days after the due date before the escalation to the site lead. */
    escalateAfterDays: z.number().min(0),
  }),
  /**
   * Step Functions Standard limits an execution to one year and 25,000 history events; a
   * pathway continues in a new execution well before either (configurable so tests can force it).
   */
  executionLimits: z.strictObject({
    maxStepsPerExecution: z.number().int().min(1),
    maxExecutionDays: z.number().positive(),
  }),
  /** The reconciler (in the sweep) repairs engine work outstanding for longer than this. */
  reconciler: z.strictObject({ afterSeconds: z.number().min(0) }),
  thresholds: z.strictObject({
    /** R4: negative myelograms before multidisciplinary review (domain default 3). */
    negativeStudiesBeforeReview: z.number().int().min(1).max(10),
    /** R6: failed targeted procedures before neurosurgery is recommended (domain default 2). */
    failedProceduresBeforeNeurosurgery: z.number().int().min(1).max(10),
    /** R2: Bern score bands: <= low is low, >= high is high, between is intermediate. */
    bernLowMax: z.number().int().min(0).max(9),
    bernHighMin: z.number().int().min(0).max(9),
    /** R7: the least improvement from baseline at month 3 that is not a failure (domain: 50 %). */
    responseImprovementMin: z.number().gt(0).max(1),
  }),
  /** R11: days allowed for the pending decision once a red flag makes the case urgent. */
  urgentServiceLevelDays: z.number().positive(),
  /** Days allowed for each pending decision before it is overdue, by stage (defaults: the pathway definition). */
  serviceLevelDays: z.record(z.string(), z.number().positive()),
  /**
   * Physician teams allowed to decide a stage (CONTRACT: configuration). A stage not named here
   * may be decided by every program physician; e.g. {"TARGETED_PATCH": ["neurointerventional"]}.
   */
  deciderTeams: z.record(z.string(), z.array(z.enum(['neuroradiology', 'neurointerventional', 'neurosurgery'])).min(1)).optional(),
  /** R9: follow-up visits, days after the procedure. */
  followUpSchedule: z
    .array(z.strictObject({ visit: z.enum(['day1', 'week1', 'month3', 'month12']), days: z.number().positive() }))
    .min(1),
});
export type PathwayConfig = z.infer<typeof pathwayConfigSchema>;

export const DEFAULT_CONFIG: PathwayConfig = {
  appBaseUrl: 'http://127.0.0.1:3000',
  mailFrom: 'csf-leak-pathway@example.org',
  teamDirectory: {
    neuroradiology: {
      'santa-clara': ['neuroradiology.santa-clara@example.org'],
      'roseville-sacramento': ['neuroradiology.roseville-sacramento@example.org'],
    },
    neurointerventional: { site: 'sacramento', emails: ['neurointerventional.sacramento@example.org'] },
    neurosurgery: { site: 'redwood-city', emails: ['neurosurgery.redwood-city@example.org'] },
    coordinators: ['coordinators@example.org'],
    administrators: ['administrators@example.org'],
    siteLeads: {
      'santa-clara': ['lead.santa-clara@example.org'],
      'roseville-sacramento': ['lead.roseville-sacramento@example.org'],
    },
  },
  overdue: { reminderAfterDays: 0, escalateAfterDays: 3 },
  // About 10 history events per step: 1,000 steps stay far below 25,000 events.
  executionLimits: { maxStepsPerExecution: 1000, maxExecutionDays: 300 },
  reconciler: { afterSeconds: 30 },
  thresholds: {
    negativeStudiesBeforeReview: 3,
    failedProceduresBeforeNeurosurgery: 2,
    bernLowMax: 2,
    bernHighMin: 5,
    responseImprovementMin: 0.5,
  },
  urgentServiceLevelDays: 1,
  serviceLevelDays: Object.fromEntries(CARE_PATHWAY.stages.flatMap((s) => ('days' in s.serviceLevel ? [[s.id, s.serviceLevel.days]] : []))),
  followUpSchedule: [
    { visit: 'day1', days: 1 },
    { visit: 'week1', days: 7 },
    { visit: 'month3', days: 90 },
    { visit: 'month12', days: 365 },
  ],
};

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
/** `patch` over `base`, objects merged key by key (how PATHWAY_CONFIG overrides the defaults). */
export function deepMerge(base: Json, patch: Json): Json {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  if (base === null || typeof base !== 'object' || Array.isArray(base)) return patch;
  const out: { [k: string]: Json } = { ...base };
  for (const [k, v] of Object.entries(patch)) out[k] = k in base ? deepMerge(base[k] as Json, v) : v;
  return out;
}

/** The configuration in force: defaults merged with PATHWAY_CONFIG, then validated. */
export function loadConfig(env: Record<string, string | undefined> = process.env, stages: readonly string[] = CARE_PATHWAY.stages.map((s) => s.id)): PathwayConfig {
  const patch = env.PATHWAY_CONFIG ? (JSON.parse(env.PATHWAY_CONFIG) as Json) : {};
  const merged = deepMerge(DEFAULT_CONFIG as unknown as Json, patch);
  const parsed = pathwayConfigSchema.parse(merged);
  if (parsed.overdue.escalateAfterDays < parsed.overdue.reminderAfterDays) {
    throw new Error('PATHWAY_CONFIG: overdue.escalateAfterDays must not be before overdue.reminderAfterDays');
  }
  for (const stage of [...Object.keys(parsed.serviceLevelDays), ...Object.keys(parsed.deciderTeams ?? {})]) {
    if (!stages.includes(stage)) throw new Error(`PATHWAY_CONFIG: ${stage} is not a decision stage of the pathway`);
  }
  if (parsed.thresholds.bernLowMax >= parsed.thresholds.bernHighMin) {
    throw new Error('PATHWAY_CONFIG: thresholds.bernLowMax must be below thresholds.bernHighMin');
  }
  return parsed;
}
