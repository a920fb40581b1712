// Counters for leaving a stage, however the patient leaves it (a transition, a withdrawal, a
// failure): the clock's days (holds excluded) for the throughput report; for the SLA report the
// time split into program-driven (elapsed less the patient's own holds) and patient-driven (the
// patient's holds), and whether the decision met its due date. A hold still running counts up
// to now.
import { PATIENT_DRIVEN_HOLDS } from '../domain/vocabulary.js';
import { DAY_MS, monthOf } from '../shared/clock.js';
import type { CounterIncrement, PatientRecord } from '../store/pathway-store.js';

const bucket = (days: number) => Math.min(400, Math.max(0, Math.floor(days)));

export function exitCounters(p: PatientRecord, now: Date): CounterIncrement[] {
  const heldNow = p.status === 'on_hold' && p.hold ? Math.max(0, now.getTime() - Date.parse(p.hold.since)) / DAY_MS : 0;
  const patientHeld = (p.patientHoldDaysInStage ?? 0) + (p.hold && PATIENT_DRIVEN_HOLDS.includes(p.hold.reason) ? heldNow : 0);
  const elapsed = Math.max(0, (now.getTime() - Date.parse(p.stageEnteredAt)) / DAY_MS);
  const add: Record<string, number> = {
    exited: 1,
    [`d${bucket(elapsed - p.holdDaysInStage - heldNow)}`]: 1,
    [`pd${bucket(elapsed - patientHeld)}`]: 1,
    [`hd${bucket(patientHeld)}`]: 1,
  };
  if (p.pendingDecision && p.decidedAt) add[p.decidedAt <= p.pendingDecision.dueAt ? 'withinSla' : 'lateSla'] = 1;
  return [{ month: monthOf(now.toISOString()), item: { kind: 'stage', stage: p.stage }, add }];
}
