// Team analytics for administrators: open cases per owner, how long bookings take (to schedule
// -> booked, booked -> done) and the did-not-attend rate. Staff addresses and counts only; no PHI.
import { TERMINAL_STATUSES } from '../domain/vocabulary.js';
import { validationError } from '../shared/errors.js';
import { requireRole, type Caller, type HttpResult } from '../shared/http.js';
import type { Deps } from '../shared/runtime.js';
import { monthsInRange } from '../store/pathway-store.js';
import { teamDepsOf } from './team-runtime.js';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const round = (n: number) => Math.round(n * 10) / 10;

export async function teamMetrics(deps: Deps, caller: Caller, query: Record<string, string>): Promise<HttpResult> {
  requireRole(caller, ['administrator'], 'read team metrics');
  const t = await teamDepsOf(deps);
  const thisMonth = t.clock.now().toISOString().slice(0, 7);
  const from = query.from ?? thisMonth;
  const to = query.to ?? thisMonth;
  const issues = [...(!MONTH.test(from) ? [{ path: 'from', message: 'must be YYYY-MM' }] : []), ...(!MONTH.test(to) ? [{ path: 'to', message: 'must be YYYY-MM' }] : [])];
  if (issues.length) throw validationError('The query is invalid.', issues);
  if (from > to) throw validationError('The query is invalid.', [{ path: 'to', message: 'must not be before from' }]);
  const months = monthsInRange(from, to);
  if (months.length > 60) throw validationError('The query is invalid.', [{ path: 'from', message: 'range must be at most 60 months' }]);

  const coordinators = (await t.directory.members()).filter((m) => m.role === 'coordinator');
  const owners = [];
  for (const c of coordinators) {
    const links = await t.team.listOwned(c.email);
    const summaries = await t.team.summariesOf(links.map((l) => l.patientId));
    const works = await t.team.workOf(links.map((l) => l.patientId));
    const open = [...summaries.values()].filter((s) => !TERMINAL_STATUSES.includes(s.status) && (works.get(s.patientId)?.owner?.email ?? '').toLowerCase() === c.email.toLowerCase());
    owners.push({ owner: c.email, name: c.name, openCases: open.length, onHold: open.filter((s) => s.status === 'on_hold').length });
  }

  const totals: Record<string, number> = {};
  const byMonth = [];
  for (const month of months) {
    const m = await t.team.bookingMetrics(month);
    for (const [k, v] of Object.entries(m)) if (typeof v === 'number') totals[k] = (totals[k] ?? 0) + v;
    byMonth.push({ month, created: m.created ?? 0, booked: m.booked ?? 0, done: m.done ?? 0, didNotAttend: m.did_not_attend ?? 0, cancelled: m.cancelled ?? 0 });
  }
  const n = (k: string) => totals[k] ?? 0;
  const attendedOrNot = n('done') + n('did_not_attend');
  return {
    status: 200,
    body: {
      from,
      to,
      owners,
      bookings: {
        created: n('created'),
        booked: n('booked'),
        done: n('done'),
        cancelled: n('cancelled'),
        didNotAttend: n('did_not_attend'),
        meanHoursToBook: n('hoursToBookCount') ? round(n('hoursToBookSum') / n('hoursToBookCount')) : null,
        meanHoursBookedToDone: n('hoursToDoneCount') ? round(n('hoursToDoneSum') / n('hoursToDoneCount')) : null,
        didNotAttendRate: attendedOrNot ? round((100 * n('did_not_attend')) / attendedOrNot) / 100 : null,
      },
      byMonth,
    },
  };
}
