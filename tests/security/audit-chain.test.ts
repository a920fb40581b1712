// Tamper evidence end to end: a patient's audit trail, written by the real stack, verifies; an
// audit item changed by hand in DynamoDB Local makes GET /audit/verify and `npm run audit:verify`
// name that event as the break.
import { spawnSync } from 'node:child_process';
import { DynamoDBClient, QueryCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalStackUnderTest } from '../support/local-stack.js';

let stack: LocalStackUnderTest;
let patientId: string;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
  ({ patientId } = await stack.refer());
  await stack.waitForPending(patientId, 'TRIAGE');
  // Two reads, each audited: more events on the chain.
  for (let i = 0; i < 2; i++) expect((await stack.api('GET', `/patients/${patientId}`, { role: 'coordinator' })).status).toBe(200);
});
afterAll(async () => stack?.stop());

const verify = () => stack.api('GET', `/audit/verify?patientId=${patientId}`, { role: 'administrator' });

function auditVerifyCommand() {
  return spawnSync(process.execPath, ['--import', 'tsx', 'local/audit-verify.ts', patientId], {
    env: { ...process.env, DATA_DIR: stack.dataDir, API_URL: stack.apiUrl },
    encoding: 'utf8',
  });
}

describe('the audit chain of a real patient', () => {
  it('is only for administrators', async () => {
    expect((await stack.api('GET', `/audit/verify?patientId=${patientId}`, { role: 'coordinator' })).status).toBe(403);
    expect((await stack.api('GET', '/audit/verify?patientId=nope', { role: 'administrator' })).status).toBe(400);
  });

  it('verifies while untouched, by the endpoint and by the command', async () => {
    const res = await verify();
    expect(res.status).toBe(200);
    expect(res.body.intact).toBe(true);
    expect(res.body.total).toBeGreaterThanOrEqual(3);
    expect(res.body.verified).toBe(res.body.total);
    const cmd = auditVerifyCommand();
    expect(cmd.status, cmd.stderr).toBe(0);
    expect(cmd.stdout).toMatch(/intact/);
  });

  it('breaks at the event changed by hand in the database', async () => {
    const ddb = new DynamoDBClient({ endpoint: `http://127.0.0.1:${stack.ports.dynamodb}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const items = (await ddb.send(new QueryCommand({ TableName: stack.tables.audit, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': { S: `PATIENT#${patientId}` } } }))).Items ?? [];
    const victim = items[1];
    expect(victim).toBeDefined();
    // Someone with console access rewrites who did it.
    await ddb.send(
      new UpdateItemCommand({
        TableName: stack.tables.audit,
        Key: { PK: victim!.PK!, SK: victim!.SK! },
        UpdateExpression: 'SET actor.email = :e',
        ExpressionAttributeValues: { ':e': { S: 'someone-else@example.org' } },
      }),
    );
    ddb.destroy();

    const res = await verify();
    expect(res.body.intact).toBe(false);
    expect(res.body.firstBreak).toMatchObject({ index: 1, eventId: victim!.eventId!.S, verdict: 'content_changed' });
    const cmd = auditVerifyCommand();
    expect(cmd.status).toBe(1);
    expect(cmd.stdout).toMatch(new RegExp(`BROKEN at event 2 of \\d+ \\(${victim!.eventId!.S}, content_changed\\)`));
  });
});
