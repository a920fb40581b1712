// PHI-free emails of team work: case reference, what happened and a link; never a name, a
// finding or the text a user wrote.
import type { Mailer } from '../shared/mailer.js';

export const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);

export async function sendInformationReceived(mailer: Mailer, to: readonly string[], c: { patientId: string; caseRef: string; infoId: string }, link: string): Promise<string> {
  const { caseRef } = c;
  return mailer.send({
    patientId: c.patientId,
    key: `information.${c.infoId}`,
    to,
    subject: `Information received: ${caseRef}`,
    text: `The referring doctor sent the information the program asked for on ${caseRef}.\nOpen the case to read it and continue triage: ${link}\n`,
    html: `<p>The referring doctor sent the information the program asked for on <strong>${escapeHtml(caseRef)}</strong>.</p><p><a href="${escapeHtml(link)}">Open the case</a> to read it and continue triage.</p>`,
  });
}
