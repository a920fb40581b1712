// Human labels for the contract's vocabulary and dates. Values stay as the API spells them;
// only what is shown changes.
import { allStageIds, CARE_PATHWAY } from '../../functions/domain/pathway.js';
import type { AssociatedSymptom } from '../../functions/domain/clinical-facts.js';
import type { AuditAction } from '../../functions/domain/vocabulary.js';

const STAGES = allStageIds(CARE_PATHWAY);

const ACRONYMS: Record<string, string> = {
  ctm: 'CTM',
  dsm: 'DSM',
  ebp: 'EBP',
  cvf: 'CVF',
  ct: 'CT',
  mri: 'MRI',
  slec: 'SLEC',
  csf: 'CSF',
  ichd3: 'ICHD-3',
  hit6: 'HIT-6',
  pgic: 'PGIC',
};

const SPECIAL: Record<string, string> = {
  day1: 'Day 1',
  week1: 'Week 1',
  month3: 'Month 3',
  month12: 'Month 12',
  request_info: 'Request information',
  classic_immediate: 'Classic (immediate)',
  non_orthostatic: 'Not orthostatic',
  leak_found: 'Leak found',
  'santa-clara': 'Santa Clara',
  'roseville-sacramento': 'Roseville / Sacramento',
  sacramento: 'Sacramento',
  'redwood-city': 'Redwood City',
  not_met: 'Not met',
  insufficient_data: 'Insufficient data',
  fibrin_cvf_ct: 'CT-guided fibrin (CVF)',
  targeted_ebp_ct: 'Targeted EBP (CT)',
  targeted_ebp_fluoro: 'Targeted EBP (fluoroscopy)',
  lost_to_follow_up: 'Lost to follow-up',
  follow_up: 'Follow-up',
};

/** `IMAGING_SELECTION` -> "Imaging selection", `prone_dynamic_ctm` -> "Prone dynamic CTM". */
export function label(value: string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '—';
  const special = SPECIAL[value] ?? SPECIAL[value.toLowerCase()];
  if (special) return special;
  const words = value.toLowerCase().split(/[_\s]+/).filter(Boolean);
  return words
    .map((w, i) => ACRONYMS[w] ?? (i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w))
    .join(' ');
}

/** What each audit action reads as in the timeline and the audit trail. */
const ACTIONS: Record<AuditAction, string> = {
  referral_received: 'Referral received',
  stage_entered: 'Stage entered',
  recommendation_made: 'Recommendation made',
  decision_recorded: 'Decision recorded',
  notification_sent: 'Notification sent',
  notification_failed: 'Notification failed',
  hold_started: 'Hold started',
  hold_ended: 'Hold ended',
  withdrawn: 'Withdrawn',
  status_changed: 'Status changed',
  record_viewed: 'Record viewed',
  pathway_failed: 'Pathway failed',
  reminder_sent: 'Overdue reminder sent',
  overdue_escalated: 'Overdue, escalated to site lead',
  execution_continued: 'Pathway continued in a new execution',
  red_flag_recorded: 'Urgent complication recorded',
  episode_opened: 'Pathway reopened for a recurrence',
};

export function actionLabel(action: string): string {
  return (ACTIONS as Record<string, string | undefined>)[action] ?? label(action);
}

/** "v2" for pathway version "2"; null when the record names none. */
export function versionLabel(version: string | null | undefined): string | null {
  if (!version || version === 'undefined') return null;
  return /^\d+$/.test(version) ? `v${version}` : version;
}

/** Why a version is shown: a patient stays on the pathway definition it started with. */
export const VERSION_HINT = 'The pathway definition this patient runs on. New referrals start on the newest; patients already on the pathway finish on theirs.';

export const options = (values: readonly string[]) => values.map((v) => ({ value: v, label: label(v) }));

const dateTime = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat('en-US', { dateStyle: 'medium' });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateTime.format(d);
}

const timeOnly = new Intl.DateTimeFormat('en-US', { timeStyle: 'short' });

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : timeOnly.format(d);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  // A bare calendar date is shown as written, not shifted by the time zone.
  const d = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(`${iso}T12:00:00`) : new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dateOnly.format(d);
}

/** An audit detail for reading: timestamps in local time, objects as compact JSON. */
export function detailValue(v: unknown): string {
  if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(v)) return formatDateTime(v);
  if (v !== null && typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

/** "3 days", "5 hours", "12 min" for a length of time. */
export function duration(ms: number): string {
  const abs = Math.abs(ms);
  const [n, unit] = abs < 3_600_000 ? [Math.max(1, Math.round(abs / 60_000)), 'min'] : abs < 86_400_000 ? [Math.round(abs / 3_600_000), 'hour'] : [Math.round(abs / 86_400_000), 'day'];
  return unit === 'min' ? `${n} min` : `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** "in 3 days", "2 days ago", "in 5 hours", "12 min ago" for a due date. */
export function relativeDays(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const ms = Date.parse(iso) - now;
  return ms >= 0 ? `in ${duration(ms)}` : `${duration(ms)} ago`;
}

export const todayIso = (): string => {
  const d = new Date();
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
};

/**
 * A server message made readable: stage names and snake_case values become their labels
 * ("pending decision is for MYELOGRAPHY" -> "pending decision is for Myelography").
 */
export function plainMessage(message: string): string {
  return message
    .replace(/\b[A-Z]+(?:_[A-Z]+)*\b/g, (m) => (STAGES.includes(m) ? label(m) : m))
    .replace(/\b[a-z0-9]+(?:_[a-z0-9]+)+\b/g, (m) => {
      const l = label(m);
      return ACRONYMS[m.split('_')[0] ?? ''] ? l : l.charAt(0).toLowerCase() + l.slice(1);
    });
}

/** The associated symptoms as the referral form asks them and the patient page shows them. */
export const SYMPTOM_LABEL: Record<AssociatedSymptom, string> = {
  neck_pain: 'Neck pain or stiffness',
  interscapular_pain: 'Pain between the shoulder blades',
  tinnitus: 'Tinnitus',
  muffled_hearing: 'Muffled hearing',
  nausea_vomiting: 'Nausea or vomiting',
  dizziness: 'Dizziness',
  photophobia: 'Sensitivity to light',
  visual_disturbance: 'Visual disturbance',
  cognitive_symptoms: 'Cognitive symptoms (memory, concentration)',
};
