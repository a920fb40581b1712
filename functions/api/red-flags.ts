// POST /patients/{patientId}/red-flags
import { recordRedFlags } from '../app/red-flags.js';
import { callerOf, httpHandler, jsonBody, pathParam } from '../shared/http.js';
import { runtimeDeps } from '../shared/runtime.js';

export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  return recordRedFlags(await runtimeDeps(), caller, pathParam(event, 'patientId'), jsonBody(event));
});
