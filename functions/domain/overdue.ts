// When a pending decision is overdue enough for a reminder (1) or an escalation to the site lead (2).
import type { PathwayConfig } from './config.js';

const DAY_MS = 86_400_000;

export function overdueLevel(dueAt: string, now: Date, overdue: PathwayConfig['overdue']): 0 | 1 | 2 {
  const late = (now.getTime() - Date.parse(dueAt)) / DAY_MS;
  if (late <= 0) return 0;
  if (late >= overdue.escalateAfterDays) return 2;
  return late >= overdue.reminderAfterDays ? 1 : 0;
}
