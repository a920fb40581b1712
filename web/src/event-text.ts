// Audit events in plain language for the timeline and the audit trail: labels instead of internal
// values, and only the details a reader acts on (no message ids, step numbers or ARNs).
import type { TimelineEvent } from './api-types.js';
import { duration, formatDateTime, label } from './labels.js';

const withSeconds = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'medium' });
/** An event's time to the second: two events in the same minute stay apart. */
export const eventTime = (iso: string) => (Number.isNaN(Date.parse(iso)) ? iso : withSeconds.format(new Date(iso)));

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

const AUDIENCE: Record<string, string> = {
  team: 'the team',
  referrer: 'the referring doctor',
  referring_physician: 'the referring doctor',
  site_leads: 'the site lead',
  coordinators: 'the coordinators',
  administrators: 'the administrators',
  site_lead: 'the site lead',
};

/** One sentence of detail for an event, or '' when there is nothing a reader needs. */
export function eventDetails(e: Pick<TimelineEvent, 'action' | 'details' | 'stage'>): string {
  const d = e.details ?? {};
  const parts: string[] = [];
  switch (e.action) {
    case 'referral_received':
      if (str(d.site)) parts.push(`Site ${label(str(d.site))}`);
      if (str(d.urgency)) parts.push(label(str(d.urgency)));
      break;
    case 'stage_entered':
      if (str(d.from)) parts.push(`From ${label(str(d.from))}${str(d.causeOutcome) ? ` after “${label(str(d.causeOutcome))}”` : ''}`);
      if (str(d.dueAt)) parts.push(`due ${formatDateTime(str(d.dueAt))}`);
      break;
    case 'decision_recorded':
      if (str(d.outcome)) parts.push(label(str(d.outcome)));
      if (str(d.technique)) parts.push(label(str(d.technique)));
      if (str(d.procedure)) parts.push(label(str(d.procedure)));
      if (str(d.visit)) parts.push(`${label(str(d.visit))} visit`);
      if (d.overridesRecommendation === true) parts.push(`overrides the recommendation (${label(str(d.recommended))})`);
      if (str(d.reason)) parts.push(`reason: ${str(d.reason)}`);
      break;
    case 'notification_sent':
    case 'notification_failed': {
      const audience = str(d.audience);
      parts.push(`Email to ${audience ? (AUDIENCE[audience] ?? label(audience).toLowerCase()) : 'the team'}`);
      if (str(d.error)) parts.push(`could not be sent (${label(str(d.error))})`);
      break;
    }
    case 'hold_started':
    case 'hold_ended':
      if (str(d.reason)) parts.push(`${label(str(d.reason))} (${d.patientDriven ? 'patient-driven' : 'program-driven'})`);
      if (typeof d.days === 'number') parts.push(`${duration(d.days * 86_400_000)} on hold`);
      if (str(d.note)) parts.push(`note: ${str(d.note)}`);
      break;
    case 'withdrawn':
      if (str(d.reason)) parts.push(`reason: ${str(d.reason)}`);
      break;
    case 'status_changed':
      if (str(d.to)) parts.push(`${str(d.from) ? `${label(str(d.from))} → ` : ''}${label(str(d.to))}`);
      if (str(d.causeOutcome)) parts.push(`after “${label(str(d.causeOutcome))}”`);
      break;
    case 'reminder_sent':
    case 'overdue_escalated':
      if (str(d.dueAt)) parts.push(`was due ${formatDateTime(str(d.dueAt))}`);
      break;
    case 'pathway_failed':
      if (str(d.error)) parts.push(label(str(d.error)));
      break;
    default:
      break;
  }
  return parts.join(' · ');
}

/** "System", or "dr.x@example.org (physician)". */
export const actorText = (e: Pick<TimelineEvent, 'actor'>) => (e.actor.role === 'system' ? 'System' : `${e.actor.email || e.actor.sub} (${label(e.actor.role).toLowerCase()})`);
