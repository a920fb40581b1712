// One case's work for the team: owner, assignee of the pending decision (and who could take it),
// follow-up date, bookings, notes and information from the referring doctor. A read of the
// patient's record, so it is audited like one.
import type { Caller, HttpResult } from '../shared/http.js';
import type { Deps } from '../shared/runtime.js';
import { actorOf } from './actor.js';
import { patientBookings } from './team-bookings.js';
import { caseOf, requireClinician } from './team-common.js';
import { patientNotes } from './team-notes.js';
import { teamDepsOf } from './team-runtime.js';
import { candidatesFor, workView } from './team-work.js';

export async function getCaseWork(deps: Deps, caller: Caller, patientId: string): Promise<HttpResult> {
  const role = requireClinician(caller, 'read case work');
  const t = await teamDepsOf(deps);
  const p = await caseOf(t, patientId);
  await t.store.appendAudit([{ action: 'record_viewed', patientId, stage: p.stage, actor: actorOf(caller, role), details: { view: 'work' } }]);
  const [work, bookings, notes, information, candidates] = await Promise.all([
    t.team.getWork(patientId),
    patientBookings(t, patientId),
    patientNotes(t, patientId, caller),
    t.team.patientInformation(patientId),
    candidatesFor(t, p),
  ]);
  return {
    status: 200,
    body: {
      patientId,
      caseRef: p.caseRef,
      stage: p.stage,
      status: p.status,
      timeZone: t.teamConfig.timeZone,
      noteEditMinutes: t.teamConfig.noteEditMinutes,
      ...workView(work, p),
      candidates,
      bookings,
      notes,
      information: information
        .sort((a, b) => a.receivedAt.localeCompare(b.receivedAt))
        .map((i) => ({ infoId: i.infoId, text: i.text, attachments: i.attachments, from: i.from.email, receivedAt: i.receivedAt })),
    },
  };
}
