// GET /metrics/throughput, GET /metrics/sla, GET /audit and GET /audit/verify
import { getAudit, getThroughput } from '../app/queries.js';
import { getSlaReport } from '../app/sla-report.js';
import { callerOf, httpHandler, queryOf } from '../shared/http.js';
import { verifyPatientAudit } from './audit-verify.js';
import { runtimeDeps } from '../shared/runtime.js';

export const handler = httpHandler(async (event) => {
  const caller = callerOf(event);
  if (event.rawPath.endsWith('/metrics/throughput')) return getThroughput(await runtimeDeps(), caller, queryOf(event));
  if (event.rawPath.endsWith('/audit/verify')) return verifyPatientAudit(caller, queryOf(event));
  if (event.rawPath.endsWith('/metrics/sla')) return getSlaReport(await runtimeDeps(), caller, queryOf(event));
  return getAudit(await runtimeDeps(), caller, queryOf(event));
});
