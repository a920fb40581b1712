import { Badge, Group } from '@mantine/core';
import type { Hold } from '../api-types.js';
import { duration, formatDate, label, relativeDays } from '../labels.js';

// Text colours are set by the theme to shade 9 (main.tsx): at least 4.5:1 on the light fills.
const STATUS_COLOR: Record<string, string> = {
  active: 'green',
  on_hold: 'yellow',
  completed: 'teal',
  discharged: 'gray',
  withdrawn: 'gray',
  lost_to_follow_up: 'orange',
  failed: 'red',
};

export const StageBadge = ({ stage }: { stage: string }) => (
  <Badge variant="light" color="blue" radius="sm">
    {label(stage)}
  </Badge>
);

export const StatusBadge = ({ status }: { status: string }) => (
  <Badge variant="light" color={STATUS_COLOR[status] ?? 'gray'} radius="sm">
    {label(status)}
  </Badge>
);

export const UrgencyBadge = ({ urgency }: { urgency: string | undefined }) =>
  urgency === 'urgent' ? (
    <Badge variant="outline" color="red.9" radius="sm" data-testid="urgent">
      Urgent
    </Badge>
  ) : null;

/** Status (unless plainly active), hold and overdue flags, side by side. */
export function PatientFlags({ status, overdue, hold, showActive = false }: { status: string; overdue: boolean; hold?: Hold | null; showActive?: boolean }) {
  return (
    <Group gap={6} wrap="wrap">
      {(showActive || status !== 'active') && status !== 'on_hold' ? <StatusBadge status={status} /> : null}
      {status === 'on_hold' ? (
        <Badge variant="filled" color="yellow.3" c="dark.8" radius="sm" style={{ maxWidth: '100%' }}>
          On hold{hold ? `: ${label(hold.reason)}` : ''}
        </Badge>
      ) : null}
      {overdue ? (
        <Badge variant="filled" color="red.9" radius="sm">
          Overdue
        </Badge>
      ) : null}
    </Group>
  );
}

/**
 * The time a held decision has left once resumed: the clock stopped when the hold began, and on
 * resume the due date moves on by the time on hold.
 */
export function holdClock(dueAt: string | null, hold: Hold): string {
  if (!dueAt) return 'Clock stopped';
  const left = Date.parse(dueAt) - Date.parse(hold.since);
  return left >= 0 ? `Clock stopped · ${duration(left)} left when resumed` : `Clock stopped · ${duration(left)} overdue when resumed`;
}

export function expectedResume(hold: Hold): string | null {
  return hold.expectedResumeOn ? `expected to resume ${formatDate(hold.expectedResumeOn)}` : null;
}

/** "Due Dec 9 (in 6 days)", or, on hold, "Clock stopped · 6 days left when resumed". */
export function DueText({ item }: { item: { dueAt: string | null; status: string; hold?: Hold | null } }) {
  if (item.status === 'on_hold' && item.hold) {
    const resume = expectedResume(item.hold);
    return (
      <span data-testid="due">
        {holdClock(item.dueAt, item.hold)}
        {resume ? ` · ${resume}` : ''}
      </span>
    );
  }
  if (!item.dueAt || item.status !== 'active') return null;
  return (
    <span data-testid="due">
      Due {formatDate(item.dueAt)} ({relativeDays(item.dueAt)})
    </span>
  );
}
