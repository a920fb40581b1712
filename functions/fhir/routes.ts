// The FHIR routes, served by one handler (functions/api/fhir.ts); the local stack and the CDK
// stack add these to their route tables. The CapabilityStatement is public, as FHIR clients
// (and SMART discovery) read it before they have a token.
export const FHIR_ROUTES = [
  { method: 'GET', path: '/fhir/R4/metadata', public: true },
  { method: 'POST', path: '/fhir/R4' },
  { method: 'POST', path: '/fhir/R4/Bundle' },
  { method: 'POST', path: '/fhir/R4/ServiceRequest' },
  { method: 'GET', path: '/fhir/R4/ServiceRequest/{id}' },
  { method: 'GET', path: '/fhir/R4/Task' },
  { method: 'GET', path: '/fhir/R4/Task/{id}' },
  { method: 'GET', path: '/fhir/R4/Patient/{id}' },
  { method: 'GET', path: '/fhir/R4/Questionnaire/{id}' },
  { method: 'POST', path: '/fhir/R4/QuestionnaireResponse' },
  { method: 'GET', path: '/fhir/R4/QuestionnaireResponse/{id}' },
  { method: 'POST', path: '/fhir/R4/Subscription' },
  { method: 'GET', path: '/fhir/R4/Subscription' },
  { method: 'GET', path: '/fhir/R4/Subscription/{id}' },
  { method: 'GET', path: '/fhir/R4/Subscription/{id}/deliveries' },
] as const satisfies readonly { method: 'GET' | 'POST'; path: string; public?: boolean }[];

export type FhirRouteKey = `${(typeof FHIR_ROUTES)[number]['method']} ${(typeof FHIR_ROUTES)[number]['path']}`;
