// Who a case waits on, and who may decide it, as the dashboard derives them from the pathway.
import { describe, expect, it } from 'vitest';
import { byPriority, isWaitingOnMe, mayDecide, waitingOn, waitingOnText, type Decider } from '../../web/src/waiting-on.js';

const physician = (site?: string, team?: Decider['team']): Decider => ({ role: 'physician', ...(site ? { site } : {}), ...(team ? { team } : {}) });
const coordinator: Decider = { role: 'coordinator' };
const item = (stage: string, site = 'santa-clara', extra: Record<string, unknown> = {}) =>
  ({ awaiting: { stage, role: stage === 'FOLLOW_UP' ? 'coordinator' : 'physician', ...extra }, site, status: 'active' }) as Parameters<typeof waitingOn>[0];

describe('who a case waits on', () => {
  it('names the neuroradiologists of the patient site for the diagnostic stages', () => {
    expect(waitingOnText(waitingOn(item('MYELOGRAPHY', 'roseville-sacramento'))!)).toBe('Neuroradiology, Roseville / Sacramento');
  });

  it('names the treating teams at their own sites, and the coordinators for follow-up', () => {
    expect(waitingOnText(waitingOn(item('TARGETED_PATCH'))!)).toBe('Neurointerventional radiology, Sacramento');
    expect(waitingOnText(waitingOn(item('NEUROSURGICAL_ESCALATION'))!)).toBe('Neurosurgery, Redwood City');
    expect(waitingOnText(waitingOn(item('FOLLOW_UP'))!)).toBe('Coordinators');
  });

  it('waits on the referring doctor after a request for information, and prefers the API team when it is sent', () => {
    expect(waitingOn(item('TRIAGE'), 'request_info')?.team).toBe('referrer');
    expect(waitingOn(item('TRIAGE', 'santa-clara', { team: 'neurosurgery', site: 'redwood-city' }))).toMatchObject({ team: 'neurosurgery', site: 'redwood-city' });
  });
});

describe('who may decide', () => {
  it('gives a Santa Clara neuroradiologist the Santa Clara triage, not a Roseville one', () => {
    const me = physician('santa-clara', 'neuroradiology');
    expect(mayDecide(me, waitingOn(item('TRIAGE'))!)).toBe(true);
    expect(mayDecide(me, waitingOn(item('TRIAGE', 'roseville-sacramento'))!)).toBe(false);
  });

  it('keeps the patch with neurointerventional radiology and the consult with neurosurgery', () => {
    expect(mayDecide(physician('sacramento', 'neurointerventional'), waitingOn(item('TARGETED_PATCH'))!)).toBe(true);
    expect(mayDecide(physician('redwood-city', 'neurosurgery'), waitingOn(item('TARGETED_PATCH'))!)).toBe(false);
    expect(mayDecide(physician('santa-clara', 'neuroradiology'), waitingOn(item('NEUROSURGICAL_ESCALATION'))!)).toBe(false);
  });

  it('lets a program physician with no team decide every clinical stage, as the contract defaults', () => {
    for (const stage of ['TRIAGE', 'TARGETED_PATCH', 'NEUROSURGICAL_ESCALATION']) expect(mayDecide(physician(), waitingOn(item(stage))!)).toBe(true);
  });

  it('shows follow-up check-ins as waiting on coordinators, and a referrer-bound triage as waiting on no one here', () => {
    expect(isWaitingOnMe(coordinator, waitingOn(item('FOLLOW_UP'))!)).toBe(true);
    expect(isWaitingOnMe(physician('santa-clara', 'neuroradiology'), waitingOn(item('FOLLOW_UP'))!)).toBe(false);
    expect(isWaitingOnMe(physician('santa-clara', 'neuroradiology'), waitingOn(item('TRIAGE'), 'request_info')!)).toBe(false);
    expect(mayDecide(coordinator, waitingOn(item('TRIAGE'))!)).toBe(false);
  });
});

describe('priority order', () => {
  it('puts overdue first, then urgent, then the nearest due date', () => {
    const p = (caseRef: string, overdue: boolean, urgency: 'routine' | 'urgent', dueAt: string) =>
      ({ patientId: caseRef, caseRef, stage: 'TRIAGE', status: 'active', site: 'santa-clara', stageEnteredAt: '', dueAt, overdue, awaiting: null, urgency }) as const;
    const sorted = [p('D', false, 'routine', '2026-12-01'), p('C', false, 'urgent', '2026-12-09'), p('B', true, 'routine', '2026-11-30'), p('A', false, 'routine', '2026-11-29')].sort(byPriority);
    expect(sorted.map((x) => x.caseRef)).toEqual(['B', 'C', 'A', 'D']);
  });
});
