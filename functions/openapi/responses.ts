// The REST API's answers as zod schemas (the request bodies are the handlers' own schemas in
// functions/domain/schemas.ts). They describe the contract for the OpenAPI document; the e2e test
// validates real answers against that document, so a shape that drifts fails there. Objects are
// loose: the contract may add fields, and clients must accept them.
import * as z from 'zod';
import { referralSchema } from '../domain/schemas.js';
import { allStageIds, CARE_PATHWAY, decisionStageIds } from '../domain/pathway.js';
import { HOLD_REASONS, ROLES, STATUSES } from '../domain/vocabulary.js';

export const instant = z.string().describe('ISO 8601 timestamp');
// The deployed pathway's stages (pathway.ts): a stage added to the definition is in the document.
export const stage = z.enum(allStageIds(CARE_PATHWAY) as [string, ...string[]]);
const decisionStage = z.enum(decisionStageIds(CARE_PATHWAY) as [string, ...string[]]);
export const status = z.enum(STATUSES);

export const errorBodySchema = z
  .looseObject({
    error: z.looseObject({
      code: z.enum(['ValidationError', 'Unauthorized', 'Forbidden', 'NotFound', 'Conflict', 'PayloadTooLarge', 'UnsupportedMediaType', 'ServiceUnavailable', 'Unavailable', 'InternalError']),
      message: z.string(),
      issues: z.array(z.looseObject({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .meta({ id: 'Error', description: 'Every error answer of the REST API.' });

export const referralAcceptedSchema = z
  .looseObject({ patientId: z.string(), caseRef: z.string(), executionArn: z.string() })
  .meta({ id: 'ReferralAccepted' });

export const awaitingSchema = z.looseObject({ stage: decisionStage, role: z.enum(ROLES) }).nullable();
export const holdSchemaOut = z.looseObject({ reason: z.enum(HOLD_REASONS), since: instant, note: z.string().optional() }).meta({ id: 'Hold' });

export const patientListItemSchema = z
  .looseObject({
    patientId: z.string(),
    caseRef: z.string(),
    stage,
    status,
    site: z.string(),
    stageEnteredAt: instant,
    dueAt: instant.nullable(),
    overdue: z.boolean(),
    awaiting: awaitingSchema,
    hold: holdSchemaOut.nullable().optional(),
    pathwayVersion: z.string().optional(),
  })
  .meta({ id: 'PatientListItem' });

export const patientPageSchema = z.looseObject({ items: z.array(patientListItemSchema), nextToken: z.string().nullable() }).meta({ id: 'PatientPage' });

export const actorSchema = z.looseObject({ sub: z.string(), email: z.string(), role: z.union([z.enum(ROLES), z.literal('system')]) }).meta({ id: 'Actor' });

export const timelineEventSchema = z
  .looseObject({ at: instant, action: z.string(), stage: stage.nullable(), actor: actorSchema, details: z.record(z.string(), z.unknown()).optional() })
  .meta({ id: 'TimelineEvent' });

export const pendingDecisionSchema = z
  .looseObject({
    id: z.string().optional(),
    stage: decisionStage,
    allowedOutcomes: z.array(z.string()),
    dueAt: instant,
    visit: z.string().optional(),
    mayDecide: z.boolean().optional().describe('Whether the caller may record this decision (their role, and their team where the stage is narrowed to teams).'),
  })
  .meta({ id: 'PendingDecision' });

export const recommendationSchema = z
  .looseObject({
    stage: decisionStage,
    recommended: z.string(),
    ruleIds: z.array(z.string()),
    rationale: z.string(),
    sources: z.array(z.string()),
    bernScore: z.number().optional(),
    bernProbability: z.enum(['low', 'intermediate', 'high']).optional(),
  })
  .meta({ id: 'Recommendation' });

export const patientDetailSchema = z
  .looseObject({
    patientId: z.string(),
    caseRef: z.string(),
    referralId: z.string(),
    site: z.string(),
    urgency: z.enum(['routine', 'urgent']),
    createdAt: instant,
    patient: referralSchema.shape.patient,
    referringPhysician: referralSchema.shape.referringPhysician,
    referral: z.looseObject({
      symptomOnset: z.string(),
      orthostaticPattern: z.string(),
      duralPunctureWithin30Days: z.boolean(),
      priorSpinalProcedure: z.boolean(),
      hit6Baseline: z.number().optional(),
      headacheDaysPerMonthBaseline: referralSchema.shape.headacheDaysPerMonthBaseline,
      associatedSymptoms: referralSchema.shape.associatedSymptoms,
      connectiveTissueDisorder: referralSchema.shape.connectiveTissueDisorder,
      trauma: referralSchema.shape.trauma,
      notes: z.string().optional(),
    }),
    stage,
    status,
    stageEnteredAt: instant,
    dueAt: instant.nullable(),
    overdue: z.boolean(),
    awaiting: awaitingSchema,
    hold: holdSchemaOut.nullable(),
    pendingDecision: pendingDecisionSchema.nullable(),
    recommendation: recommendationSchema.nullable(),
    clinical: z.looseObject({}).describe('The clinical history the rules look at (triage findings, myelograms, procedures, follow-ups).'),
    timeline: z.array(timelineEventSchema),
  })
  .meta({ id: 'PatientDetail' });

export const decisionAcceptedSchema = z.looseObject({ patientId: z.string(), stage: decisionStage, outcome: z.string() }).meta({ id: 'DecisionAccepted' });
export const patientActionAcceptedSchema = z.looseObject({ patientId: z.string(), status }).meta({ id: 'PatientActionAccepted' });

const stageMonth = z.looseObject({ stage, entered: z.number(), exited: z.number(), medianDays: z.number().nullable(), p90Days: z.number().nullable() });
const funnel = z.looseObject({ referrals: z.number(), accepted: z.number(), myelographies: z.number(), localised: z.number(), treated: z.number(), completed: z.number() });
export const throughputReportSchema = z
  .looseObject({
    from: z.string(),
    to: z.string(),
    months: z.array(
      z.looseObject({
        month: z.string(),
        stages: z.array(stageMonth),
        funnel,
        yield: z.array(z.looseObject({ technique: z.string(), slec: z.string(), studies: z.number(), localised: z.number() })),
        outcomes: z.array(z.looseObject({ procedure: z.string(), visit: z.string(), outcome: z.string(), count: z.number() })),
      }),
    ),
    totals: z.looseObject({ funnel, stages: z.array(stageMonth) }),
  })
  .meta({ id: 'ThroughputReport' });

export const slaReportSchema = z
  .looseObject({
    from: z.string(),
    to: z.string(),
    rows: z.array(
      z.looseObject({
        month: z.string(),
        stage: decisionStage,
        decisions: z.number(),
        withinServiceLevel: z.number(),
        shareWithinServiceLevel: z.number().nullable(),
        percentWithinServiceLevel: z.number().nullable().describe('Whole percent of shareWithinServiceLevel.'),
        medianProgramDrivenDays: z.number().nullable(),
        medianPatientDrivenDays: z.number().nullable(),
      }),
    ),
    overdue: z.array(z.looseObject({ patientId: z.string(), caseRef: z.string(), stage: decisionStage, site: z.string(), dueAt: instant.nullable(), awaiting: awaitingSchema })),
  })
  .meta({ id: 'SlaReport' });

export const auditEventSchema = z
  .looseObject({ at: instant, actor: actorSchema, action: z.string(), patientId: z.string().nullable(), stage: stage.nullable(), details: z.record(z.string(), z.unknown()) })
  .meta({ id: 'AuditEvent' });
export const auditPageSchema = z.looseObject({ items: z.array(auditEventSchema), nextToken: z.string().nullable() }).meta({ id: 'AuditPage' });

export const redFlagsRecordedSchema = z
  .looseObject({ patientId: z.string(), urgency: z.enum(['routine', 'urgent']), redFlags: z.array(z.unknown()), dueAt: instant.nullable(), notified: z.boolean() })
  .meta({ id: 'RedFlagsRecorded' });
export const auditChainSchema = z.looseObject({ patientId: z.string() }).describe("The verdict of the patient's audit hash chain.").meta({ id: 'AuditChain' });

export const healthSchema = z.looseObject({ status: z.string() }).meta({ id: 'Health' });
