// POST /patients/{patientId}/decisions
import { submitDecision } from '../app/decisions.js';
import { callerOf, httpHandler, jsonBody, pathParam } from '../shared/http.js';
import { runtimeDeps } from '../shared/runtime.js';

export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  const claims = event.requestContext?.authorizer?.jwt?.claims as Record<string, unknown> | undefined;
  const team = typeof claims?.['custom:team'] === 'string' ? claims['custom:team'] : undefined;
  const ifMatch = event.headers?.['if-match'] ?? event.headers?.['If-Match'];
  return submitDecision(await runtimeDeps(), caller, pathParam(event, 'patientId'), jsonBody(event), { ...(team ? { team } : {}), ...(ifMatch ? { ifMatch } : {}) });
});
