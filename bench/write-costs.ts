// What each kind of DynamoDB call costs this DynamoDB Local, in the product's own item shapes
// (the patient record with its worklist index fields, an audit item with its month index
// fields, a counter item), through the same endpoint the product uses (the stack's journal):
// each operation is run by as many lanes as the engine had patients in flight for a fixed time,
// and its cost is the capacity it takes, 1000 / (operations per second) ms. It explains the
// engine rate: DynamoDB Local spends its time on written items, not on reads.
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, QueryCommand, TransactWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulidIds } from '../functions/shared/clock.js';
import { patientItem, type PatientRecord } from '../functions/store/pathway-store.js';
import { keys } from '../functions/store/table-layout.js';
import type { BenchStack } from './stack.js';
import { nowMs } from './stats.js';

export interface WriteCost {
  readonly operation: string;
  readonly lanes: number;
  readonly perSecond: number;
  /** 1000 / perSecond: the share of DynamoDB Local one such call takes. */
  readonly msEach: number;
}

type Op = (lane: number) => Promise<unknown>;

export async function measureWriteCosts(stack: BenchStack, template: PatientRecord, opts: { lanes: number; ms: number }): Promise<WriteCost[]> {
  const doc: DynamoDBDocumentClient = stack.doc();
  const month = new Date().toISOString().slice(0, 7);
  const ids = Array.from({ length: opts.lanes }, () => ulidIds.next());
  const record = (lane: number): PatientRecord => ({ ...template, patientId: ids[lane] as string, caseRef: `COST-${lane}`, rev: 1 });
  const auditItem = (lane: number) => {
    const at = new Date().toISOString();
    const sk = keys.auditSort(at, ulidIds.next());
    return { PK: keys.auditPatient(ids[lane] as string), SK: sk, GSI1PK: keys.auditMonth(month), GSI1SK: sk, action: 'stage_entered', stage: template.stage, details: { from: 'bench' }, prevHash: '0'.repeat(64), hash: 'f'.repeat(64) };
  };
  const counter = (stage: string) => ({
    Update: { TableName: stack.tables.pathway, Key: keys.stageMetric(month, `COST-${stage}`), UpdateExpression: 'ADD #n :one', ExpressionAttributeNames: { '#n': 'entered' }, ExpressionAttributeValues: { ':one': 1 } },
  });
  const putRecord = (lane: number) => ({ TableName: stack.tables.pathway, Item: patientItem(record(lane)) });
  const putAudit = (lane: number) => ({ TableName: stack.tables.audit, Item: auditItem(lane), ConditionExpression: 'attribute_not_exists(PK)' });
  // Every lane has its record and an audit item before the clock starts.
  for (let lane = 0; lane < opts.lanes; lane++) {
    await doc.send(new PutCommand(putRecord(lane)));
    await doc.send(new PutCommand(putAudit(lane)));
  }
  const ops: [string, Op][] = [
    ['GetItem (the record)', (l) => doc.send(new GetCommand({ TableName: stack.tables.pathway, Key: keys.patient(ids[l] as string), ConsistentRead: true }))],
    ['Query (the audit chain head)', (l) => doc.send(new QueryCommand({ TableName: stack.tables.audit, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': keys.auditPatient(ids[l] as string) }, ScanIndexForward: false, Limit: 1 }))],
    ['PutItem (an audit event)', (l) => doc.send(new PutCommand(putAudit(l)))],
    ['PutItem (the record)', (l) => doc.send(new PutCommand(putRecord(l)))],
    ['TransactWriteItems (the record alone)', (l) => doc.send(new TransactWriteCommand({ TransactItems: [{ Put: putRecord(l) }] }))],
    ['TransactWriteItems (the raw one: record, event, two counters)', (l) => doc.send(new TransactWriteCommand({ TransactItems: [{ Put: putRecord(l) }, { Put: putAudit(l) }, counter(`A${l % 4}`), counter(`B${l % 4}`)] }))],
  ];
  const out: WriteCost[] = [];
  for (const [operation, op] of ops) {
    let done = 0;
    const started = nowMs();
    const until = started + opts.ms;
    await Promise.all(
      ids.map(async (_, lane) => {
        while (nowMs() < until) {
          try {
            await op(lane);
            done += 1;
          } catch (err) {
            // Two lanes on one counter item at once: a conflict, not a cost; not counted. Anything
            // else is a failure of the measurement and ends it.
            if (!(err instanceof TransactionCanceledException)) throw err;
          }
        }
      }),
    );
    const perSecond = done / ((nowMs() - started) / 1000);
    out.push({ operation, lanes: opts.lanes, perSecond, msEach: 1000 / perSecond });
  }
  return out;
}
