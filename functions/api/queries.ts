// GET /patients and GET /patients/{patientId}
import { getPatient, listPatients } from '../app/queries.js';
import { callerOf, httpHandler, pathParam, queryOf } from '../shared/http.js';
import { runtimeDeps } from '../shared/runtime.js';

export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  if (event.pathParameters?.patientId !== undefined) return getPatient(await runtimeDeps(), caller, pathParam(event, 'patientId'));
  return listPatients(await runtimeDeps(), caller, queryOf(event));
});
