// POST /patients/{patientId}/decisions
import { submitDecision } from '../app/decisions.js';
import { callerOf, httpHandler, jsonBody, pathParam } from '../shared/http.js';
import { runtimeDeps } from '../shared/runtime.js';

export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  return submitDecision(runtimeDeps(), caller, pathParam(event, 'patientId'), jsonBody(event));
});
