// POST /patients/{patientId}/hold | /resume | /withdraw | /reopen
import { holdPatient, reopenPatient, resumePatient, withdrawPatient } from '../app/patient-actions.js';
import { notFound } from '../shared/errors.js';
import { callerOf, httpHandler, jsonBody, pathParam } from '../shared/http.js';
import { runtimeDeps } from '../shared/runtime.js';
// The transitions this handler delivers also reach FHIR subscribers and the event bus.
import '../fhir/pathway-event-sink.js';

const ACTIONS = { hold: holdPatient, resume: resumePatient, withdraw: withdrawPatient, reopen: reopenPatient } as const;

export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  const action = event.rawPath.split('/').at(-1) as keyof typeof ACTIONS;
  const run = ACTIONS[action];
  if (!run) throw notFound('No such action.');
  // Resume takes an empty object; an absent body counts as {}.
  const body = action === 'resume' && !event.body ? {} : jsonBody(event);
  return run(await runtimeDeps(), caller, pathParam(event, 'patientId'), body);
});
