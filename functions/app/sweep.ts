// The scheduled sweep (EventBridge every 15 minutes in the cloud, a timer locally): overdue
// reminders and escalations through the worklist index (never a Scan), and the reconciler,
// which repairs what a crash or an outage left half done: hand-offs the engine never took,
// announcements never delivered, executions gone while the record goes on, referrals whose
// execution never started.
import { overdueLevel } from '../domain/overdue.js';
import { emailsFor } from '../domain/notifications.js';
import { allStageIds, decisionStageIds } from '../domain/pathway.js';
import { fail, isTerminal, SYSTEM_ACTOR } from '../domain/record.js';
import { STATUSES } from '../domain/vocabulary.js';
import { DAY_MS } from '../shared/clock.js';
import { logger } from '../shared/logger.js';
import type { Deps } from '../shared/runtime.js';
import { TaskGoneError } from '../shared/workflow-engine.js';
import { continuePathway } from './continuation.js';
import { startExecution } from './intake.js';
import { ctxOf, mutatePatient } from './mutate.js';
import { deliverOutbox, toAssignee } from './outbox.js';

export interface SweepResult {
  readonly checked: number;
  readonly reminders: number;
  readonly escalations: number;
  readonly redelivered: number;
  readonly restarted: number;
  readonly repaired: number;
}

/**
 * `withoutGrace`: an operator's run after an outage (or the local stack's start): recorded
 * decisions and stalled referrals are taken up at once instead of after the usual grace, because
 * nothing that was in flight before the outage can still be.
 */
export async function sweepOverdue(deps: Deps, options: { readonly withoutGrace?: boolean } = {}): Promise<SweepResult> {
  const now = deps.clock.now();
  const cutoff = new Date(now.getTime() - deps.config.overdue.reminderAfterDays * DAY_MS).toISOString();
  let checked = 0;
  let reminders = 0;
  let escalations = 0;
  for (const stage of decisionStageIds(deps.pathway)) {
    let cursor: string | undefined;
    do {
      const page = await deps.store.listWorklist({ stages: [stage], statuses: ['active'], dueBefore: cutoff, limit: 100, ...(cursor ? { cursor } : {}) });
      for (const row of page.items) {
        checked += 1;
        const level = await remind(deps, row.patientId, now);
        if (level === 1) reminders += 1;
        if (level === 2) escalations += 1;
      }
      cursor = page.nextToken ?? undefined;
    } while (cursor);
  }
  const { redelivered, repaired } = await reconcile(deps, options.withoutGrace ? 0 : deps.config.reconciler.afterSeconds * 1000);
  const restarted = await startStalledReferrals(deps, now, ...(options.withoutGrace ? [0] : []));
  return { checked, reminders, escalations, redelivered, restarted, repaired };
}

/**
 * Records with engine work outstanding for longer than `olderThanMs`: hand the recorded decision
 * or withdrawal to the execution again; if its token is gone and the execution is no longer
 * running, continue the pathway in a new execution (or, for a closed pathway, deliver its
 * announcement); deliver announcements left in the outbox.
 */
export async function reconcile(deps: Deps, olderThanMs = 30_000): Promise<{ redelivered: number; repaired: number }> {
  const olderThan = new Date(deps.clock.now().getTime() - olderThanMs).toISOString();
  const ids = await deps.store.listPendingWork(allStageIds(deps.pathway), STATUSES, olderThan);
  let redelivered = 0;
  let repaired = 0;
  for (const id of ids) {
    try {
      const p = await deps.store.getPatient(id);
      if (!p) continue;
      if (p.decidedAt && p.decidedAt < olderThan && p.decisionOutput) {
        try {
          if (p.taskToken) {
            await deps.engine.resume(p.taskToken, p.decisionOutput);
            redelivered += 1;
            continue;
          }
        } catch (err) {
          if (!(err instanceof TaskGoneError)) throw err;
        }
        // The token is used or gone: fine while the execution runs (it is on its way), a repair if not.
        const execution = await deps.engine.describe(p.executionArn);
        if (execution?.status !== 'RUNNING') {
          await repair(deps, id, p.executionArn);
          repaired += 1;
          continue;
        }
      }
      if ((p.outbox?.length ?? 0) > 0 && !p.decidedAt && (p.outbox?.[0]?.queuedAt ?? '') < olderThan) {
        await deliverOutbox(deps, id, isTerminal(p.status) ? (cur) => ({ ...cur, taskToken: null, decidedAt: null, decisionOutput: null }) : undefined);
      }
    } catch (err) {
      logger.warn('reconciler could not repair a patient', { patientId: id, errorName: (err as Error).name });
    }
  }
  return { redelivered, repaired };
}

async function repair(deps: Deps, patientId: string, executionArn: string): Promise<void> {
  const p = await deps.store.getPatient(patientId);
  if (!p) return;
  if (isTerminal(p.status)) {
    await deliverOutbox(deps, patientId, (cur) => ({ ...cur, taskToken: null, decidedAt: null, decisionOutput: null }));
    return;
  }
  try {
    await continuePathway(deps, { patientId, executionArn, reason: 'execution gone' });
  } catch (err) {
    logger.warn('continuing the pathway failed; marking it failed', { patientId, errorName: (err as Error).name });
    await mutatePatient(deps, patientId, (cur) => ({ change: cur ? fail(ctxOf(deps), cur, { name: (err as Error).name, cause: 'reconciler' }) : null, result: null }));
    await deliverOutbox(deps, patientId);
  }
}

/**
 * Referrals recorded whose execution never started (intake crashed between the two): start them
 * now. They sit in the intake stage's worklist partition, which holds only the last few seconds'
 * referrals in normal running, so this is one small Query.
 */
export async function startStalledReferrals(deps: Deps, now: Date, graceMs = 60_000): Promise<number> {
  let started = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.store.listWorklist({ stages: [deps.pathway.intakeStage.id], statuses: ['active'], limit: 100, ...(cursor ? { cursor } : {}) });
    for (const row of page.items) {
      const p = await deps.store.getPatient(row.patientId);
      if (p && !p.executionStarted && now.getTime() - Date.parse(p.createdAt) > graceMs) {
        await startExecution(deps, p);
        started += 1;
      }
    }
    cursor = page.nextToken ?? undefined;
  } while (cursor);
  return started;
}

async function remind(deps: Deps, patientId: string, now: Date): Promise<0 | 1 | 2> {
  const { result: claimed, saved } = await mutatePatient(deps, patientId, (p) => {
    const pending = p?.pendingDecision;
    if (!p || !pending || p.status !== 'active' || p.decidedAt) return { change: null, result: 0 as const };
    const level = overdueLevel(pending.dueAt, now, deps.config.overdue);
    const already = p.reminders && p.reminders.step === pending.step ? p.reminders.level : 0;
    if (level === 0 || level <= already) return { change: null, result: 0 as const };
    return {
      change: {
        next: { ...p, reminders: { step: pending.step, level } },
        events: [
          {
            action: level === 2 ? 'overdue_escalated' : 'reminder_sent',
            patientId,
            stage: pending.stage,
            actor: SYSTEM_ACTOR,
            details: { dueAt: pending.dueAt, step: pending.step, level },
          },
        ],
      },
      result: level,
    };
  });
  if (!claimed || !saved?.pendingDecision) return 0;
  const pending = saved.pendingDecision;
  const emails = await toAssignee(
    deps,
    saved,
    pending.stage,
    emailsFor(
      deps.pathway,
      { kind: 'overdue', level: claimed === 2 ? 'escalation' : 'reminder', stage: pending.stage, dueAt: pending.dueAt },
      { patientId, caseRef: saved.caseRef, site: saved.site, referringPhysicianEmail: saved.referringPhysician.email },
      deps.config,
    ),
  );
  try {
    for (const email of emails) {
      const messageId = await deps.mailer.send({ ...email, patientId, key: `${pending.step}.${email.template}` });
      await deps.store.appendAudit([
        { action: 'notification_sent', patientId, stage: pending.stage, actor: SYSTEM_ACTOR, details: { template: email.template, audience: email.audience, recipients: email.to, messageId } },
      ]);
    }
  } catch (err) {
    // Release the claim so the next sweep tries again; record the failure meanwhile.
    await mutatePatient(deps, patientId, (p) => ({
      change:
        p && p.reminders?.step === pending.step && p.reminders.level === claimed
          ? {
              next: { ...p, reminders: claimed === 2 ? { step: pending.step, level: 1 } : null },
              events: [{ action: 'notification_failed', patientId, stage: pending.stage, actor: SYSTEM_ACTOR, details: { error: (err as Error).name, level: claimed } }],
            }
          : null,
      result: null,
    }));
    return 0;
  }
  return claimed;
}
