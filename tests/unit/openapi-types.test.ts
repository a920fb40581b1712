// The dashboard's API types (web/src/api-types.ts) and the answer schemas the OpenAPI document is
// generated from must agree: what the schemas promise must satisfy what the dashboard reads. This
// is checked by the type checker (npm run typecheck) and runs as a test too.
import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import type { AuditEvent, Hold, PatientListItem, PendingDecision, SlaReport, TimelineEvent } from '../../web/src/api-types.js';
import type {
  auditEventSchema,
  holdSchemaOut,
  patientListItemSchema,
  pendingDecisionSchema,
  slaReportSchema,
  timelineEventSchema,
} from '../../functions/openapi/responses.js';

/** True only when every answer the schema allows is a value of the dashboard's type. */
type Satisfies<Answer, Dashboard> = Answer extends Dashboard ? true : false;

describe('the dashboard API types', () => {
  it('are satisfied by the answers the OpenAPI document describes', () => {
    const checks: [
      Satisfies<z.infer<typeof patientListItemSchema>, PatientListItem>,
      Satisfies<z.infer<typeof holdSchemaOut>, Hold>,
      Satisfies<z.infer<typeof pendingDecisionSchema>, PendingDecision>,
      Satisfies<z.infer<typeof timelineEventSchema>, TimelineEvent>,
      Satisfies<z.infer<typeof auditEventSchema>, AuditEvent>,
      Satisfies<z.infer<typeof slaReportSchema>, SlaReport>,
    ] = [true, true, true, true, true, true];
    expect(checks.every(Boolean)).toBe(true);
  });
});
