// Case notes (multidisciplinary discussion, phone calls): PHI that never leaves the product.
// The audit trail records that a note was added or corrected, by whom, and its id; never its
// text. Only the author may correct a note, within the configured window; then it is immutable.
import { createNoteSchema, editNoteSchema, noteEditRefusal } from '../domain/team-work.js';
import { ConcurrentUpdateError, conflict, forbidden, notFound } from '../shared/errors.js';
import { parse, type Caller, type HttpResult } from '../shared/http.js';
import type { Deps } from '../shared/runtime.js';
import type { Note } from '../store/team-store.js';
import { actorOf } from './actor.js';
import { caseOf, requireClinician } from './team-common.js';
import { teamDepsOf, type TeamDeps } from './team-runtime.js';

export function noteView(n: Note, editMinutes: number, callerSub: string, now: Date) {
  const editableUntil = new Date(Date.parse(n.createdAt) + editMinutes * 60_000).toISOString();
  return {
    noteId: n.noteId,
    rev: n.rev,
    text: n.text,
    author: { email: n.author.email, role: n.author.role },
    createdAt: n.createdAt,
    editedAt: n.editedAt,
    sharedWithReferrer: n.sharedWithReferrer,
    editableUntil,
    editable: noteEditRefusal(n, callerSub, now, editMinutes) === null,
  };
}

export async function patientNotes(t: TeamDeps, patientId: string, caller: Caller) {
  const now = t.clock.now();
  return (await t.team.patientNotes(patientId)).sort((a, b) => a.createdAt.localeCompare(b.createdAt)).map((n) => noteView(n, t.teamConfig.noteEditMinutes, caller.sub, now));
}

export async function addNote(deps: Deps, caller: Caller, patientId: string, body: unknown): Promise<HttpResult> {
  const role = requireClinician(caller, 'add case notes');
  const req = parse(createNoteSchema, body, 'note');
  const t = await teamDepsOf(deps);
  const p = await caseOf(t, patientId);
  const now = t.clock.now();
  const note: Note = {
    patientId,
    noteId: t.team.newId(),
    rev: 1,
    text: req.text,
    author: { sub: caller.sub, email: caller.email, role },
    createdAt: now.toISOString(),
    editedAt: null,
    sharedWithReferrer: req.sharedWithReferrer,
  };
  await t.team.saveNote(note, undefined, [
    { action: 'note_added', patientId, stage: p.stage, actor: actorOf(caller, role), details: { noteId: note.noteId, sharedWithReferrer: note.sharedWithReferrer } },
  ]);
  return { status: 201, body: noteView(note, t.teamConfig.noteEditMinutes, caller.sub, now) };
}

export async function editNote(deps: Deps, caller: Caller, patientId: string, noteId: string, body: unknown): Promise<HttpResult> {
  const role = requireClinician(caller, 'correct case notes');
  const req = parse(editNoteSchema, body, 'note');
  const t = await teamDepsOf(deps);
  const p = await caseOf(t, patientId);
  const current = await t.team.getNote(patientId, noteId);
  if (!current) throw notFound('No such note.');
  const now = t.clock.now();
  const refusal = noteEditRefusal(current, caller.sub, now, t.teamConfig.noteEditMinutes);
  if (refusal === 'not_author') throw forbidden('Only the author of a note may correct it.');
  if (refusal === 'window_closed') throw conflict(`A note can be corrected for ${t.teamConfig.noteEditMinutes} minutes after it was added; this one is now part of the record. Add a new note instead.`);
  if (current.rev !== req.rev) throw conflict('The note was changed in another tab; reload it and try again.');
  const next: Note = { ...current, rev: current.rev + 1, text: req.text, editedAt: now.toISOString(), sharedWithReferrer: req.sharedWithReferrer ?? current.sharedWithReferrer };
  try {
    await t.team.saveNote(next, current, [
      { action: 'note_edited', patientId, stage: p.stage, actor: actorOf(caller, role), details: { noteId, rev: next.rev, sharedWithReferrer: next.sharedWithReferrer } },
    ]);
  } catch (err) {
    if (err instanceof ConcurrentUpdateError) throw conflict('The note was changed in another tab; reload it and try again.');
    throw err;
  }
  return { status: 200, body: noteView(next, t.teamConfig.noteEditMinutes, caller.sub, now) };
}

export async function listNotes(deps: Deps, caller: Caller, patientId: string): Promise<HttpResult> {
  const role = requireClinician(caller, 'read case notes');
  const t = await teamDepsOf(deps);
  const p = await caseOf(t, patientId);
  await t.store.appendAudit([{ action: 'record_viewed', patientId, stage: p.stage, actor: actorOf(caller, role), details: { view: 'notes' } }]);
  return { status: 200, body: { items: await patientNotes(t, patientId, caller) } };
}
