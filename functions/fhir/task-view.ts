// The referral's Task, read from the patient record and its timeline: status from the stage and
// status (functions/domain/fhir-codes.ts), the stage as business status, the team that must act
// as owner, the due date as restriction.period.end, and one output per decision recorded.
import type { Task, TaskOutput } from '@medplum/fhirtypes';
import {
  CODE_SYSTEMS,
  IDENTIFIER_SYSTEMS,
  STAGE_CONCEPTS,
  STATUS_CONCEPTS,
  CHECK_IN_STAGE,
  ownerTeamOf,
  taskStatusOf,
} from '../domain/fhir-codes.js';
import { TERMINAL_STATUSES } from '../domain/vocabulary.js';
import type { PatientDetail, TimelineEntry } from './patient-detail.js';
import { checkInResponseId } from './questionnaire.js';

const TASK_CODE_SYSTEM = 'http://hl7.org/fhir/CodeSystem/task-code';

export interface RecordedDecision {
  readonly at: string;
  readonly stage: string;
  readonly outcome: string;
}

export function decisionsIn(timeline: readonly TimelineEntry[]): RecordedDecision[] {
  return timeline
    .filter((e) => e.action === 'decision_recorded' && e.stage && typeof e.details?.outcome === 'string')
    .map((e) => ({ at: e.at, stage: e.stage as string, outcome: e.details?.outcome as string }));
}

export function taskOf(p: PatientDetail): Task {
  const timeline = p.timeline;
  const decisions = decisionsIn(timeline);
  const status = taskStatusOf(p.stage, p.status, decisions.at(-1) ?? null);
  const stage = STAGE_CONCEPTS.find((s) => s.code === p.stage);
  const pathwayStatus = STATUS_CONCEPTS.find((s) => s.code === p.status);
  const lastModified = timeline.filter((e) => e.action !== 'record_viewed').at(-1)?.at ?? p.createdAt;
  const ended = TERMINAL_STATUSES.includes(p.status);
  let checkIns = 0;
  const output: TaskOutput[] = decisions.map((d) => {
    const stageConcept = STAGE_CONCEPTS.find((s) => s.code === d.stage);
    const checkIn = d.stage === CHECK_IN_STAGE ? checkInResponseId(p.patientId, checkIns++) : undefined;
    return {
      type: { coding: [{ system: CODE_SYSTEMS.stage, code: d.stage, ...(stageConcept ? { display: stageConcept.display } : {}) }], text: `${stageConcept?.display ?? d.stage} decision` },
      valueReference: {
        ...(checkIn ? { reference: `QuestionnaireResponse/${checkIn}`, type: 'QuestionnaireResponse' } : {}),
        identifier: { system: IDENTIFIER_SYSTEMS.decision, value: `${p.patientId}/${d.at}` },
        display: `${stageConcept?.display ?? d.stage}: ${d.outcome} (${d.at.slice(0, 10)})`,
      },
    };
  });
  const owner = p.awaiting && !ended ? ownerTeamOf(p.awaiting.stage) : undefined;
  return {
    resourceType: 'Task',
    id: p.patientId,
    meta: { lastUpdated: lastModified },
    identifier: [{ system: IDENTIFIER_SYSTEMS.caseRef, value: p.caseRef }],
    basedOn: [{ reference: `ServiceRequest/${p.patientId}` }],
    status,
    ...(pathwayStatus ? { statusReason: { coding: [{ system: CODE_SYSTEMS.status, code: pathwayStatus.code, display: pathwayStatus.display }] } } : {}),
    businessStatus: {
      coding: [{ system: CODE_SYSTEMS.stage, code: p.stage, ...(stage ? { display: stage.display } : {}) }],
      text: stage?.display ?? p.stage,
    },
    intent: 'order',
    priority: p.urgency,
    code: { coding: [{ system: TASK_CODE_SYSTEM, code: 'fulfill', display: 'Fulfill the focal request' }] },
    focus: { reference: `ServiceRequest/${p.patientId}` },
    for: { reference: `Patient/${p.patientId}` },
    authoredOn: p.createdAt,
    lastModified,
    executionPeriod: { start: p.createdAt, ...(ended ? { end: lastModified } : {}) },
    ...(owner
      ? { owner: { type: 'CareTeam', identifier: { system: CODE_SYSTEMS.team, value: owner.code }, display: owner.display } }
      : {}),
    ...(p.dueAt && !ended ? { restriction: { period: { end: p.dueAt } } } : {}),
    ...(output.length ? { output } : {}),
  };
}
