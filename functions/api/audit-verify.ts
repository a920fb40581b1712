// GET /audit/verify?patientId=: the administrators' check of a patient's audit chain (which events
// verify, and where the chain breaks). Reads the audit items as stored, hash and link included.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { verifyAuditChain } from '../domain/audit-chain.js';
import { notFound } from '../shared/errors.js';
import { PATIENT_ID_PATTERN, parse, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import { keys } from '../store/table-layout.js';

const querySchema = z.object({ patientId: z.string().regex(PATIENT_ID_PATTERN, 'must be a patient id') });

export type AuditItemReader = (patientId: string) => Promise<Record<string, unknown>[]>;

let doc: DynamoDBDocumentClient | undefined;

/** A patient's audit items in trail order, straight from the audit table. */
export const readAuditItems: AuditItemReader = async (patientId) => {
  doc ??= DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const table = process.env.AUDIT_TABLE_NAME;
  if (!table) throw new Error('environment variable AUDIT_TABLE_NAME is required');
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({ TableName: table, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': keys.auditPatient(patientId) }, ExclusiveStartKey: start }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return items;
};

export async function verifyPatientAudit(caller: Caller, query: Record<string, string>, read: AuditItemReader = readAuditItems): Promise<HttpResult> {
  requireRole(caller, ['administrator'], 'verify the audit trail');
  const { patientId } = parse(querySchema, query, 'query');
  const items = await read(patientId);
  if (items.length === 0) throw notFound('No audit trail for this patient.');
  return { status: 200, body: { patientId, ...verifyAuditChain(items) } };
}
