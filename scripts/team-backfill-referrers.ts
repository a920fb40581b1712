// Indexes the patients referred before the referrer index existed under their referring doctor
// (idempotent). Locally: DATA_DIR-less, against a running `npm start`, with the same environment
// variables the stack sets (AWS_ENDPOINT_URL_DYNAMODB, PATHWAY_TABLE_NAME, AUDIT_TABLE_NAME).
import { backfillReferrerLinks } from '../functions/app/team-referrer.js';
import { runtimeDeps } from '../functions/shared/runtime.js';

const linked = await backfillReferrerLinks(await runtimeDeps());
process.stdout.write(`${linked} patients indexed under their referring doctor\n`);
