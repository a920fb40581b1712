/** Resource types the FHIR endpoint reads or writes; their definitions are in r4-definitions.json. */
export const VALIDATED_TYPES = [
  'Bundle', 'ServiceRequest', 'Patient', 'Practitioner', 'Observation', 'Task', 'QuestionnaireResponse', 'Questionnaire',
  'OperationOutcome', 'CapabilityStatement', 'Subscription', 'CodeSystem', 'Parameters',
] as const;
