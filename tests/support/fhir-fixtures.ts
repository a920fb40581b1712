// Synthetic FHIR referrals shaped like the US Core examples (Patient "example", Practitioner
// "practitioner-1", ServiceRequest): invented names, MRNs and example.org addresses only.
import type { Bundle, Observation, Patient, Practitioner, QuestionnaireResponse, ServiceRequest } from '@medplum/fhirtypes';
import { CHECK_IN_QUESTIONNAIRE_URL, CODE_SYSTEMS } from '../../functions/domain/fhir-codes.js';

let counter = 0;
const V2 = 'http://terminology.hl7.org/CodeSystem/v2-0203';

export function usCorePatient(n: number): Patient {
  return {
    resourceType: 'Patient',
    id: 'example',
    meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient'] },
    extension: [
      {
        url: 'http://hl7.org/fhir/us/core/StructureDefinition/us-core-birthsex',
        valueCode: 'F',
      },
    ],
    identifier: [
      { use: 'usual', type: { coding: [{ system: V2, code: 'MR', display: 'Medical Record Number' }], text: 'Medical Record Number' }, system: 'http://hospital.example.org', value: `SYN${100000 + n}` },
    ],
    active: true,
    name: [{ use: 'official', family: `Synthetica${n}`, given: ['Testina', 'V.'] }],
    telecom: [{ system: 'email', value: `patient${n}@example.org` }],
    gender: 'female',
    birthDate: '1987-02-20',
    address: [{ line: ['49 Example Street'], city: 'Exampleville', state: 'CA', postalCode: '94000', country: 'US' }],
  };
}

export function usCorePractitioner(): Practitioner {
  return {
    resourceType: 'Practitioner',
    id: 'practitioner-1',
    meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-practitioner'] },
    identifier: [{ system: 'http://hl7.org/fhir/sid/us-npi', value: '9941339100' }],
    name: [{ family: 'Referrer', given: ['Example'], prefix: ['Dr'] }],
    telecom: [{ system: 'email', value: 'referrer@example.org', use: 'work' }],
  };
}

const finding = (id: string, code: string, value: Partial<Observation>): Observation => ({
  resourceType: 'Observation',
  id,
  status: 'final',
  code: { coding: [{ system: CODE_SYSTEMS.referralFinding, code }] },
  ...value,
});

export function findings(): Observation[] {
  return [
    finding('onset', 'symptom-onset', { valueDateTime: '2026-05-01' }),
    finding('pattern', 'orthostatic-pattern', { valueCodeableConcept: { coding: [{ system: CODE_SYSTEMS.orthostaticPattern, code: 'classic_immediate' }] } }),
    finding('puncture', 'dural-puncture-within-30-days', { valueBoolean: false }),
    finding('prior', 'prior-spinal-procedure', { valueBoolean: false }),
    finding('hit6', 'hit6-baseline', { valueInteger: 68 }),
    finding('headache-days', 'headache-days-per-month-baseline', { valueInteger: 20 }),
    finding('connective', 'connective-tissue-disorder', { valueBoolean: false }),
    finding('trauma', 'trauma-before-onset', { valueBoolean: false }),
    finding('symptoms', 'associated-symptoms', {
      component: [
        { code: { coding: [{ system: CODE_SYSTEMS.associatedSymptom, code: 'tinnitus' }] }, valueBoolean: true },
        { code: { coding: [{ system: CODE_SYSTEMS.associatedSymptom, code: 'photophobia' }] }, valueBoolean: false },
        { code: { coding: [{ system: CODE_SYSTEMS.associatedSymptom, code: 'neck_pain' }] }, valueBoolean: true },
      ],
    }),
  ];
}

function serviceRequestCore(referralId: string): Omit<ServiceRequest, 'subject'> & { subject: ServiceRequest['subject'] } {
  return {
    resourceType: 'ServiceRequest',
    meta: { profile: ['http://hl7.org/fhir/us/core/StructureDefinition/us-core-servicerequest'] },
    identifier: [{ type: { coding: [{ system: V2, code: 'PLAC' }] }, system: 'http://ehr.example.org/referrals', value: referralId }],
    status: 'active',
    intent: 'order',
    category: [{ coding: [{ system: 'http://snomed.info/sct', code: '3457005', display: 'Patient referral' }] }],
    code: { text: 'Referral to the spinal CSF leak program' },
    priority: 'routine',
    subject: { reference: '#patient' },
    authoredOn: '2026-11-30',
    locationCode: [{ coding: [{ system: CODE_SYSTEMS.site, code: 'santa-clara' }] }],
    note: [{ text: 'Synthetic referral for tests.' }],
  };
}

/** A ServiceRequest with its Patient, requester and findings contained. */
export function containedServiceRequest(overrides: Partial<ServiceRequest> = {}): ServiceRequest {
  counter += 1;
  const referralId = `FHIR-${Date.now().toString(36)}-${counter}`;
  const obs = findings();
  return {
    ...serviceRequestCore(referralId),
    contained: [{ ...usCorePatient(counter), id: 'patient' }, { ...usCorePractitioner(), id: 'requester' }, ...obs],
    subject: { reference: '#patient' },
    requester: { reference: '#requester' },
    supportingInfo: obs.map((o) => ({ reference: `#${o.id}` })),
    ...overrides,
  };
}

/** A transaction Bundle: ServiceRequest, Patient, Practitioner and findings as entries. */
export function referralBundle(): Bundle {
  counter += 1;
  const referralId = `FHIR-${Date.now().toString(36)}-${counter}`;
  const uuid = (s: string) => `urn:uuid:00000000-0000-4000-8000-${s.padStart(12, '0')}`;
  const obs = findings();
  const { id: _p, ...patient } = usCorePatient(counter);
  const { id: _r, ...practitioner } = usCorePractitioner();
  const sr: ServiceRequest = {
    ...serviceRequestCore(referralId),
    subject: { reference: uuid('1') },
    requester: { reference: uuid('2') },
    supportingInfo: obs.map((_, i) => ({ reference: uuid(String(10 + i)) })),
  };
  return {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: uuid('0'), resource: sr, request: { method: 'POST', url: 'ServiceRequest' } },
      { fullUrl: uuid('1'), resource: patient, request: { method: 'POST', url: 'Patient' } },
      { fullUrl: uuid('2'), resource: practitioner, request: { method: 'POST', url: 'Practitioner' } },
      ...obs.map((o, i) => {
        const { id: _o, ...rest } = o;
        return { fullUrl: uuid(String(10 + i)), resource: rest, request: { method: 'POST' as const, url: 'Observation' } };
      }),
    ],
  };
}

export function checkIn(patientId: string, answers: { visit: string; outcome: string; pgic?: number; hit6?: number; headacheDays?: number; bernScore?: number }): QuestionnaireResponse {
  const integer = (linkId: string, v: number | undefined) => (v === undefined ? [] : [{ linkId, answer: [{ valueInteger: v }] }]);
  return {
    resourceType: 'QuestionnaireResponse',
    questionnaire: CHECK_IN_QUESTIONNAIRE_URL,
    status: 'completed',
    subject: { reference: `Patient/${patientId}` },
    authored: '2026-12-01T10:00:00Z',
    item: [
      { linkId: 'visit', answer: [{ valueCoding: { system: CODE_SYSTEMS.followUpVisit, code: answers.visit } }] },
      { linkId: 'outcome', answer: [{ valueCoding: { system: CODE_SYSTEMS.followUpOutcome, code: answers.outcome } }] },
      ...integer('pgic', answers.pgic),
      ...integer('hit6-total', answers.hit6),
      ...integer('headache-days', answers.headacheDays),
      ...integer('brain-mri-bern-score', answers.bernScore),
    ],
  };
}
