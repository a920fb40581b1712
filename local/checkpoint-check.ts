// On start-up: each execution waiting for a decision, checked against the record of truth. The
// engine's checkpoint names the step it waits on (the waiting task's payload carries `patientId`
// and `step`); the patient record names the last step it applied (`lastStep`). They agree unless
// one of them lost a write; the stack says so plainly instead of waiting on a step the record
// never reached. (The DynamoDB journal is what keeps the record from losing acknowledged writes.)
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { join } from 'node:path';
import { keys } from '../functions/store/table-layout.js';
import { ExecutionJournal } from './sfn/journal.js';

export interface CheckpointReport {
  readonly waiting: number;
  readonly matching: number;
  /** The record moved past the step the execution waits on (a decision on its way, a later transition). */
  readonly recordAhead: string[];
  /** The execution waits on a step the record never applied: the record lost a write. */
  readonly checkpointAhead: string[];
  readonly recordMissing: string[];
}

export async function checkWaitingCheckpoints(sfnDataDir: string, pathwayTable: string): Promise<CheckpointReport> {
  const journal = new ExecutionJournal(join(sfnDataDir, 'executions'));
  const waits = journal
    .load()
    .filter((rec) => rec.status === 'RUNNING' && rec.waiting)
    .map((rec) => rec.waiting?.payload as { patientId?: unknown; step?: unknown } | null)
    .filter((p): p is { patientId: string; step: number } => typeof p?.patientId === 'string' && typeof p.step === 'number');
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const report = { waiting: waits.length, matching: 0, recordAhead: [] as string[], checkpointAhead: [] as string[], recordMissing: [] as string[] };
  try {
    for (const w of waits) {
      const out = await doc.send(new GetCommand({ TableName: pathwayTable, Key: keys.patient(w.patientId), ConsistentRead: true, ProjectionExpression: 'lastStep' }));
      const lastStep = out.Item?.lastStep;
      if (typeof lastStep !== 'number') report.recordMissing.push(w.patientId);
      else if (lastStep === w.step) report.matching++;
      else if (lastStep > w.step) report.recordAhead.push(w.patientId);
      else report.checkpointAhead.push(w.patientId);
    }
  } finally {
    doc.destroy();
  }
  return report;
}

export function describeCheckpointReport(r: CheckpointReport): string {
  const parts = [`${r.waiting} waiting execution(s), ${r.matching} at their record's step`];
  if (r.recordAhead.length) parts.push(`${r.recordAhead.length} behind their record (a decision or transition is being delivered)`);
  if (r.checkpointAhead.length) parts.push(`${r.checkpointAhead.length} AHEAD of their record (the record lost a write): ${r.checkpointAhead.join(', ')}`);
  if (r.recordMissing.length) parts.push(`${r.recordMissing.length} without a record: ${r.recordMissing.join(', ')}`);
  return `Engine checkpoints: ${parts.join('; ')}`;
}
