// The CapabilityStatement: exactly the interactions, search parameters and formats served here.
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import { CHECK_IN_QUESTIONNAIRE_URL, FHIR_CANONICAL_BASE } from '../domain/fhir-codes.js';

const read = (type: CapabilityStatementRestResource['type'], documentation: string, extra: Partial<CapabilityStatementRestResource> = {}): CapabilityStatementRestResource => ({
  type,
  documentation,
  interaction: [{ code: 'read' }, ...(extra.interaction ?? [])],
  versioning: 'no-version',
  readHistory: false,
  updateCreate: false,
  conditionalCreate: false,
  conditionalUpdate: false,
  conditionalDelete: 'not-supported',
  ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'interaction')),
});

export function capabilityStatement(baseUrl: string, subscriptions: boolean): CapabilityStatement {
  return {
    resourceType: 'CapabilityStatement',
    url: `${FHIR_CANONICAL_BASE}/CapabilityStatement/csf-leak-pathway`,
    name: 'CsfLeakPathwayFhirServer',
    title: 'CSF leak pathway: FHIR R4 referrals, status and follow-up',
    status: 'active',
    date: '2026-12-03',
    kind: 'instance',
    implementation: { description: 'CSF leak care pathway', url: baseUrl },
    software: { name: 'csf-leak-pathway' },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation:
          'Bearer JWT as for the REST API; roles as in its role table. A referral is one transaction Bundle (POST [base] or [base]/Bundle) or one ServiceRequest with its Patient, requester Practitioner and finding Observations contained. Idempotent on ServiceRequest.identifier (the referral id): the same request again answers 200 with the same Task; a different one with the same identifier is 409. Every refusal is an OperationOutcome naming the element; a refused request writes nothing.',
        security: { cors: true, description: 'OAuth2 bearer token (Cognito user pool in the cloud); groups coordinators, physicians, administrators.' },
        interaction: [{ code: 'transaction', documentation: 'A referral: one ServiceRequest with its Patient, Practitioner and Observations.' }],
        resource: [
          read('ServiceRequest', 'The referral, as recorded.', { interaction: [{ code: 'create', documentation: 'Creates the referral through the intake service; answers 201 with the Task, Location Task/<id>.' }] }),
          read('Task', 'The referral\'s status: status, businessStatus (pathway stage), owner (team that must act), restriction.period.end (due date), output (decisions recorded).', {
            interaction: [{ code: 'search-type' }],
            searchParam: [
              { name: 'based-on', type: 'reference', documentation: 'ServiceRequest/<id>' },
              { name: 'patient', type: 'reference', documentation: 'Patient/<id>' },
              { name: 'status', type: 'token', documentation: 'requested, accepted, in-progress, on-hold, completed, rejected, cancelled, failed' },
              { name: '_count', type: 'number', documentation: '1-50, default 20' },
            ],
          }),
          read('Patient', 'Demographics of a referred patient (coordinators and physicians).'),
          read('Questionnaire', `The follow-up check-in questionnaire (${CHECK_IN_QUESTIONNAIRE_URL}).`),
          read('QuestionnaireResponse', 'A recorded follow-up check-in.', {
            interaction: [{ code: 'create', documentation: 'Records the follow-up decision through the decision service; the pathway branches on its outcome.' }],
          }),
          ...(subscriptions
            ? [
                read('Subscription', 'rest-hook subscriptions on Task (administrators); id-only notifications.', {
                  interaction: [{ code: 'create' }, { code: 'search-type' }],
                }),
              ]
            : []),
        ],
      },
    ],
  };
}
