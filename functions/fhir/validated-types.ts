/** Resource types the FHIR endpoint reads or writes; their definitions are in r4-definitions.json. */
export const VALIDATED_TYPES = [
  'Bundle', 'ServiceRequest', 'Patient', 'Practitioner', 'Observation', 'Task', 'QuestionnaireResponse', 'Questionnaire',
  'OperationOutcome', 'CapabilityStatement', 'Subscription', 'CodeSystem', 'Parameters',
] as const;

/** The definitions' file: beside validator.ts in the sources, beside the FHIR handler's bundle in AWS. */
export const DEFINITIONS_FILE = 'r4-definitions.json';
/** The same file from the project root (what the CDK copies). */
export const DEFINITIONS_SOURCE = `functions/fhir/${DEFINITIONS_FILE}`;
