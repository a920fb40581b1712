import { PutCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { BenchStack, STACK_TABLES } from '../bench/stack.js';
const stack = await BenchStack.start({ parentDir: '/tmp/micro' });
try {
  const doc = stack.doc();
  const P = STACK_TABLES.pathway, A = STACK_TABLES.audit;
  const big = { history: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'x'.repeat(60)])) };
  let seq = 0;
  const rev = new Map<number, number>();
  const patient = (i: number) => { const r = rev.get(i) ?? 0; rev.set(i, r + 1); return { Put: { TableName: P, Item: { PK: `PATIENT#m${i}`, SK: 'RECORD', GSI1PK: `WL#TRIAGE#active`, GSI1SK: `2026-12-0${i % 9}#m${i}`, rev: r + 1, ...big }, ...(r ? { ConditionExpression: 'rev = :r', ExpressionAttributeValues: { ':r': r } } : {}) } }; };
  const audit = (i: number) => { const n = seq++; return { Put: { TableName: A, Item: { PK: `AUDIT#m${i}`, SK: `2026-12-03T00:00:00.000Z#${String(n).padStart(9, '0')}`, GSI1PK: 'MONTH#2026-12', GSI1SK: `2026-12-03#${n}`, action: 'stage_entered', details: { a: 1 }, hash: 'x'.repeat(64), prevHash: 'y'.repeat(64) }, ConditionExpression: 'attribute_not_exists(PK)' } }; };
  const counter = (k: string) => ({ Update: { TableName: P, Key: { PK: 'METRIC#2026-12', SK: k }, UpdateExpression: 'ADD #a :one', ExpressionAttributeNames: { '#a': 'entered' }, ExpressionAttributeValues: { ':one': 1 } } });
  const ops: Record<string, (i: number) => Promise<unknown>> = {
    raw_txn4: (i) => doc.send(new TransactWriteCommand({ TransactItems: [patient(i), audit(i), counter(`STAGE#A${i % 4}`), counter(`STAGE#B${i % 4}`)] as any })),
    delivery_txn3: (i) => doc.send(new TransactWriteCommand({ TransactItems: [patient(i), audit(i), audit(i)] as any })),
    txn1_patient: (i) => doc.send(new TransactWriteCommand({ TransactItems: [patient(i)] as any })),
    put_patient: (i) => doc.send(new PutCommand(patient(i).Put as any)),
    put_audit: (i) => doc.send(new PutCommand(audit(i).Put as any)),
    plain3: async (i) => { await doc.send(new PutCommand(audit(i).Put as any)); await doc.send(new PutCommand(audit(i).Put as any)); await doc.send(new PutCommand(patient(i).Put as any)); },
    update_counter: (i) => doc.send(new UpdateCommand({ TableName: P, ...(counter(`STAGE#C${i % 4}`).Update as any) })),
  };
  for (const lanes of [1, 16]) for (const [name, op] of Object.entries(ops)) {
    for (const round of [0, 1]) {
      let n = 0, fails = 0; const t0 = performance.now(); const until = t0 + 3000;
      await Promise.all(Array.from({ length: lanes }, async (_, lane) => { while (performance.now() < until) { try { await op(lane + 100 * lanes); n++; } catch { fails++; rev.set(lane + 100 * lanes, 0); } } }));
      const rate = n / ((performance.now() - t0) / 1000);
      if (round === 1) console.log(`lanes ${lanes}`, name.padEnd(16), rate.toFixed(0).padStart(5), 'ops/s', (1000 / rate).toFixed(2), 'ms', fails ? `fails ${fails}` : '');
    }
  }
} finally { await stack.stop(); }
