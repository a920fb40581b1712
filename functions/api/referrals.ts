// POST /referrals
import { submitReferral } from '../app/intake.js';
import { callerOf, httpHandler, jsonBody } from '../shared/http.js';
import { runtimeDeps } from '../shared/runtime.js';

export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  return submitReferral(await runtimeDeps(), caller, jsonBody(event));
});
