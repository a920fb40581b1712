// The pathway's state changes (functions/domain/record.ts) and the application services around
// them, with in-memory fakes for the store, the mailer and the workflow engine: no servers.
import { describe, expect, it } from 'vitest';
import { submitDecision } from '../../functions/app/decisions.js';
import { enterStage } from '../../functions/app/enter-stage.js';
import { deliverOutbox, pathwayEventSinks, type PathwayEvent } from '../../functions/app/outbox.js';
import { DEFAULT_CONFIG, type PathwayConfig } from '../../functions/domain/config.js';
import { recommendationFor } from '../../functions/domain/decision-checks.js';
import { emptyHistory } from '../../functions/domain/history.js';
import { CARE_PATHWAY, awaitingFor, decisionForms, mayRecordDecision } from '../../functions/domain/pathway.js';
import {
  attachTask,
  hold,
  openFirstStage,
  PathwayRuleError,
  recordDecision,
  resume,
  withdraw,
  type Ctx,
  type PatientRecord,
} from '../../functions/domain/record.js';
import { ApiError, ConcurrentUpdateError, MailRejectedError, TransientError } from '../../functions/shared/errors.js';
import type { Mailer, MailMessage } from '../../functions/shared/mailer.js';
import type { Deps } from '../../functions/shared/runtime.js';
import { FakeWorkflowEngine } from '../../functions/shared/workflow-engine.js';
import type { AuditEventInput } from '../../functions/store/pathway-store.js';
import { acceptTriage } from '../support/fixtures.js';

const ID = '01JCSFENGXNE00000000000000';
let n = 0;
const ctx = (now = new Date('2026-11-26T10:00:00Z'), config: PathwayConfig = DEFAULT_CONFIG): Ctx => ({
  def: CARE_PATHWAY,
  config,
  now,
  newId: () => `id-${++n}`,
  recommend: (stage, history) => recommendationFor(config, stage as never, history),
});
const coordinator = { sub: 'c-1', email: 'coordinator@example.org', role: 'coordinator' as const };
const physician = { sub: 'dr-1', email: 'dr@example.org', role: 'physician' as const };

function referred(): PatientRecord {
  return {
    rev: 1,
    patientId: ID,
    caseRef: 'CSF-2026-000042',
    referralId: 'REF-42',
    referralHash: 'h',
    createdAt: '2026-11-26T09:00:00.000Z',
    site: 'santa-clara',
    urgency: 'routine',
    patient: { mrn: 'SYN42', givenName: 'Testina', familyName: 'Synthetica', birthDate: '1984-03-14', sex: 'female' },
    referringPhysician: { name: 'Dr. Example', email: 'referrer@example.org' },
    referral: { symptomOnset: '2026-10-01', orthostaticPattern: 'classic_immediate', duralPunctureWithin30Days: false, priorSpinalProcedure: false, urgency: 'routine' },
    stage: 'REFERRAL',
    status: 'active',
    stageEnteredAt: '2026-11-26T09:00:00.000Z',
    dueAt: null,
    awaiting: null,
    pathwayVersion: '1',
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:CarePathway:${ID}`,
    executionStarted: true,
    history: emptyHistory({ orthostaticPattern: 'classic_immediate', duralPunctureWithin30Days: false, priorSpinalProcedure: false, urgency: 'routine' }),
    lastStep: 1,
    lastTransition: null,
    notified: { step: 1, templates: [] },
    outbox: [],
    pendingDecision: null,
    taskToken: null,
    decidedAt: null,
    decisionOutput: null,
    holdDaysInStage: 0,
  };
}

/** At triage, announced, the execution waiting on `token`. */
const atTriage = (token = 'token-1') => attachTask({ ...openFirstStage(ctx(), referred()).next, outbox: [] }, token);

describe('the pathway record', () => {
  it('opens the first stage with a pending decision, its due date and its announcement queued', () => {
    const { next, events, counters } = openFirstStage(ctx(), referred());
    expect(next.stage).toBe('TRIAGE');
    expect(next.pendingDecision).toMatchObject({ stage: 'TRIAGE', allowedOutcomes: ['accept', 'decline', 'request_info'], step: 2, dueAt: '2026-12-03T10:00:00.000Z' });
    expect(next.outbox?.map((q) => q.event.kind)).toEqual(['stage_entered']);
    expect(events.map((e) => e.action)).toEqual(['stage_entered', 'recommendation_made']);
    expect(counters.map((c) => c.add)).toEqual(expect.arrayContaining([{ entered: 1 }]));
  });

  it('records a decision and enters its destination in one change, with a new pending decision id', () => {
    const before = atTriage();
    const { next, events, handOff } = recordDecision(ctx(), before, acceptTriage() as never, physician, {});
    expect(next.stage).toBe('IMAGING_SELECTION');
    expect(next.pendingDecision?.id).not.toBe(before.pendingDecision?.id);
    expect(next.decidedAt).not.toBeNull();
    expect(events.map((e) => e.action)).toEqual(['decision_recorded', 'stage_entered', 'recommendation_made']);
    expect(handOff).toMatchObject({ stage: 'TRIAGE', outcome: 'accept', step: 3, continueAsNew: false });
  });

  it('gives every pass of a loop a new pending decision id', () => {
    const first = atTriage();
    const again = recordDecision(ctx(), first, { stage: 'TRIAGE', outcome: 'request_info', reason: 'Outside MRI' }, physician, {}).next;
    expect(again.stage).toBe('TRIAGE');
    expect(again.pendingDecision?.id).not.toBe(first.pendingDecision?.id);
    expect(again.awaiting).toMatchObject({ stage: 'TRIAGE', team: 'referrer' });
  });

  it('refuses a decision that names a pending decision no longer pending, and one while the record moves on', () => {
    const p = atTriage();
    expect(() => recordDecision(ctx(), p, { ...acceptTriage(), pendingDecisionId: 'an-old-one' } as never, physician, {})).toThrow(PathwayRuleError);
    const moved = recordDecision(ctx(), p, acceptTriage() as never, physician, {}).next;
    expect(() => recordDecision(ctx(), moved, { stage: 'IMAGING_SELECTION', outcome: 'override', technique: 'decubitus_ctm', reason: 'x' }, physician, {})).toThrow(/moving on/);
  });

  it('closes a declined referral as discharged and announces the closure', () => {
    const { next } = recordDecision(ctx(), atTriage(), { stage: 'TRIAGE', outcome: 'decline', reason: 'Other diagnosis' }, physician, {});
    expect(next.status).toBe('discharged');
    expect(next.pendingDecision).toBeNull();
    expect(next.outbox?.map((q) => q.event)).toEqual([{ kind: 'closed', status: 'discharged', stage: 'TRIAGE' }]);
  });

  it('blocks decisions on hold and moves the due date by the time on hold on resume', () => {
    const p = atTriage();
    const held = hold(ctx(), p, 'travel', undefined, coordinator).next;
    expect(() => recordDecision(ctx(), held, acceptTriage() as never, physician, {})).toThrow(/on hold/);
    const resumed = resume(ctx(new Date('2026-11-28T10:00:00Z')), held, coordinator).next;
    expect(resumed.pendingDecision?.dueAt).toBe('2026-12-05T10:00:00.000Z');
    expect(resumed.holdDaysInStage).toBe(2);
  });

  it('withdraws once, drops a stage announcement not yet sent, and hands the engine the withdrawal', () => {
    const moving = recordDecision(ctx(), atTriage(), acceptTriage() as never, physician, {}).next;
    const { next, events } = withdraw(ctx(), moving, 'Patient moved away', coordinator);
    expect(next.status).toBe('withdrawn');
    expect(next.outbox?.map((q) => q.event)).toEqual([{ kind: 'closed', status: 'withdrawn', stage: 'IMAGING_SELECTION' }]);
    expect(next.decisionOutput).toEqual({ control: 'withdraw' });
    expect(events.map((e) => e.action)).toEqual(['withdrawn', 'status_changed']);
    expect(() => withdraw(ctx(), next, 'again', coordinator)).toThrow(/already withdrawn/);
  });

  it('says who the case waits on: the deciding role, the team and the team site', () => {
    expect(awaitingFor(CARE_PATHWAY, DEFAULT_CONFIG, 'TRIAGE', 'roseville-sacramento', null)).toEqual({ stage: 'TRIAGE', role: 'physician', team: 'neuroradiology', site: 'roseville-sacramento' });
    expect(awaitingFor(CARE_PATHWAY, DEFAULT_CONFIG, 'TARGETED_PATCH', 'santa-clara', null)).toEqual({ stage: 'TARGETED_PATCH', role: 'physician', team: 'neurointerventional', site: 'sacramento' });
    expect(awaitingFor(CARE_PATHWAY, DEFAULT_CONFIG, 'FOLLOW_UP', 'santa-clara', null)).toMatchObject({ role: 'physician', team: 'coordinators' });
  });

  it('exports the decision-form metadata of every stage from the definition', () => {
    const forms = decisionForms(CARE_PATHWAY, { ...DEFAULT_CONFIG, deciderTeams: { TARGETED_PATCH: ['neurointerventional'] } });
    expect(forms.map((f) => f.stage)).toEqual(CARE_PATHWAY.stages.map((s) => s.id));
    expect(forms.find((f) => f.stage === 'TARGETED_PATCH')).toMatchObject({ label: 'Targeted patch', deciderTeams: ['neurointerventional'] });
    expect(forms.find((f) => f.stage === 'TRIAGE')?.outcomes[0]).toEqual({ id: 'accept', label: 'Accept', requires: ['brainMri', 'spineMri', 'ichd3'] });
  });
});

// ---- application services on fakes

class MemoryStore {
  records = new Map<string, PatientRecord>();
  audit: AuditEventInput[] = [];
  async getPatient(id: string) {
    return this.records.get(id);
  }
  async savePatient(next: PatientRecord, rev: number | 'new', events: readonly AuditEventInput[] = []) {
    const cur = this.records.get(next.patientId);
    if ((rev === 'new' && cur) || (rev !== 'new' && cur?.rev !== rev)) throw new ConcurrentUpdateError('changed');
    this.records.set(next.patientId, next);
    this.audit.push(...events);
    return [];
  }
  async appendAudit(events: readonly AuditEventInput[]) {
    this.audit.push(...events);
    return [];
  }
}

class FakeMailer implements Mailer {
  sent: MailMessage[] = [];
  constructor(private readonly refuse: (m: MailMessage) => boolean = () => false) {}
  async send(m: MailMessage) {
    if (this.refuse(m)) throw new MailRejectedError('refused');
    this.sent.push(m);
    return `m-${this.sent.length}`;
  }
}

function depsWith<M extends Mailer = FakeMailer>(record: PatientRecord, mailer: M = new FakeMailer() as unknown as M, config: PathwayConfig = DEFAULT_CONFIG) {
  const store = new MemoryStore();
  store.records.set(record.patientId, record);
  const engine = new FakeWorkflowEngine();
  const deps = { store, mailer, engine, clock: { now: () => new Date('2026-11-26T10:00:00Z') }, ids: { next: () => `id-${++n}` }, config, pathway: CARE_PATHWAY, stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:CarePathway', pathwayVersion: '1' };
  return { deps: deps as unknown as Deps, store, engine, mailer };
}

describe('the engine services', () => {
  it('records an email SES refuses, alerts the administrators, and still attaches the stage', async () => {
    const opened = openFirstStage(ctx(), referred()).next;
    const mailer = new FakeMailer((m) => m.to.includes('neuroradiology.santa-clara@example.org'));
    const { deps, store } = depsWith(opened, mailer);
    await deliverOutbox(deps, ID, (p) => attachTask(p, 'token-9'));
    const saved = store.records.get(ID);
    expect(saved?.taskToken).toBe('token-9');
    expect(saved?.outbox).toEqual([]);
    expect(store.audit.map((e) => e.action)).toContain('notification_failed');
    expect(mailer.sent.some((m) => m.to.includes('administrators@example.org'))).toBe(true);
  });

  it('sends a transition\'s emails together; one that fails for now keeps the transition queued, and the retry sends only that one', async () => {
    // The referral's acknowledgement goes to the coordinators and to the referring doctor.
    const opened: PatientRecord = { ...referred(), notified: { step: 0, templates: [] }, outbox: [{ step: 1, event: { kind: 'referral_received' }, queuedAt: '2026-11-26T09:00:00.000Z' }] };
    const queued = opened.outbox ?? [];
    let down = true;
    const attempts: string[] = [];
    const mailer: Mailer = {
      async send(m) {
        attempts.push(m.to.join(','));
        if (down && m.to.includes('coordinators@example.org')) throw new TransientError('SES unreachable');
        return `m-${attempts.length}`;
      },
    };
    const { deps, store } = depsWith(opened, mailer);
    const first = await deliverOutbox(deps, ID);
    const afterFirst = attempts.length;
    expect(first.failed).toBe(1);
    expect(first.sent).toBe(afterFirst - 1);
    expect(first.sent).toBeGreaterThan(0);
    const saved = store.records.get(ID);
    // The failed transition is still queued; what went out is noted.
    expect(saved?.outbox?.map((q) => q.step)).toContain(Math.max(...queued.map((q) => q.step)));
    expect(saved?.notified.templates.length).toBeGreaterThan(0);
    down = false;
    const second = await deliverOutbox(deps, ID);
    expect(attempts.slice(afterFirst)).toEqual(['coordinators@example.org']);
    expect(second).toMatchObject({ sent: 1, failed: 0 });
    expect(store.records.get(ID)?.outbox).toEqual([]);
    const sent = store.audit.filter((e) => e.action === 'notification_sent').map((e) => e.details?.template);
    expect(new Set(sent).size).toBe(sent.length);
  });

  it('tells every pathway event sink once per delivered transition', async () => {
    const heard: PathwayEvent[] = [];
    pathwayEventSinks.push((e) => void heard.push(e));
    try {
      const { deps } = depsWith(openFirstStage(ctx(), referred()).next);
      await deliverOutbox(deps, ID);
      await deliverOutbox(deps, ID);
      expect(heard).toEqual([{ patientId: ID, step: 2, stage: 'TRIAGE', status: 'active', at: '2026-11-26T10:00:00.000Z' }]);
    } finally {
      pathwayEventSinks.length = 0;
    }
  });

  it('answers 409 to a decision whose If-Match names an older pending decision, and changes nothing', async () => {
    const { deps, store, engine } = depsWith(atTriage());
    const caller = { sub: 'dr-1', email: 'dr@example.org', roles: ['physician' as const] };
    const refused = await submitDecision(deps, caller, ID, acceptTriage(), { ifMatch: '"an-older-one"' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(409);
    expect(store.records.get(ID)?.stage).toBe('TRIAGE');
    expect(engine.resumed).toEqual([]);
    const pendingId = store.records.get(ID)?.pendingDecision?.id ?? '';
    expect((await submitDecision(deps, caller, ID, acceptTriage(), { ifMatch: `"${pendingId}"` })).status).toBe(202);
    expect(engine.resumed.map((r) => r.output)).toEqual([expect.objectContaining({ stage: 'TRIAGE', outcome: 'accept', step: 3 })]);
  });

  it('hands a decision recorded on a retried task\'s lost token over on the retry\'s own token', async () => {
    // The first attempt of the triage task attached token-1 but its answer was lost; Step Functions
    // retried the task with token-2. The decision, taken on token-1, could not be handed over.
    const { deps, store, engine } = depsWith(atTriage('token-1'));
    await engine.resume('token-1', {});
    engine.resumed.length = 0;
    const caller = { sub: 'dr-1', email: 'dr@example.org', roles: ['physician' as const] };
    expect((await submitDecision(deps, caller, ID, acceptTriage())).status).toBe(202);
    expect(engine.resumed).toEqual([]);
    expect(store.records.get(ID)?.decidedAt).not.toBeNull();

    await enterStage(deps, { patientId: ID, stage: 'TRIAGE', step: 2, taskToken: 'token-2' });
    expect(engine.resumed).toEqual([{ token: 'token-2', output: expect.objectContaining({ stage: 'TRIAGE', outcome: 'accept', step: 3 }) }]);
    await enterStage(deps, { patientId: ID, stage: 'IMAGING_SELECTION', step: 3, taskToken: 'token-3' });
    expect(store.records.get(ID)).toMatchObject({ stage: 'IMAGING_SELECTION', taskToken: 'token-3', decidedAt: null });
    expect(store.audit.filter((e) => e.action === 'decision_recorded')).toHaveLength(1);
  });

  it('lets only the configured teams decide a narrowed stage', async () => {
    const config = { ...DEFAULT_CONFIG, deciderTeams: { TRIAGE: ['neuroradiology' as const] } };
    const { deps } = depsWith(atTriage(), new FakeMailer(), config);
    const caller = { sub: 'dr-2', email: 'ni@example.org', roles: ['physician' as const] };
    const outside = await submitDecision(deps, caller, ID, acceptTriage(), { team: 'neurosurgery' }).catch((e: unknown) => e);
    expect((outside as ApiError).status).toBe(403);
    expect((await submitDecision(deps, caller, ID, acceptTriage(), { team: 'neuroradiology' })).status).toBe(202);
    // The rule the patient view reports as `mayDecide` is the one the decision service applied.
    expect(mayRecordDecision(CARE_PATHWAY, config, 'TRIAGE', ['physician'], 'neurosurgery')).toBe(false);
    expect(mayRecordDecision(CARE_PATHWAY, config, 'TRIAGE', ['physician'], 'neuroradiology')).toBe(true);
    expect(mayRecordDecision(CARE_PATHWAY, config, 'TRIAGE', ['physician'], undefined)).toBe(false);
    expect(mayRecordDecision(CARE_PATHWAY, config, 'TRIAGE', ['coordinator'], undefined)).toBe(false);
    expect(mayRecordDecision(CARE_PATHWAY, DEFAULT_CONFIG, 'TRIAGE', ['physician'], undefined)).toBe(true);
  });
});
