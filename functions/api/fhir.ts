// The FHIR R4 endpoint under /fhir/R4: one handler for its routes (functions/fhir/routes.ts).
import { capabilityStatement } from '../fhir/capability.js';
import { baseUrlOf, fhirBody, fhirHandler, fhirResponse, requireJsonAccepted } from '../fhir/http.js';
import { fhirNotFound } from '../fhir/outcome.js';
import type { FhirRouteKey } from '../fhir/routes.js';
import {
  createReferral,
  readPatient,
  readQuestionnaire,
  readQuestionnaireResponse,
  readServiceRequest,
  readTask,
  recordCheckIn,
  requireValid,
  searchTasks,
  transactionResponse,
  type FhirResult,
} from '../fhir/service.js';
import { subscriptionDeps } from '../fhir/subscription-runtime.js';
import { readSubscription, registerSubscription, searchSubscriptions, subscriptionDeliveries } from '../fhir/subscriptions.js';
import type { Subscription } from '@medplum/fhirtypes';
import { callerOf, pathParam, queryOf, type HttpEvent } from '../shared/http.js';
import { runtimeDeps } from '../shared/runtime.js';

export const handler = fhirHandler(async (event) => {
  requireJsonAccepted(event);
  const base = baseUrlOf(event);
  const answer = (r: FhirResult) => fhirResponse(r.status, r.resource, r.location ? { location: `${base}/${r.location}` } : {});
  const route = event.routeKey as FhirRouteKey;
  if (route === 'GET /fhir/R4/metadata') return fhirResponse(200, capabilityStatement(base, true));
  const caller = callerOf(event);
  const deps = await runtimeDeps();
  const id = () => idParam(event);
  switch (route) {
    case 'POST /fhir/R4': {
      const result = await createReferral(deps, caller, fhirBody(event), 'transaction');
      return fhirResponse(200, transactionResponse(result), { location: `${base}/${result.location}` });
    }
    case 'POST /fhir/R4/Bundle': {
      const result = await createReferral(deps, caller, fhirBody(event), 'transaction');
      return fhirResponse(result.status, transactionResponse(result), { location: `${base}/${result.location}` });
    }
    case 'POST /fhir/R4/ServiceRequest':
      return answer(await createReferral(deps, caller, fhirBody(event), 'ServiceRequest'));
    case 'GET /fhir/R4/ServiceRequest/{id}':
      return answer(await readServiceRequest(deps, caller, id()));
    case 'GET /fhir/R4/Task':
      return answer(await searchTasks(deps, caller, queryOf(event), `${base}/Task${event.rawQueryString ? `?${event.rawQueryString}` : ''}`));
    case 'GET /fhir/R4/Task/{id}':
      return answer(await readTask(deps, caller, id()));
    case 'GET /fhir/R4/Patient/{id}':
      return answer(await readPatient(deps, caller, id()));
    case 'GET /fhir/R4/Questionnaire/{id}':
      return answer(readQuestionnaire(id()));
    case 'POST /fhir/R4/QuestionnaireResponse':
      return answer(await recordCheckIn(deps, caller, fhirBody(event)));
    case 'GET /fhir/R4/QuestionnaireResponse/{id}':
      return answer(await readQuestionnaireResponse(deps, caller, id()));
    case 'POST /fhir/R4/Subscription':
      return answer(await registerSubscription(await subscriptionDeps(), caller, await requireValid<Subscription>(fhirBody(event), 'Subscription')));
    case 'GET /fhir/R4/Subscription':
      return answer(await searchSubscriptions(await subscriptionDeps(), caller));
    case 'GET /fhir/R4/Subscription/{id}':
      return answer(await readSubscription(await subscriptionDeps(), caller, id()));
    case 'GET /fhir/R4/Subscription/{id}/deliveries':
      return answer(await subscriptionDeliveries(await subscriptionDeps(), caller, id()));
  }
  throw fhirNotFound('No such FHIR interaction.');
});

function idParam(event: HttpEvent): string {
  try {
    return pathParam(event, 'id');
  } catch {
    throw fhirNotFound();
  }
}
