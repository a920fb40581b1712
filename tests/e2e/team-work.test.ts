// The team's daily work through the real local stack: a coordinator's morning (claim, book,
// note, chase, bulk-reassign), a physician working only their own queue, a referring doctor
// following their patient and answering a request for information, and a referring doctor
// trying to read someone else's patient.
import { DeleteItemCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { backfillReferrerLinks } from '../../functions/app/team-referrer.js';
import type { TeamDeps } from '../../functions/app/team-runtime.js';
import { ConfiguredDirectory } from '../../functions/domain/directory.js';
import { DEFAULT_CONFIG } from '../../functions/domain/config.js';
import { CARE_PATHWAY } from '../../functions/domain/pathway.js';
import { DEFAULT_TEAM_CONFIG } from '../../functions/domain/team-work.js';
import { keys, teamKeys } from '../../functions/store/table-layout.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dateIn, instantOf, nextWorkingDay } from '../../functions/domain/team-work.js';
import { systemClock, ulidIds } from '../../functions/shared/clock.js';
import { TeamStore } from '../../functions/store/team-store.js';
import { issueToken, type TokenRequest } from '../../local/auth.js';
import { acceptTriage, referralBody } from '../support/fixtures.js';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { conformanceOf, type Conformance } from '../support/openapi-conformance.js';
import { TEAM_ROUTE_KEYS } from '../../functions/api/team-routes.js';

const TZ = 'America/Los_Angeles';
let stack: LocalStackUnderTest;
const tokens = new Map<string, string>();
let openapi: Conformance;
/** `METHOD /template status` of every answer checked against the OpenAPI document. */
const conformed = new Set<string>();

beforeAll(async () => {
  // The sweep runs often, so the day-before booking reminder shows up while the test runs.
  stack = await LocalStackUnderTest.start({ LOCAL_SWEEP_INTERVAL_MS: '500' });
  openapi = await conformanceOf(stack.apiUrl);
});
afterAll(async () => {
  await stack?.stop();
});

async function as(req: TokenRequest): Promise<string> {
  const key = JSON.stringify(req);
  let t = tokens.get(key);
  if (!t) {
    t = await issueToken(stack.dataDir, req);
    tokens.set(key, t);
  }
  return t;
}
const casey = () => as({ role: 'coordinator', email: 'coordinator@example.org' });
const dana = () => as({ role: 'coordinator', email: 'coordinator.two@example.org' });
const ada = () => as({ role: 'physician', email: 'nr1.santa-clara@example.org' });
const ben = () => as({ role: 'physician', email: 'nr2.santa-clara@example.org' });
const cora = () => as({ role: 'physician', email: 'nr1.roseville-sacramento@example.org' });
const admin = () => as({ role: 'administrator', email: 'admin.team@example.org' });
const referrer = (email: string) => as({ role: 'referrer', email });

/** Every answer is checked against the schema the OpenAPI document gives for its route and status. */
async function call(token: string, method: string, path: string, body?: unknown) {
  const res = await stack.api(method, path, { token, ...(body === undefined ? {} : { body }) });
  const template = openapi.templateOf(method, path);
  if (!template) throw new Error(`${method} ${path} is not in the OpenAPI document`);
  if (res.status !== 204 && openapi.hasSchema(method, template, res.status)) {
    expect(openapi.errors(method, template, res.status, res.body), `${method} ${template} ${res.status}`).toEqual([]);
    conformed.add(`${method} ${template} ${res.status}`);
  } else if (res.status !== 204) {
    throw new Error(`the OpenAPI document gives no answer schema for ${method} ${template} ${res.status}`);
  }
  return res;
}

async function refer(overrides: Record<string, unknown> = {}): Promise<{ patientId: string; caseRef: string }> {
  const res = await call(await casey(), 'POST', '/referrals', referralBody(overrides));
  expect(res.status, res.text).toBe(201);
  await stack.waitForPending(res.body.patientId, 'TRIAGE');
  return res.body;
}

async function toMyelography(patientId: string): Promise<void> {
  expect((await call(await ada(), 'POST', `/patients/${patientId}/decisions`, acceptTriage())).status).toBe(202);
  await stack.waitForPending(patientId, 'IMAGING_SELECTION');
  const detail = await call(await ada(), 'GET', `/patients/${patientId}`);
  const technique = detail.body.recommendation.recommended as string;
  expect((await call(await ada(), 'POST', `/patients/${patientId}/decisions`, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique })).status).toBe(202);
  await stack.waitForPending(patientId, 'MYELOGRAPHY');
}

const localDynamo = () =>
  new DynamoDBClient({ endpoint: `http://127.0.0.1:${stack.ports.dynamodb}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });

const auditOf = async (patientId: string) => (await call(await admin(), 'GET', `/audit?patientId=${patientId}`)).body.items as { action: string; actor: { email: string; role: string }; details: Record<string, unknown> }[];

describe("a coordinator's morning", () => {
  let a: { patientId: string; caseRef: string };
  let b: { patientId: string; caseRef: string };

  beforeAll(async () => {
    a = await refer();
    b = await refer();
    await toMyelography(a.patientId);
    await toMyelography(b.patientId);
  });

  it('claims a case, which then appears on their list as its owner', async () => {
    const claimed = await call(await casey(), 'POST', `/patients/${a.patientId}/claim`);
    expect(claimed.status, claimed.text).toBe(200);
    expect(claimed.body.owner).toMatchObject({ email: 'coordinator@example.org', name: 'Casey Coordinator' });
    const mine = await call(await casey(), 'GET', '/work/mine');
    expect(mine.body.owned.map((r: { patientId: string }) => r.patientId)).toContain(a.patientId);
    expect((await auditOf(a.patientId)).filter((e) => e.action === 'owner_changed')).toEqual([
      expect.objectContaining({ actor: expect.objectContaining({ email: 'coordinator@example.org', role: 'coordinator' }), details: { from: null, to: 'coordinator@example.org' } }),
    ]);
  });

  it('hands a case to a colleague from the directory, and takes it back', async () => {
    const c = await refer();
    const directory = await call(await casey(), 'GET', '/directory');
    expect(directory.status).toBe(200);
    const colleague = (directory.body.items as { email: string; role: string }[]).find((m) => m.role === 'coordinator' && m.email === 'coordinator.two@example.org');
    expect(colleague).toBeDefined();
    const handed = await call(await casey(), 'POST', `/patients/${c.patientId}/owner`, { coordinator: colleague?.email });
    expect(handed.status, handed.text).toBe(200);
    expect(handed.body.owner).toMatchObject({ email: 'coordinator.two@example.org' });
    const refused = await call(await casey(), 'POST', `/patients/${c.patientId}/owner`, { coordinator: 'nr1.santa-clara@example.org' });
    expect(refused.status).toBe(400);
    const back = await call(await casey(), 'POST', `/patients/${c.patientId}/owner`, { coordinator: null });
    expect(back.body.owner).toBeNull();
  });

  it('sees both myelograms needing booking, books one, and only the other still needs booking', async () => {
    const before = await call(await casey(), 'GET', '/bookings?view=needs_booking');
    expect(before.body.unbooked.map((u: { patientId: string }) => u.patientId)).toEqual(expect.arrayContaining([a.patientId, b.patientId]));
    const tomorrow = nextWorkingDay(dateIn(TZ, new Date()), [0, 1, 2, 3, 4, 5, 6]);
    const startsAt = instantOf(TZ, tomorrow, '09:30').toISOString();
    const booked = await call(await casey(), 'POST', `/patients/${a.patientId}/bookings`, { kind: 'myelography', status: 'booked', startsAt, site: 'santa-clara', place: { kind: 'scanner', label: 'CT 2' } });
    expect(booked.status, booked.text).toBe(201);
    expect(booked.body).toMatchObject({ status: 'booked', startsAt, site: 'santa-clara', bookedBy: { email: 'coordinator@example.org' }, overdue: false });
    expect(booked.body.startsAtLocal).toMatch(/09:30 P[SD]T/);
    const after = await call(await casey(), 'GET', '/bookings?view=needs_booking');
    const unbooked = after.body.unbooked.map((u: { patientId: string }) => u.patientId);
    expect(unbooked).toContain(b.patientId);
    expect(unbooked).not.toContain(a.patientId);
  });

  it('refuses a booking without a time and place, and writes nothing', async () => {
    const res = await call(await casey(), 'POST', `/patients/${b.patientId}/bookings`, { kind: 'myelography', status: 'booked' });
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['site', 'startsAt']);
    const work = await call(await casey(), 'GET', `/patients/${b.patientId}/work`);
    expect(work.body.bookings).toEqual([]);
  });

  it('emails the team a reminder without any patient detail the working day before the booking', async () => {
    const mail = await stack.waitFor('booking reminder', async () => (await stack.inbox()).find((m) => m.subject.includes(a.caseRef) && m.subject.startsWith('Booked')));
    expect(mail.destination.to[0]).toBe('coordinators@example.org');
    // The local SES keeps only the first address of a message; the audit names every recipient.
    const reminder = await stack.waitFor('reminder audited', async () => (await auditOf(a.patientId)).find((e) => e.action === 'booking_reminder_sent'));
    expect(reminder.details.recipients).toEqual(['coordinators@example.org', 'coordinator@example.org']);
    expect(mail.body.text).toContain('myelography');
    expect(mail.body.text).toContain('CT 2');
    const detail = await call(await casey(), 'GET', `/patients/${a.patientId}`);
    for (const phi of [detail.body.patient.givenName, detail.body.patient.familyName, detail.body.patient.mrn, detail.body.patient.birthDate]) {
      expect(`${mail.subject}${mail.body.text}${mail.body.html}`).not.toContain(phi);
    }
  });

  it('adds a note that its author can correct at once; a colleague cannot, and the audit never holds the text', async () => {
    const added = await call(await casey(), 'POST', `/patients/${a.patientId}/notes`, { text: 'MDT: patient prefers morning slots; call mobile.' });
    expect(added.status, added.text).toBe(201);
    expect(added.body).toMatchObject({ editable: true, author: { email: 'coordinator@example.org' } });
    const fixed = await call(await casey(), 'PUT', `/patients/${a.patientId}/notes/${added.body.noteId}`, { text: 'MDT: patient prefers afternoon slots; call mobile.', rev: 1 });
    expect(fixed.status, fixed.text).toBe(200);
    expect(fixed.body.editedAt).not.toBeNull();
    const byColleague = await call(await dana(), 'PUT', `/patients/${a.patientId}/notes/${added.body.noteId}`, { text: 'overwritten', rev: 2 });
    expect(byColleague.status).toBe(403);
    const stale = await call(await casey(), 'PUT', `/patients/${a.patientId}/notes/${added.body.noteId}`, { text: 'from a stale tab', rev: 1 });
    expect(stale.status).toBe(409);
    const notes = await call(await dana(), 'GET', `/patients/${a.patientId}/notes`);
    expect(notes.body.items.map((n: { text: string }) => n.text)).toEqual(['MDT: patient prefers afternoon slots; call mobile.']);
    const audit = await auditOf(a.patientId);
    expect(audit.filter((e) => e.action === 'note_added' || e.action === 'note_edited').map((e) => e.details.noteId)).toEqual([added.body.noteId, added.body.noteId]);
    expect(JSON.stringify(audit)).not.toContain('slots');
    expect(stack.logs()).not.toContain('slots');
    const timeline = (await call(await casey(), 'GET', `/patients/${a.patientId}`)).body.timeline as { action: string }[];
    expect(timeline.map((e) => e.action)).toContain('note_added');
    // Team events are links of the patient's one audit hash chain, like the pathway's own.
    const chain = await call(await admin(), 'GET', `/audit/verify?patientId=${a.patientId}`);
    expect(chain.status, chain.text).toBe(200);
    expect(chain.body.intact).toBe(true);
    const noteEvents = (chain.body.events as { action: string; verdict: string }[]).filter((e) => e.action.startsWith('note_'));
    expect(noteEvents.map((e) => e.verdict)).toEqual(['ok', 'ok']);
  });

  it('refuses to change a note once its edit window has passed (409); the note stays as written', async () => {
    const team = new TeamStore(localDynamo(), stack.tables, systemClock, ulidIds);
    const noteId = ulidIds.next();
    const twentyMinutesAgo = new Date(Date.now() - 20 * 60_000).toISOString();
    await team.saveNote({ patientId: a.patientId, noteId, rev: 1, text: 'Phoned the outside hospital.', author: { sub: 'local-coordinator-coordinator@example.org', email: 'coordinator@example.org', role: 'coordinator' }, createdAt: twentyMinutesAgo, editedAt: null, sharedWithReferrer: false }, undefined, []);
    const res = await call(await casey(), 'PUT', `/patients/${a.patientId}/notes/${noteId}`, { text: 'changed later', rev: 1 });
    expect(res.status, res.text).toBe(409);
    expect((await team.getNote(a.patientId, noteId))?.text).toBe('Phoned the outside hospital.');
  });

  it('sets a follow-up date for today, which brings the case onto their follow-ups', async () => {
    const today = dateIn(TZ, new Date());
    const res = await call(await casey(), 'POST', `/patients/${a.patientId}/follow-up`, { on: today, reason: 'Chase outside records' });
    expect(res.status, res.text).toBe(200);
    const mine = await call(await casey(), 'GET', '/work/mine');
    expect(mine.body.followUpsDue.map((r: { patientId: string }) => r.patientId)).toContain(a.patientId);
    expect(JSON.stringify(await auditOf(a.patientId))).not.toContain('Chase outside records');
  });

  it('bulk-reassigns cases to a colleague who covers: each patient its own result, a bad id fails alone', async () => {
    const res = await call(await casey(), 'POST', '/bulk', { action: 'reassign_owner', patientIds: [a.patientId, b.patientId, '01ZZZZZZZZZZZZZZZZZZZZZZZZ'], coordinator: 'coordinator.two@example.org' });
    expect(res.status, res.text).toBe(200);
    expect(res.body).toMatchObject({ succeeded: 2, failed: 1 });
    expect(res.body.results).toEqual([
      { patientId: a.patientId, ok: true, status: 200 },
      { patientId: b.patientId, ok: true, status: 200 },
      expect.objectContaining({ patientId: '01ZZZZZZZZZZZZZZZZZZZZZZZZ', ok: false, status: 404 }),
    ]);
    const danas = await call(await dana(), 'GET', '/work/mine');
    expect(danas.body.owned.map((r: { patientId: string }) => r.patientId)).toEqual(expect.arrayContaining([a.patientId, b.patientId]));
    const caseys = await call(await casey(), 'GET', '/work/mine');
    expect(caseys.body.owned.map((r: { patientId: string }) => r.patientId)).not.toContain(a.patientId);
    expect((await auditOf(b.patientId)).filter((e) => e.action === 'owner_changed')).toHaveLength(1);
  });

  it('refuses a bulk reassignment to someone who is not a coordinator, changing nothing', async () => {
    const res = await call(await casey(), 'POST', '/bulk', { action: 'reassign_owner', patientIds: [a.patientId], coordinator: 'nr1.santa-clara@example.org' });
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toBe('coordinator');
    expect((await call(await casey(), 'GET', `/patients/${a.patientId}/work`)).body.owner.email).toBe('coordinator.two@example.org');
  });

  it('bulk-holds through the hold service: an already held patient fails with 409, the others are held', async () => {
    const c = await refer();
    const first = await call(await casey(), 'POST', '/bulk', { action: 'hold', patientIds: [c.patientId], reason: 'scanner_capacity' });
    expect(first.body.results).toEqual([{ patientId: c.patientId, ok: true, status: 202 }]);
    const again = await call(await casey(), 'POST', '/bulk', { action: 'hold', patientIds: [c.patientId, b.patientId], reason: 'scanner_capacity' });
    expect(again.body.results).toEqual([expect.objectContaining({ patientId: c.patientId, ok: false, status: 409 }), { patientId: b.patientId, ok: true, status: 202 }]);
    expect((await stack.store().getPatient(b.patientId))?.status).toBe('on_hold');
    expect((await auditOf(b.patientId)).filter((e) => e.action === 'hold_started')).toHaveLength(1);
  });

  it('records the booking result, and the administrators see per-owner and booking figures without PHI', async () => {
    const work = await call(await casey(), 'GET', `/patients/${a.patientId}/work`);
    const booking = work.body.bookings[0];
    const dna = await call(await casey(), 'PUT', `/patients/${a.patientId}/bookings/${booking.bookingId}`, { status: 'did_not_attend', rev: booking.rev });
    expect(dna.status, dna.text).toBe(200);
    const again = await call(await casey(), 'PUT', `/patients/${a.patientId}/bookings/${booking.bookingId}`, { status: 'booked', rev: dna.body.rev });
    expect(again.status).toBe(409);
    const month = new Date().toISOString().slice(0, 7);
    const metrics = await call(await admin(), 'GET', `/metrics/team?from=${month}&to=${month}`);
    expect(metrics.status, metrics.text).toBe(200);
    expect(metrics.body.owners).toEqual(expect.arrayContaining([expect.objectContaining({ owner: 'coordinator.two@example.org', openCases: 2 })]));
    expect(metrics.body.bookings).toMatchObject({ created: 1, booked: 1, didNotAttend: 1, didNotAttendRate: 1 });
    expect(metrics.text).not.toContain(work.body.caseRef);
    expect((await call(await casey(), 'GET', `/metrics/team?from=${month}&to=${month}`)).status).toBe(403);
  });
});

describe('a physician working only their own queue', () => {
  it("sees their team's unassigned decisions, claims one, and a colleague elsewhere never sees it", async () => {
    const p = await refer({ site: 'santa-clara' });
    const unassigned = await call(await ada(), 'GET', '/work/mine');
    expect(unassigned.body.me).toMatchObject({ team: 'neuroradiology', site: 'santa-clara' });
    expect(unassigned.body.teamUnassigned.map((r: { patientId: string }) => r.patientId)).toContain(p.patientId);
    const elsewhere = await call(await cora(), 'GET', '/work/mine');
    expect(elsewhere.body.teamUnassigned.map((r: { patientId: string }) => r.patientId)).not.toContain(p.patientId);

    const claimed = await call(await ada(), 'POST', `/patients/${p.patientId}/claim`);
    expect(claimed.status, claimed.text).toBe(200);
    expect(claimed.body.assignee).toMatchObject({ email: 'nr1.santa-clara@example.org' });
    const mine = await call(await ada(), 'GET', '/work/mine');
    expect(mine.body.assigned.map((r: { patientId: string }) => r.patientId)).toEqual([p.patientId]);
    expect(mine.body.teamUnassigned.map((r: { patientId: string }) => r.patientId)).not.toContain(p.patientId);
    const colleague = await call(await ben(), 'GET', '/work/mine');
    expect(colleague.body.teamUnassigned.map((r: { patientId: string }) => r.patientId)).not.toContain(p.patientId);
  });

  it('refuses to assign a decision to someone outside the deciding team (400), and reassigns within it', async () => {
    const p = await refer({ site: 'santa-clara' });
    const outside = await call(await casey(), 'POST', `/patients/${p.patientId}/assignee`, { clinician: 'nr1.roseville-sacramento@example.org' });
    expect(outside.status).toBe(400);
    expect(outside.body.error.issues[0]).toMatchObject({ path: 'clinician' });
    const work = await call(await casey(), 'GET', `/patients/${p.patientId}/work`);
    expect(work.body.assignee).toBeNull();
    expect(work.body.candidates.map((c: { email: string }) => c.email).sort()).toEqual(['nr1.santa-clara@example.org', 'nr2.santa-clara@example.org']);
    const inside = await call(await casey(), 'POST', `/patients/${p.patientId}/assignee`, { clinician: 'nr2.santa-clara@example.org', pendingDecisionId: work.body.pendingDecisionId });
    expect(inside.status, inside.text).toBe(200);
    expect((await call(await ben(), 'GET', '/work/mine')).body.assigned.map((r: { patientId: string }) => r.patientId)).toContain(p.patientId);
  });

  it('lets an assignment lapse when the decision is taken: the next stage starts unassigned', async () => {
    const p = await refer({ site: 'santa-clara' });
    expect((await call(await ada(), 'POST', `/patients/${p.patientId}/claim`)).status).toBe(200);
    expect((await call(await ada(), 'POST', `/patients/${p.patientId}/decisions`, acceptTriage())).status).toBe(202);
    await stack.waitForPending(p.patientId, 'IMAGING_SELECTION');
    const work = await call(await ada(), 'GET', `/patients/${p.patientId}/work`);
    expect(work.body.assignee).toBeNull();
    expect((await call(await ada(), 'GET', '/work/mine')).body.assigned.map((r: { patientId: string }) => r.patientId)).not.toContain(p.patientId);
  });
});

describe('a referring doctor', () => {
  const me = 'dr.follow@example.org';

  it('refers a patient, follows it, and answers a request for information, which lets triage go on', async () => {
    const body = referralBody({ referringPhysician: { name: 'Dr. Follow', email: me } });
    const created = await call(await referrer(me), 'POST', '/referrals', body);
    expect(created.status, created.text).toBe(201);
    const { patientId, caseRef } = created.body as { patientId: string; caseRef: string };
    await stack.waitForPending(patientId, 'TRIAGE');

    const list = await call(await referrer(me), 'GET', '/referrer/patients');
    expect(list.status, list.text).toBe(200);
    expect(list.body.items).toEqual([expect.objectContaining({ patientId, caseRef, stage: 'TRIAGE', status: 'active', informationRequest: null })]);

    const asked = await call(await ada(), 'POST', `/patients/${patientId}/decisions`, { stage: 'TRIAGE', outcome: 'request_info', reason: 'Please send the outside spine MRI report.' });
    expect(asked.status, asked.text).toBe(202);
    await stack.waitFor('triage again', async () => {
      const p = await stack.store().getPatient(patientId);
      return p?.pendingDecision?.stage === 'TRIAGE' && p.lastStep > 2 && p.taskToken && !p.decidedAt ? p : undefined;
    });
    await call(await casey(), 'POST', `/patients/${patientId}/notes`, { text: 'Internal: discussed at MDT.' });
    await call(await casey(), 'POST', `/patients/${patientId}/notes`, { text: 'We will call your patient to book.', sharedWithReferrer: true });

    const view = await call(await referrer(me), 'GET', `/referrer/patients/${patientId}`);
    expect(view.status, view.text).toBe(200);
    expect(view.body.informationRequest).toMatchObject({ asked: 'Please send the outside spine MRI report.', answeredAt: null });
    expect(view.body.nextStep).toMatch(/asked you for more information/);
    expect(view.body.sharedNotes.map((n: { text: string }) => n.text)).toEqual(['We will call your patient to book.']);
    expect(JSON.stringify(view.body)).not.toContain('Internal: discussed');
    expect(view.body).not.toHaveProperty('clinical');
    expect(view.body).not.toHaveProperty('timeline');

    const sent = await call(await referrer(me), 'POST', `/patients/${patientId}/information`, { text: 'MRI 2026-10-02: ventral epidural collection T4-T9.', attachments: [{ name: 'mri-report.txt', text: 'Findings: ventral collection.' }] });
    expect(sent.status, sent.text).toBe(201);
    const mail = await stack.waitFor('information email', async () => (await stack.inbox()).find((m) => m.subject === `Information received: ${caseRef}`));
    expect(mail.destination.to[0]).toBe('neuroradiology.santa-clara@example.org');
    expect(`${mail.body.text}${mail.body.html}`).not.toMatch(/ventral|MRI 2026|Synthetica|Testina/);
    const audit = await auditOf(patientId);
    expect(audit.find((e) => e.action === 'information_received')).toMatchObject({ actor: { email: me, role: 'referrer' }, details: expect.objectContaining({ attachments: 1 }) });
    expect(JSON.stringify(audit)).not.toContain('ventral epidural');

    const work = await call(await ada(), 'GET', `/patients/${patientId}/work`);
    expect(work.body.information.map((i: { text: string }) => i.text)).toEqual(['MRI 2026-10-02: ventral epidural collection T4-T9.']);
    // Information does not decide triage: the physician does, and the pathway goes on.
    expect((await stack.store().getPatient(patientId))?.pendingDecision?.stage).toBe('TRIAGE');
    expect((await call(await ada(), 'POST', `/patients/${patientId}/decisions`, acceptTriage())).status).toBe(202);
    await stack.waitForPending(patientId, 'IMAGING_SELECTION');
    const after = await call(await referrer(me), 'GET', `/referrer/patients/${patientId}`);
    expect(after.body).toMatchObject({ stage: 'IMAGING_SELECTION', informationRequest: null });
    expect((await call(await referrer(me), 'POST', `/patients/${patientId}/information`, { text: 'more' })).status).toBe(409);
  });

  it('may not refer on behalf of another doctor (400, nothing recorded)', async () => {
    const body = referralBody({ referringPhysician: { name: 'Dr. Someone Else', email: 'someone.else@example.org' } });
    const res = await call(await referrer(me), 'POST', '/referrals', body);
    expect(res.status).toBe(400);
    expect(res.body.error.issues[0].path).toBe('referringPhysician.email');
    expect(await stack.store().getReferral(body.referralId)).toBeUndefined();
  });

  it("gets 404 for another doctor's patient, exactly as for a patient that does not exist", async () => {
    const other = await refer({ referringPhysician: { name: 'Dr. Other', email: 'dr.other@example.org' } });
    const theirs = await call(await referrer(me), 'GET', `/referrer/patients/${other.patientId}`);
    const nobody = await call(await referrer(me), 'GET', '/referrer/patients/01HZZZZZZZZZZZZZZZZZZZZZZZ');
    expect(theirs.status).toBe(404);
    expect(nobody.status).toBe(404);
    expect(theirs.body).toEqual(nobody.body);
    expect((await call(await referrer(me), 'POST', `/patients/${other.patientId}/information`, { text: 'x' })).status).toBe(404);
    expect((await call(await referrer(me), 'GET', '/referrer/patients')).body.items.map((i: { patientId: string }) => i.patientId)).not.toContain(other.patientId);
    // The program's own routes stay closed to referrers.
    expect((await call(await referrer(me), 'GET', `/patients/${other.patientId}`)).status).toBe(403);
    expect((await call(await referrer(me), 'GET', `/patients/${other.patientId}/notes`)).status).toBe(403);
    expect((await call(await referrer(me), 'GET', '/patients')).status).toBe(403);
    // The other doctor sees their own patient.
    expect((await call(await referrer('dr.other@example.org'), 'GET', `/referrer/patients/${other.patientId}`)).status).toBe(200);
  });
});

describe('patients referred before the referrer index', () => {
  it('appear on their referring doctor’s list once the backfill has run', async () => {
    const email = 'dr.before@example.org';
    const p = await refer({ referringPhysician: { name: 'Dr. Before', email } });
    const key = { PK: teamKeys.referrerPartition({ email }), SK: teamKeys.patientSort(p.patientId) };
    await localDynamo().send(new DeleteItemCommand({ TableName: stack.tables.pathway, Key: { PK: { S: key.PK }, SK: { S: key.SK } } }));
    expect((await call(await referrer(email), 'GET', `/referrer/patients/${p.patientId}`)).status).toBe(404);
    const team = new TeamStore(localDynamo(), stack.tables, systemClock, ulidIds);
    const deps = { store: stack.store(), team, directory: new ConfiguredDirectory(DEFAULT_TEAM_CONFIG.directory), teamConfig: DEFAULT_TEAM_CONFIG, pathway: CARE_PATHWAY, config: DEFAULT_CONFIG, clock: systemClock, ids: ulidIds } as unknown as TeamDeps;
    expect(await backfillReferrerLinks(deps)).toBeGreaterThan(0);
    expect((await call(await referrer(email), 'GET', `/referrer/patients/${p.patientId}`)).status).toBe(200);
  });
});

describe('saved filters', () => {
  it('keeps each user their own filters: create, rename, delete; nobody else sees them', async () => {
    const created = await call(await casey(), 'POST', '/filters', { name: 'Santa Clara overdue', view: 'board', query: { site: 'santa-clara', overdue: 'true' } });
    expect(created.status, created.text).toBe(201);
    const renamed = await call(await casey(), 'PUT', `/filters/${created.body.filterId}`, { name: 'SC overdue', view: 'board', query: { site: 'santa-clara', overdue: 'true' } });
    expect(renamed.status).toBe(200);
    expect((await call(await casey(), 'GET', '/filters')).body.items.map((f: { name: string }) => f.name)).toEqual(['SC overdue']);
    expect((await call(await dana(), 'GET', '/filters')).body.items).toEqual([]);
    expect((await call(await dana(), 'DELETE', `/filters/${created.body.filterId}`)).status).toBe(404);
    expect((await call(await casey(), 'DELETE', `/filters/${created.body.filterId}`)).status).toBe(204);
    expect((await call(await casey(), 'GET', '/filters')).body.items).toEqual([]);
    const bad = await call(await casey(), 'POST', '/filters', { name: '', view: 'nowhere', query: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['name', 'view']);
  });
});

describe('emails about a pending decision', () => {
  /** Moves the pending decision's due date an hour into the past, as if its service level ran out. */
  async function dueAnHourAgo(patientId: string): Promise<void> {
    const dueAt = new Date(Date.now() - 3_600_000).toISOString();
    await localDynamo().send(
      new UpdateItemCommand({
        TableName: stack.tables.pathway,
        Key: { PK: { S: keys.patient(patientId).PK }, SK: { S: keys.patient(patientId).SK } },
        UpdateExpression: 'SET dueAt = :due, pendingDecision.dueAt = :due, GSI1SK = :sort, rev = rev + :one',
        ConditionExpression: 'attribute_exists(pendingDecision)',
        ExpressionAttributeValues: { ':due': { S: dueAt }, ':sort': { S: keys.worklistSort(dueAt, patientId) }, ':one': { N: '1' } },
      }),
    );
  }
  const overdueReminderTo = async (patientId: string) =>
    (await stack.waitFor(`overdue reminder of ${patientId}`, async () => (await auditOf(patientId)).find((e) => e.action === 'notification_sent' && String(e.details.template).startsWith('overdue_reminder.'))))
      .details.recipients;

  it('go to the clinician assigned the decision, and to the whole team when nobody is', async () => {
    const assigned = await refer({ site: 'santa-clara' });
    const unassigned = await refer({ site: 'santa-clara' });
    const work = await call(await casey(), 'GET', `/patients/${assigned.patientId}/work`);
    const assign = await call(await casey(), 'POST', `/patients/${assigned.patientId}/assignee`, { clinician: 'nr2.santa-clara@example.org', pendingDecisionId: work.body.pendingDecisionId });
    expect(assign.status, assign.text).toBe(200);

    await dueAnHourAgo(assigned.patientId);
    await dueAnHourAgo(unassigned.patientId);

    expect(await overdueReminderTo(assigned.patientId)).toEqual(['nr2.santa-clara@example.org']);
    expect(await overdueReminderTo(unassigned.patientId)).toEqual(DEFAULT_CONFIG.teamDirectory.neuroradiology['santa-clara']);
    const mail = (await stack.inbox()).filter((m) => m.subject.includes(assigned.caseRef) && (m.body.text ?? '').includes('Overdue:'));
    expect(mail.map((m) => m.destination.to)).toEqual([['nr2.santa-clara@example.org']]);
  });
});

describe('the OpenAPI document', () => {
  it('described the answer of every team route the tests above called, and they called every one', () => {
    const succeeded = new Set([...conformed].filter((k) => /\s2\d\d$/.test(k)).map((k) => k.replace(/\s\d+$/, '')));
    const missing = TEAM_ROUTE_KEYS.filter((key) => !key.startsWith('DELETE ') && !succeeded.has(key));
    expect(missing).toEqual([]);
  });
});
