// R11 red flags: urgent complications recorded at any stage (Cheema et al. 2023: subdural
// haematoma with mass effect, reduced consciousness, brain-sagging syndrome, cerebral venous
// thrombosis). The case becomes urgent, the pending decision is due within the urgent service
// level, and the team and the site lead get an "urgent review needed" email. Pure: the app
// service persists and sends what this decides.
import type { RedFlag } from './clinical-facts.js';
import type { PathwayConfig } from './config.js';
import type { ClinicalHistory, RedFlagRecord } from './history.js';
import { escapeHtml, teamRecipients, type Email } from './notifications.js';
import { isDecisionStage, type PathwayDefinition } from './pathway.js';

export interface RedFlagOutcome {
  readonly history: ClinicalHistory;
  /** The report now on record: the new one, or the earlier one a retry repeats. */
  readonly report: RedFlagRecord;
  /** False when every complication was already on record (a retried or repeated report). */
  readonly recorded: boolean;
}

/**
 * Record a red-flag report. A report naming only complications already on record is the same
 * report again (a retry, a double click): nothing new is recorded and the earlier report answers.
 */
export function applyRedFlags(
  history: ClinicalHistory,
  report: { readonly complications: readonly RedFlag[]; readonly note?: string },
  by: { readonly at: string; readonly sub: string },
): RedFlagOutcome {
  const earlier = history.redFlags ?? [];
  const known = new Set(earlier.flatMap((r) => r.complications));
  if (earlier.length > 0 && report.complications.every((c) => known.has(c))) {
    const repeated = earlier.findLast((r) => report.complications.some((c) => r.complications.includes(c))) ?? (earlier.at(-1) as RedFlagRecord);
    return { history, report: repeated, recorded: false };
  }
  const record: RedFlagRecord = {
    complications: [...new Set(report.complications)],
    at: by.at,
    by: by.sub,
    ...(report.note ? { note: report.note } : {}),
    emailClaimedAt: by.at,
  };
  return { history: { ...history, urgency: 'urgent', redFlags: [...earlier, record] }, report: record, recorded: true };
}

/** The pending decision's due date under the urgent service level: never later than it was. */
export function urgentDueAt(current: string | null, now: Date, config: Pick<PathwayConfig, 'urgentServiceLevelDays'>): string | null {
  if (current === null) return null;
  const urgent = new Date(now.getTime() + config.urgentServiceLevelDays * 86_400_000).toISOString();
  return urgent < current ? urgent : current;
}

/** Active red flags of the history (every complication ever reported, in report order). */
export function redFlagsOf(history: ClinicalHistory): RedFlag[] {
  return [...new Set((history.redFlags ?? []).flatMap((r) => r.complications))];
}

/**
 * The urgent-review email: to the team that acts on the patient's current stage (the site's
 * neuroradiology team before triage) and the site lead. PHI-free by design: case reference and
 * a link only; which complication was reported stays behind the sign-in.
 */
export function redFlagEmail(
  def: PathwayDefinition,
  subject: { readonly patientId: string; readonly caseRef: string; readonly site: string; readonly stage: string },
  config: PathwayConfig,
): Email {
  const team = teamRecipients(def, isDecisionStage(def, subject.stage) ? subject.stage : def.firstStage, subject.site, config);
  const leads = config.teamDirectory.siteLeads[subject.site as keyof typeof config.teamDirectory.siteLeads] ?? [];
  const link = `${config.appBaseUrl.replace(/\/$/, '')}/patients/${encodeURIComponent(subject.patientId)}`;
  const action = 'Urgent review needed: a complication needing urgent management has been recorded for this case. Review the patient today.';
  const text = [
    `Case reference: ${subject.caseRef}`,
    `Action needed: ${action}`,
    `Open the case: ${link}`,
    '',
    'This message carries no patient identifiers or clinical findings by design. Sign in to see the record.',
  ].join('\n');
  const e = escapeHtml;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
<h1 style="font-size:18px">Urgent review needed · ${e(subject.caseRef)}</h1>
<p><strong>Action needed:</strong> ${e(action)}</p>
<p><a href="${e(link)}">Open case ${e(subject.caseRef)}</a></p>
<p style="color:#555;font-size:12px">This message carries no patient identifiers or clinical findings by design. Sign in to see the record.</p>
</body></html>`;
  return {
    template: 'red_flag.urgent_review',
    audience: 'team',
    to: [...new Set([...leads, ...team])],
    subject: `[${subject.caseRef}] Urgent review needed`,
    text,
    html,
  };
}
