import { emailsFor } from '../functions/domain/notifications.js';
import { CARE_PATHWAY } from '../functions/domain/pathway.js';
import { DEFAULT_CONFIG } from '../functions/domain/config.js';
const subject = { patientId: 'P', caseRef: 'C', site: 'santa-clara', referringPhysicianEmail: 'r@example.org' };
for (const ev of [{ kind: 'referral_received' }, { kind: 'stage_entered', stage: 'IMAGING_SELECTION', dueAt: 'x', cause: { stage: 'TRIAGE', outcome: 'accept' } }, { kind: 'closed', status: 'discharged' }] as any[]) {
  console.log(JSON.stringify(ev), emailsFor(CARE_PATHWAY, ev, subject, DEFAULT_CONFIG).map((e) => e.audience + ':' + e.to.join(',')));
}
