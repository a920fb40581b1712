// npm run audit:verify -- <patientId>
// Asks GET /audit/verify of the running stack whether a patient's audit chain is intact, prints
// which events verify and where the chain breaks, and exits 1 if it does. Locally it signs in as an
// administrator with the stack's key; against the cloud, set API_URL and TOKEN (an administrator's).
import { issueToken } from './auth.js';
import { localSettings } from './settings.js';

const patientId = process.argv[2];
if (!patientId) {
  console.error('usage: npm run audit:verify -- <patientId>');
  process.exit(2);
}
const settings = localSettings();
const apiUrl = process.env.API_URL ?? `http://${settings.host}:${settings.apiPort}`;
const token = process.env.TOKEN ?? (await issueToken(settings.dataDir, { role: 'administrator' }));
const res = await fetch(`${apiUrl}/audit/verify?patientId=${encodeURIComponent(patientId)}`, { headers: { authorization: `Bearer ${token}` } });
const body = (await res.json()) as {
  error?: { message: string };
  total: number;
  verified: number;
  intact: boolean;
  firstBreak: { index: number; eventId: string; at: string; verdict: string } | null;
  events: { eventId: string; at: string; action: string; verdict: string }[];
};
if (res.status !== 200) {
  console.error(`audit:verify: ${res.status} ${body.error?.message ?? ''}`);
  process.exit(2);
}
for (const e of body.events) console.log(`${e.verdict === 'ok' ? 'ok    ' : 'BROKEN'}  ${e.at}  ${e.eventId}  ${e.action}${e.verdict === 'ok' ? '' : `  (${e.verdict})`}`);
console.log(
  body.intact
    ? `intact: ${body.verified} of ${body.total} events verify`
    : `BROKEN at event ${(body.firstBreak?.index ?? 0) + 1} of ${body.total} (${body.firstBreak?.eventId}, ${body.firstBreak?.verdict}); ${body.verified} verify`,
);
process.exit(body.intact ? 0 : 1);
