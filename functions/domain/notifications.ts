// Who is told what at each transition, and the emails themselves. Pure. Emails carry the case
// reference, stage, the action needed, its due date and a link; never a patient's name, birth
// date, MRN or clinical findings (CONTRACT "Every transition").
import type { PathwayConfig } from './config.js';
import { stageLabel, stageOf, type PathwayDefinition } from './pathway.js';
import type { Status, TeamRole } from './vocabulary.js';

export type NotificationEvent =
  | { readonly kind: 'referral_received' }
  | { readonly kind: 'stage_entered'; readonly stage: string; readonly dueAt: string; readonly causeOutcome?: string; readonly causeStage?: string }
  | { readonly kind: 'closed'; readonly status: Exclude<Status, 'active' | 'on_hold'>; readonly stage: string }
  | { readonly kind: 'failure'; readonly failure: 'pathway' | 'notification'; readonly stage: string }
  | { readonly kind: 'overdue'; readonly level: 'reminder' | 'escalation'; readonly stage: string; readonly dueAt: string };

export interface NotificationSubject {
  readonly patientId: string;
  readonly caseRef: string;
  readonly site: string;
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

export function recipientsOf(team: TeamRole, site: string, config: PathwayConfig): string[] {
  const dir = config.teamDirectory;
  switch (team) {
    case 'neuroradiology':
      return [...((dir.neuroradiology as Record<string, readonly string[] | undefined>)[site] ?? [])];
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

/** The team told when `stage` opens (pathway definition), at the patient's site. */
export function teamRecipients(def: PathwayDefinition, stage: string, site: string, config: PathwayConfig): string[] {
  return recipientsOf(stageOf(def, stage).team, site, config);
}

const day = (iso: string) => iso.slice(0, 10);

/** Every email one transition sends. */
export function emailsFor(def: PathwayDefinition, event: NotificationEvent, subject: NotificationSubject, config: PathwayConfig): Email[] {
  const link = `${config.appBaseUrl.replace(/\/$/, '')}/patients/${encodeURIComponent(subject.patientId)}`;
  const mk = (template: string, audience: Audience, to: readonly string[], stage: string, action: string, due?: string): Email =>
    render({ template, audience, to, caseRef: subject.caseRef, label: stageLabel(def, stage), action, due, link });
  const dir = config.teamDirectory;
  switch (event.kind) {
    case 'referral_received': {
      const intake = def.intakeStage.id;
      const first = stageOf(def, def.firstStage);
      return [
        mk('referral_received.coordinators', 'coordinators', dir.coordinators, intake, `A new referral has arrived; ${first.label.toLowerCase()} has been opened for the ${first.team} team.`),
        mk('referral_received.referring_physician', 'referring_physician', [subject.referringPhysicianEmail], intake, 'Thank you: we have received your referral. Quote the case reference in any correspondence.'),
      ];
    }
    case 'stage_entered': {
      const s = stageOf(def, event.stage);
      const key = event.stage.toLowerCase();
      const out = [mk(`${key}.team`, 'team', teamRecipients(def, event.stage, subject.site, config), event.stage, s.action, event.dueAt)];
      for (const also of s.alsoTell ?? []) {
        if (also.audience !== s.team) out.push(mk(`${key}.${also.audience}`, also.audience, dir.coordinators, event.stage, also.action, event.dueAt));
      }
      const milestone = (s.referrerMilestones ?? []).find(
        (m) => (m.afterOutcome !== undefined && m.afterOutcome === event.causeOutcome) || (m.afterStage !== undefined && m.afterStage === event.causeStage),
      );
      if (milestone) {
        out.push(mk(`${key}.referring_physician`, 'referring_physician', [subject.referringPhysicianEmail], event.stage, milestone.message, milestone.withDueDate ? event.dueAt : undefined));
      }
      return out;
    }
    case 'closed':
      return [
        mk(`closed_${event.status}.coordinators`, 'coordinators', dir.coordinators, event.stage, CLOSED_TEXT[event.status]),
        mk(`closed_${event.status}.referring_physician`, 'referring_physician', [subject.referringPhysicianEmail], event.stage, CLOSED_TEXT[event.status]),
      ];
    case 'overdue': {
      const team = teamRecipients(def, event.stage, subject.site, config);
      const action = stageOf(def, event.stage).action;
      const key = event.stage.toLowerCase();
      if (event.level === 'reminder') {
        return [mk(`overdue_reminder.${key}.team`, 'team', team, event.stage, `Overdue: ${action}`, event.dueAt)];
      }
      return [
        mk(
          `overdue_escalation.${key}.site_lead`,
          'site_lead',
          [...((dir.siteLeads as Record<string, readonly string[] | undefined>)[subject.site] ?? []), ...team],
          event.stage,
          `Escalated: this decision is overdue past the escalation threshold. ${action}`,
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

function render(m: {
  template: string;
  audience: Audience;
  to: readonly string[];
  caseRef: string;
  label: string;
  action: string;
  due: string | undefined;
  link: string;
}): Email {
  const label = m.label;
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
