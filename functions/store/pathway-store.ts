// The repository: every DynamoDB read and write of the product goes through here, with keys
// from table-layout.ts. Patient records are written whole with an optimistic revision check,
// together with their audit events and counter increments in one transaction (all or nothing).
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { CounterIncrement, CounterItem } from '../domain/counters.js';
import type { AuditActor, AuditEventInput, PatientRecord, PatientSummary } from '../domain/record.js';
import type { AuditAction, HoldReason, Status } from '../domain/vocabulary.js';
import { GENESIS_HASH, linkAuditEvents } from '../domain/audit-chain.js';
import { TERMINAL_STATUSES } from '../domain/vocabulary.js';
import type { Clock, Ids } from '../shared/clock.js';
import { monthOf } from '../shared/clock.js';
import type { AccessDeclaration } from '../shared/aws-access.js';
import { ConcurrentUpdateError } from '../shared/errors.js';
import { AUDIT_TABLE, PATHWAY_TABLE, keys } from './table-layout.js';

export type { AuditActor, AuditEventInput, PatientRecord } from '../domain/record.js';
export { SYSTEM_ACTOR } from '../domain/record.js';
export type { CounterIncrement, CounterItem } from '../domain/counters.js';

export interface AuditEvent extends AuditEventInput {
  readonly eventId: string;
  readonly at: string;
  readonly details: Record<string, unknown>;
}

/** A page of the audit trail (newest first); `from`/`to` are ISO instants. */
export interface AuditQuery {
  readonly patientId?: string;
  readonly caseRef?: string;
  readonly action?: AuditAction;
  readonly actor?: string;
  readonly from: string;
  readonly to: string;
  readonly limit: number;
  readonly cursor?: string;
}

export interface WorklistQuery {
  readonly stages: readonly string[];
  readonly statuses: readonly Status[];
  readonly site?: string;
  /** Only rows due strictly before this instant (the overdue list). */
  readonly dueBefore?: string;
  readonly limit: number;
  readonly cursor?: string;
}
export interface Page<T> {
  readonly items: T[];
  readonly nextToken: string | null;
}

export interface StoreTables {
  readonly pathway: string;
  readonly audit: string;
}

type Item = Record<string, unknown>;

/**
 * The AWS calls of PathwayStore, by capability (functions/shared/aws-access.ts): what the CDK app
 * grants a handler that uses them. Every write links its audit events to the patient's chain head,
 * a Query of the audit table; a transaction is authorized per item (Put, Update), so a save
 * whose change carries no counters sends no Update item and needs no `count`.
 */
export const PATHWAY_STORE_ACCESS = {
  /** getPatient, getReferral */
  read: { pathwayTable: ['dynamodb:GetItem'] },
  /** nextCaseNumber: the case reference sequence */
  numberCase: { pathwayTable: ['dynamodb:UpdateItem'] },
  /** savePatient: the chain head, then record, guards and events put at once (its counters: `count`) */
  save: { pathwayTable: ['dynamodb:PutItem'], auditTable: ['dynamodb:Query', 'dynamodb:PutItem'] },
  /**
   * savePatient/mergeCounters: the counter increments a change carries, one Update item per
   * counter item in the save's transaction. Granted beside `save` only where a change can count.
   */
  count: { pathwayTable: ['dynamodb:UpdateItem'] },
  /** appendAudit; auditPuts (its chain head here, its puts in the caller's transaction) */
  appendAudit: { auditTable: ['dynamodb:Query', 'dynamodb:PutItem'] },
  /** patientTimeline, auditItems */
  readTimeline: { auditTable: ['dynamodb:Query'] },
  /** listWorklist, listPendingWork */
  worklist: { worklistIndex: ['dynamodb:Query'] },
  /** monthMetrics */
  metrics: { pathwayTable: ['dynamodb:Query'] },
  /** listAudit: a case reference's guard, then a patient's partition or the month index */
  searchAudit: { pathwayTable: ['dynamodb:GetItem'], auditTable: ['dynamodb:Query'], auditMonthIndex: ['dynamodb:Query'] },
} as const satisfies AccessDeclaration;

export class PathwayStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    private readonly tables: StoreTables,
    private readonly clock: Clock,
    private readonly ids: Ids,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async getPatient(patientId: string): Promise<PatientRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.pathway, Key: keys.patient(patientId), ConsistentRead: true }));
    return out.Item ? fromItem(out.Item) : undefined;
  }

  async getReferral(referralId: string): Promise<{ patientId: string; hash: string } | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.pathway, Key: keys.referral(referralId), ConsistentRead: true }));
    return out.Item ? { patientId: String(out.Item.patientId), hash: String(out.Item.hash) } : undefined;
  }

  /** Next number of the human-readable case reference sequence. */
  async nextCaseNumber(): Promise<number> {
    const out = await this.doc.send(
      new UpdateCommand({
        TableName: this.tables.pathway,
        Key: keys.caseRefCounter(),
        UpdateExpression: 'ADD #n :one',
        ExpressionAttributeNames: { '#n': 'value' },
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.value);
  }

  /**
   * Create a patient with its referral guard, or save a new revision of one. Fails with
   * ConcurrentUpdateError if the stored revision is not `previousRev` (or, for a new patient,
   * if the referral id is already taken).
   */
  async savePatient(
    next: PatientRecord,
    previousRev: number | 'new',
    events: readonly AuditEventInput[] = [],
    counters: readonly CounterIncrement[] = [],
  ): Promise<AuditEvent[]> {
    const stamped = await this.chained(events.map((e) => this.stamp(e)));
    const items: NonNullable<ConstructorParameters<typeof TransactWriteCommand>[0]['TransactItems']> = [];
    items.push({
      Put: {
        TableName: this.tables.pathway,
        Item: patientItem(next),
        ...(previousRev === 'new'
          ? { ConditionExpression: 'attribute_not_exists(PK)' }
          : { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': previousRev } }),
      },
    });
    if (previousRev === 'new') {
      items.push({
        Put: {
          TableName: this.tables.pathway,
          Item: referralItem(next),
          ConditionExpression: 'attribute_not_exists(PK)',
        },
      });
      items.push({
        Put: { TableName: this.tables.pathway, Item: { ...keys.caseRef(next.caseRef), patientId: next.patientId }, ConditionExpression: 'attribute_not_exists(PK)' },
      });
    }
    for (const e of stamped) items.push({ Put: this.auditPut(e) });
    for (const update of mergeCounters(counters)) items.push({ Update: { TableName: this.tables.pathway, ...update } });
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
    } catch (err) {
      if (err instanceof TransactionCanceledException) {
        const reasons = err.CancellationReasons?.map((r) => r.Code) ?? [];
        if (reasons.includes('ConditionalCheckFailed')) throw new ConcurrentUpdateError('patient record changed concurrently');
        if (reasons.some((r) => r === 'TransactionConflict' || r === 'ThrottlingError' || r === 'ProvisionedThroughputExceeded')) {
          throw new ConcurrentUpdateError(`transaction conflict: ${reasons.join(',')}`);
        }
      }
      throw err;
    }
    return stamped;
  }

  /**
   * The audit puts of a transaction another store module writes (team work): stamped and chained
   * like the pathway's own, so every audit event of a patient is on one hash chain.
   */
  async auditPuts(events: readonly AuditEventInput[]): Promise<{ Put: ReturnType<PathwayStore['auditPut']> }[]> {
    const stamped = await this.chained(events.map((e) => this.stamp(e)));
    return stamped.map((e) => ({ Put: this.auditPut(e) }));
  }

  /** Append audit events that change nothing else (e.g. record_viewed). */
  async appendAudit(events: readonly AuditEventInput[]): Promise<AuditEvent[]> {
    const stamped = await this.chained(events.map((e) => this.stamp(e)));
    for (const e of stamped) await this.doc.send(new PutCommand(this.auditPut(e)));
    return stamped;
  }

  async patientTimeline(patientId: string): Promise<AuditEvent[]> {
    return (await this.auditItems(patientId)).map(auditFromItem);
  }

  /** A patient's audit items exactly as stored (hash links included), in trail order. */
  async auditItems(patientId: string): Promise<Item[]> {
    const out: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tables.audit,
          KeyConditionExpression: 'PK = :pk',
          ExpressionAttributeValues: { ':pk': keys.auditPatient(patientId) },
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  /** Patients by stage and status from the worklist index: one Query per partition, never a Scan. */
  async listWorklist(q: WorklistQuery): Promise<Page<PatientSummary>> {
    const partitions = q.stages.flatMap((stage) => q.statuses.map((status) => keys.worklistPartition(stage, status)));
    return this.pagedAcrossPartitions(partitions, q.limit, q.cursor, (pk) => {
      const values: Item = { ':pk': pk };
      let keyCondition = 'GSI1PK = :pk';
      if (q.dueBefore) {
        keyCondition += ' AND GSI1SK < :due';
        values[':due'] = q.dueBefore;
      }
      const input: QueryCommandInput = {
        TableName: this.tables.pathway,
        IndexName: PATHWAY_TABLE.worklistIndex.name,
        KeyConditionExpression: keyCondition,
        ExpressionAttributeValues: values,
      };
      if (q.site) {
        input.FilterExpression = '#site = :site';
        input.ExpressionAttributeNames = { '#site': 'site' };
        values[':site'] = q.site;
      }
      return input;
    }, summaryFromItem);
  }

  /**
   * Patients with engine work outstanding since before `olderThan`: a decision or withdrawal not
   * yet taken by the execution (`decidedAt`), or announcements not yet delivered (`outboxSince`).
   */
  async listPendingWork(stages: readonly string[], statuses: readonly Status[], olderThan: string): Promise<string[]> {
    const ids: string[] = [];
    for (const status of statuses) {
      for (const stage of stages) {
        let start: Item | undefined;
        do {
          const page = await this.doc.send(
            new QueryCommand({
              TableName: this.tables.pathway,
              IndexName: PATHWAY_TABLE.worklistIndex.name,
              KeyConditionExpression: 'GSI1PK = :pk',
              FilterExpression: 'decidedAt < :older OR outboxSince < :older',
              ExpressionAttributeValues: { ':pk': keys.worklistPartition(stage, status), ':older': olderThan },
              ExclusiveStartKey: start,
            }),
          );
          for (const item of page.Items ?? []) ids.push(String(item.patientId));
          start = page.LastEvaluatedKey;
        } while (start);
      }
    }
    return ids;
  }

  /**
   * The audit trail, newest first: one patient's partition, or the month partitions of the range
   * (newest month first). `action` and `actor` (part of the actor's email, or "system") filter
   * on the server; a case reference is resolved to its patient first.
   */
  async listAudit(q: AuditQuery): Promise<Page<AuditEvent>> {
    const patientId = q.caseRef ? await this.patientIdOfCaseRef(q.caseRef) : q.patientId;
    if (q.caseRef && (!patientId || (q.patientId && q.patientId !== patientId))) return { items: [], nextToken: null };
    const values: Item = { ':from': q.from, ':to': `${q.to}\uffff` };
    const names: Record<string, string> = {};
    const filters: string[] = [];
    if (q.action) {
      filters.push('#action = :action');
      names['#action'] = 'action';
      values[':action'] = q.action;
    }
    if (q.actor) {
      names['#actor'] = 'actor';
      values[':actor'] = q.actor;
      if (q.actor === 'system') {
        names['#role'] = 'role';
        filters.push('#actor.#role = :actor');
      } else {
        names['#email'] = 'email';
        names['#sub'] = 'sub';
        filters.push('(contains(#actor.#email, :actor) OR #actor.#sub = :actor)');
      }
    }
    const filter = filters.length ? { FilterExpression: filters.join(' AND '), ExpressionAttributeNames: names } : {};
    if (patientId) {
      const pk = keys.auditPatient(patientId);
      return this.pagedAcrossPartitions([pk], q.limit, q.cursor, () => ({
        TableName: this.tables.audit,
        KeyConditionExpression: 'PK = :pk AND SK BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':pk': pk, ...values },
        ScanIndexForward: false,
        ...filter,
      }), auditFromItem);
    }
    const months = monthsInRange(monthOf(q.from), monthOf(q.to)).reverse().map((m) => keys.auditMonth(m));
    return this.pagedAcrossPartitions(months, q.limit, q.cursor, (pk) => ({
      TableName: this.tables.audit,
      IndexName: AUDIT_TABLE.monthIndex.name,
      KeyConditionExpression: 'GSI1PK = :pk AND GSI1SK BETWEEN :from AND :to',
      ExpressionAttributeValues: { ':pk': pk, ...values },
      ScanIndexForward: false,
      ...filter,
    }), auditFromItem);
  }

  /** The patient of a case reference, for the audit filter: one read of the guard written at intake. */
  private async patientIdOfCaseRef(caseRef: string): Promise<string | null> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.pathway, Key: keys.caseRef(caseRef), ConsistentRead: true }));
    return typeof out.Item?.patientId === 'string' ? out.Item.patientId : null;
  }

  /** Pre-aggregated counters of one month: a handful of items whatever the number of patients. */
  async monthMetrics(month: string): Promise<Item[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tables.pathway,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': keys.metricMonth(month) },
      }),
    );
    return out.Items ?? [];
  }

  private async pagedAcrossPartitions<T>(
    partitions: readonly string[],
    limit: number,
    cursor: string | undefined,
    queryFor: (partition: string) => QueryCommandInput,
    map: (item: Item) => T,
  ): Promise<Page<T>> {
    let { p, k } = decodeCursor(cursor);
    const items: T[] = [];
    while (p < partitions.length && items.length < limit) {
      const partition = partitions[p] as string;
      const page = await this.doc.send(new QueryCommand({ ...queryFor(partition), Limit: limit - items.length, ExclusiveStartKey: k }));
      for (const item of page.Items ?? []) items.push(map(item));
      if (page.LastEvaluatedKey) {
        k = page.LastEvaluatedKey;
      } else {
        p += 1;
        k = undefined;
      }
    }
    const more = p < partitions.length;
    return { items, nextToken: more ? encodeCursor(p, k) : null };
  }

  /** Tamper evidence: each event links by hash to its patient's latest one (functions/domain/audit-chain.ts). */
  private async chained(events: AuditEvent[]): Promise<AuditEvent[]> {
    const linked = new Map<string, AuditEvent>();
    for (const pk of new Set(events.map((e) => this.auditPut(e).Item.PK))) {
      const head = await this.doc.send(
        new QueryCommand({ TableName: this.tables.audit, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': pk }, ScanIndexForward: false, Limit: 1 }),
      );
      const prevHash = typeof head.Items?.[0]?.hash === 'string' ? head.Items[0].hash : GENESIS_HASH;
      for (const e of linkAuditEvents(prevHash, events.filter((e) => this.auditPut(e).Item.PK === pk))) linked.set(e.eventId, e);
    }
    return events.map((e) => linked.get(e.eventId) ?? e);
  }

  private stamp(e: AuditEventInput): AuditEvent {
    return { ...e, details: e.details ?? {}, eventId: this.ids.next(), at: this.clock.now().toISOString() };
  }

  private auditPut(e: AuditEvent) {
    const pk = e.patientId ? keys.auditPatient(e.patientId) : keys.auditSystem();
    const sk = keys.auditSort(e.at, e.eventId);
    return {
      TableName: this.tables.audit,
      Item: { PK: pk, SK: sk, GSI1PK: keys.auditMonth(monthOf(e.at)), GSI1SK: sk, ...e },
      ConditionExpression: 'attribute_not_exists(PK)',
    };
  }
}

export const isConditionalFailure = (err: unknown): boolean =>
  err instanceof ConditionalCheckFailedException || err instanceof ConcurrentUpdateError;

export function isTerminal(status: Status): boolean {
  return TERMINAL_STATUSES.includes(status);
}

/** The stored item of a patient record: keys and worklist-index fields, then the record. */
export function patientItem(p: PatientRecord): Item {
  const dueForIndex = p.status === 'active' ? p.dueAt : null;
  const outboxSince = p.outbox?.[0]?.queuedAt;
  return {
    ...keys.patient(p.patientId),
    GSI1PK: keys.worklistPartition(p.stage, p.status),
    GSI1SK: keys.worklistSort(dueForIndex, p.patientId),
    ...p,
    ...(outboxSince ? { outboxSince } : {}),
  };
}

/** The idempotency guard of a patient's referral. */
export function referralItem(p: PatientRecord): Item {
  return { ...keys.referral(p.referralId), patientId: p.patientId, hash: p.referralHash };
}

function fromItem(item: Item): PatientRecord {
  const { PK: _pk, SK: _sk, GSI1PK: _g1, GSI1SK: _g2, outboxSince: _o, ...rest } = item;
  return rest as unknown as PatientRecord;
}

function summaryFromItem(item: Item): PatientSummary {
  return {
    patientId: String(item.patientId),
    caseRef: String(item.caseRef),
    stage: String(item.stage),
    status: item.status as Status,
    site: String(item.site),
    ...(item.urgency ? { urgency: item.urgency as 'routine' | 'urgent' } : {}),
    stageEnteredAt: String(item.stageEnteredAt),
    dueAt: (item.dueAt as string | null | undefined) ?? null,
    pathwayVersion: String(item.pathwayVersion),
    awaiting: (item.awaiting as PatientSummary['awaiting'] | undefined) ?? null,
    ...(item.hold ? { hold: item.hold as { reason: HoldReason; since: string } } : {}),
  };
}

function auditFromItem(item: Item): AuditEvent {
  return {
    eventId: String(item.eventId),
    at: String(item.at),
    action: item.action as AuditAction,
    patientId: (item.patientId as string | null | undefined) ?? null,
    stage: (item.stage as string | null | undefined) ?? null,
    actor: item.actor as AuditActor,
    details: (item.details as Record<string, unknown> | undefined) ?? {},
  };
}

function counterKey(month: string, item: CounterItem) {
  switch (item.kind) {
    case 'stage':
      return keys.stageMetric(month, item.stage);
    case 'funnel':
      return keys.funnelMetric(month);
    case 'yield':
      return keys.yieldMetric(month);
    case 'outcomes':
      return keys.outcomeMetric(month);
  }
}

/** One UpdateItem per counter item: a transaction may not touch the same item twice. */
function mergeCounters(counters: readonly CounterIncrement[]) {
  const merged = new Map<string, { key: { PK: string; SK: string }; add: Map<string, number> }>();
  for (const c of counters) {
    const key = counterKey(c.month, c.item);
    const id = `${key.PK}|${key.SK}`;
    const entry = merged.get(id) ?? { key, add: new Map<string, number>() };
    for (const [attr, n] of Object.entries(c.add)) entry.add.set(attr, (entry.add.get(attr) ?? 0) + n);
    merged.set(id, entry);
  }
  return [...merged.values()].map(({ key, add }) => {
    const names: Record<string, string> = {};
    const values: Record<string, number> = {};
    const parts: string[] = [];
    [...add.entries()].forEach(([attr, n], i) => {
      names[`#a${i}`] = attr;
      values[`:a${i}`] = n;
      parts.push(`#a${i} :a${i}`);
    });
    return { Key: key, UpdateExpression: `ADD ${parts.join(', ')}`, ExpressionAttributeNames: names, ExpressionAttributeValues: values };
  });
}

export function monthsInRange(from: string, to: string): string[] {
  const out: string[] = [];
  let [y, m] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  while (y < ty || (y === ty && m <= tm)) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}

function encodeCursor(p: number, k: Item | undefined): string {
  return Buffer.from(JSON.stringify({ p, k })).toString('base64url');
}
function decodeCursor(cursor: string | undefined): { p: number; k: Item | undefined } {
  if (!cursor) return { p: 0, k: undefined };
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { p?: unknown; k?: unknown };
    if (typeof parsed.p !== 'number' || !Number.isInteger(parsed.p) || parsed.p < 0) throw new Error('bad cursor');
    const k = parsed.k && typeof parsed.k === 'object' ? (parsed.k as Item) : undefined;
    return { p: parsed.p, k };
  } catch {
    throw new InvalidCursorError();
  }
}
export class InvalidCursorError extends Error {
  override readonly name = 'InvalidCursorError';
}
