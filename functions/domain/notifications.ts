// Who is told what at each transition, and the emails themselves. Pure. Emails carry the case
// reference, stage, the action needed, its due date and a link; never a patient's name, birth
// date, MRN or clinical findings (CONTRACT "Every transition").
import type { PathwayConfig } from './config.js';
import type { Site, Stage, Status } from './vocabulary.js';
import { ACTING_TEAM, type DecisionStage } from './vocabulary.js';

export type NotificationEvent =
  | { readonly kind: 'referral_received' }
  | { readonly kind: 'stage_entered'; readonly stage: DecisionStage; readonly dueAt: string; readonly causeOutcome?: string; readonly causeStage?: string }
  | { readonly kind: 'closed'; readonly status: Exclude<Status, 'active' | 'on_hold'>; readonly stage: Stage }
  | { readonly kind: 'failure'; readonly failure: 'pathway' | 'notification'; readonly stage: Stage }
  | { readonly kind: 'overdue'; readonly level: 'reminder' | 'escalation'; readonly stage: DecisionStage; readonly dueAt: string };

export interface NotificationSubject {
  readonly patientId: string;
  readonly caseRef: string;
  readonly site: Site;
  readonly referringPhysicianEmail: string;
}

export type Audience = 'team' | 'coordinators' | 'referring_physician' | 'administrators' | 'site_lead';

export interface Email {
  readonly template: string;
  readonly audience: Audience;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
  readonly html: string;
}

const STAGE_LABEL: Record<Stage, string> = {
  REFERRAL: 'Referral',
  TRIAGE: 'Triage',
  IMAGING_SELECTION: 'Imaging selection',
  MYELOGRAPHY: 'Myelography',
  TREATMENT_PLANNING: 'Treatment planning',
  TARGETED_PATCH: 'Targeted patch',
  NEUROSURGICAL_ESCALATION: 'Neurosurgical escalation',
  FOLLOW_UP: 'Follow-up',
};

const TEAM_ACTION: Record<DecisionStage, string> = {
  TRIAGE: 'Review the referral and the brain and spine MRI, then record the triage decision.',
  IMAGING_SELECTION: 'Confirm or override the recommended myelography technique.',
  MYELOGRAPHY: 'Schedule and perform the myelogram, then record the result.',
  TREATMENT_PLANNING: 'Hold the multidisciplinary review and record the treatment plan.',
  TARGETED_PATCH: 'Perform the planned procedure and record it.',
  NEUROSURGICAL_ESCALATION: 'Assess the patient for surgery and record the outcome.',
  FOLLOW_UP: 'Complete the scheduled follow-up check-in and record it.',
};

const CLOSED_TEXT: Record<Exclude<Status, 'active' | 'on_hold'>, string> = {
  completed: 'The care pathway is complete: follow-up has finished.',
  discharged: 'The patient has been discharged from the CSF leak pathway.',
  withdrawn: 'The referral has been withdrawn from the CSF leak pathway.',
  lost_to_follow_up: 'The patient has been marked lost to follow-up.',
  failed: 'The pathway stopped on a system failure; administrators have been alerted.',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

export function teamRecipients(stage: DecisionStage, site: Site, config: PathwayConfig): string[] {
  const dir = config.teamDirectory;
  switch (ACTING_TEAM[stage]) {
    case 'neuroradiology':
      return [...(dir.neuroradiology[site] ?? [])];
    case 'neurointerventional':
      return [...dir.neurointerventional.emails];
    case 'neurosurgery':
      return [...dir.neurosurgery.emails];
    case 'coordinators':
      return [...dir.coordinators];
    case 'administrators':
      return [...dir.administrators];
  }
}

const day = (iso: string) => iso.slice(0, 10);

/** Every email one transition sends. */
export function emailsFor(event: NotificationEvent, subject: NotificationSubject, config: PathwayConfig): Email[] {
  const link = `${config.appBaseUrl.replace(/\/$/, '')}/patients/${encodeURIComponent(subject.patientId)}`;
  const mk = (template: string, audience: Audience, to: readonly string[], stage: Stage, action: string, due?: string): Email =>
    render({ template, audience, to, caseRef: subject.caseRef, stage, action, due, link });
  const dir = config.teamDirectory;
  switch (event.kind) {
    case 'referral_received':
      return [
        mk('referral_received.coordinators', 'coordinators', dir.coordinators, 'REFERRAL', 'A new referral has arrived; triage has been opened for the neuroradiology team.'),
        mk('referral_received.referring_physician', 'referring_physician', [subject.referringPhysicianEmail], 'REFERRAL', 'Thank you: we have received your referral. Quote the case reference in any correspondence.'),
      ];
    case 'stage_entered': {
      const out = [
        mk(`${event.stage.toLowerCase()}.team`, 'team', teamRecipients(event.stage, subject.site, config), event.stage, TEAM_ACTION[event.stage], event.dueAt),
      ];
      if (event.stage === 'MYELOGRAPHY' && ACTING_TEAM.MYELOGRAPHY !== 'coordinators') {
        out.push(mk('myelography.coordinators', 'coordinators', dir.coordinators, event.stage, 'Book the myelogram with the neuroradiology team.', event.dueAt));
      }
      const milestone = referringMilestone(event);
      if (milestone) out.push(mk(`${event.stage.toLowerCase()}.referring_physician`, 'referring_physician', [subject.referringPhysicianEmail], event.stage, milestone, event.stage === 'TRIAGE' ? event.dueAt : undefined));
      return out;
    }
    case 'closed':
      return [
        mk(`closed_${event.status}.coordinators`, 'coordinators', dir.coordinators, event.stage, CLOSED_TEXT[event.status]),
        mk(`closed_${event.status}.referring_physician`, 'referring_physician', [subject.referringPhysicianEmail], event.stage, CLOSED_TEXT[event.status]),
      ];
    case 'overdue': {
      const team = teamRecipients(event.stage, subject.site, config);
      if (event.level === 'reminder') {
        return [mk(`overdue_reminder.${event.stage.toLowerCase()}.team`, 'team', team, event.stage, `Overdue: ${TEAM_ACTION[event.stage]}`, event.dueAt)];
      }
      return [
        mk(
          `overdue_escalation.${event.stage.toLowerCase()}.site_lead`,
          'site_lead',
          [...(dir.siteLeads[subject.site] ?? []), ...team],
          event.stage,
          `Escalated: this decision is overdue past the escalation threshold. ${TEAM_ACTION[event.stage]}`,
          event.dueAt,
        ),
      ];
    }
    case 'failure':
      return [
        mk(
          `failure_${event.failure}.administrators`,
          'administrators',
          dir.administrators,
          event.stage,
          event.failure === 'pathway'
            ? 'The pathway stopped on a failure that retries could not fix. Review the audit trail and the execution.'
            : 'A pathway email could not be delivered after retries. The pathway continued; review the audit trail.',
        ),
      ];
  }
}

/** The referring physician hears at milestones only, never about routine steps. */
function referringMilestone(event: Extract<NotificationEvent, { kind: 'stage_entered' }>): string | undefined {
  if (event.stage === 'TRIAGE' && event.causeOutcome === 'request_info') {
    return 'The triage team needs more information to decide on your referral. Please reply with the requested records; the team will contact you.';
  }
  if (event.stage === 'IMAGING_SELECTION' && event.causeStage === 'TRIAGE') return 'Your referral has been accepted; imaging is being planned.';
  if (event.stage === 'FOLLOW_UP' && (event.causeStage === 'TARGETED_PATCH' || event.causeStage === 'NEUROSURGICAL_ESCALATION')) {
    return 'Treatment has been performed; the patient now enters scheduled follow-up.';
  }
  return undefined;
}

function render(m: {
  template: string;
  audience: Audience;
  to: readonly string[];
  caseRef: string;
  stage: Stage;
  action: string;
  due: string | undefined;
  link: string;
}): Email {
  const label = STAGE_LABEL[m.stage];
  const dueLine = m.due ? `Due by: ${day(m.due)}` : undefined;
  const subject = `[${m.caseRef}] ${label}${m.due ? ` — action due ${day(m.due)}` : ''}`;
  const text = [
    `Case reference: ${m.caseRef}`,
    `Stage: ${label}`,
    `Action needed: ${m.action}`,
    ...(dueLine ? [dueLine] : []),
    `Open the case: ${m.link}`,
    '',
    'This message carries no patient identifiers by design. Sign in to see the record.',
  ].join('\n');
  const e = escapeHtml;
  const html = `<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.5">
<h1 style="font-size:18px">${e(label)} · ${e(m.caseRef)}</h1>
<p><strong>Action needed:</strong> ${e(m.action)}</p>
${m.due ? `<p><strong>Due by:</strong> ${e(day(m.due))}</p>` : ''}
<p><a href="${e(m.link)}">Open case ${e(m.caseRef)}</a></p>
<p style="color:#555;font-size:12px">This message carries no patient identifiers by design. Sign in to see the record.</p>
</body></html>`;
  return { template: m.template, audience: m.audience, to: [...new Set(m.to)], subject, text, html };
}
