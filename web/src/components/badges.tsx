import { Badge, Group } from '@mantine/core';
import type { Hold } from '../api-types.js';
import { label } from '../labels.js';

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

/** Status (unless plainly active), hold and overdue flags, side by side. */
export function PatientFlags({ status, overdue, hold, showActive = false }: { status: string; overdue: boolean; hold?: Hold | null; showActive?: boolean }) {
  return (
    <Group gap={6} wrap="wrap">
      {(showActive || status !== 'active') && status !== 'on_hold' ? <StatusBadge status={status} /> : null}
      {status === 'on_hold' ? (
        <Badge variant="filled" color="yellow.3" c="dark.8" radius="sm">
          On hold{hold ? `: ${label(hold.reason)}` : ''}
        </Badge>
      ) : null}
      {overdue ? (
        <Badge variant="filled" color="red.8" radius="sm">
          Overdue
        </Badge>
      ) : null}
    </Group>
  );
}
