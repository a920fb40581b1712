// The team's work beside the patient record: ownership, assignment, follow-up dates, bookings,
// notes, information from referring doctors, saved filters and booking counters. Every change is
// one transaction with its audit events (all or nothing), revision-checked like the patient
// record; keys come from table-layout.ts. The patient record itself is never written here.
import { TransactionCanceledException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type QueryCommandInput,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { PendingDecision } from '../domain/patient.js';
import type { BookingKind, BookingStatus, TeamAuditAction } from '../domain/team-work.js';
import type { AuditAction, FollowUpVisit, Role, Status } from '../domain/vocabulary.js';
import type { AccessDeclaration } from '../shared/aws-access.js';
import type { Clock, Ids } from '../shared/clock.js';
import { monthOf } from '../shared/clock.js';
import { ConcurrentUpdateError } from '../shared/errors.js';
import { PATHWAY_STORE_ACCESS, PathwayStore, type AuditActor, type AuditEventInput, type StoreTables } from './pathway-store.js';
import { keys, teamKeys } from './table-layout.js';

type Item = Record<string, unknown>;
type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

export interface Person {
  readonly email: string;
  readonly name: string;
}

export interface WorkRecord {
  readonly patientId: string;
  readonly rev: number;
  /** The coordinator who owns the case. */
  readonly owner: (Person & { readonly since: string }) | null;
  /** Who takes the pending decision `pendingKey`; it lapses when the pathway moves on. */
  readonly assignee: (Person & { readonly stage: string; readonly pendingKey: string; readonly since: string }) | null;
  /** The day the case comes back to its owner's list, and what to do then (free text: PHI-prone). */
  readonly followUp: { readonly on: string; readonly reason?: string; readonly setBy: string } | null;
  readonly updatedAt: string;
}

export interface Booking {
  readonly patientId: string;
  readonly bookingId: string;
  readonly rev: number;
  readonly caseRef: string;
  readonly kind: BookingKind;
  readonly visit?: FollowUpVisit;
  readonly status: BookingStatus;
  readonly startsAt: string | null;
  readonly site: string | null;
  readonly place: { readonly kind: 'scanner' | 'room' | 'phone'; readonly label: string } | null;
  readonly createdAt: string;
  readonly createdBy: Person;
  readonly bookedAt: string | null;
  readonly bookedBy: Person | null;
  readonly resultAt: string | null;
  readonly updatedAt: string;
  /** The day-before reminder already sent for this time (a rebooking is reminded again). */
  readonly remindedFor?: string | null;
}

export interface Note {
  readonly patientId: string;
  readonly noteId: string;
  readonly rev: number;
  /** PHI. */
  readonly text: string;
  readonly author: { readonly sub: string; readonly email: string; readonly role: Role };
  readonly createdAt: string;
  readonly editedAt: string | null;
  readonly sharedWithReferrer: boolean;
}

export interface InformationReceived {
  readonly patientId: string;
  readonly infoId: string;
  /** PHI. */
  readonly text: string;
  readonly attachments: readonly { readonly name: string; readonly text: string }[];
  readonly from: { readonly sub: string; readonly email: string };
  readonly receivedAt: string;
  /** The pending decision it answers. */
  readonly pendingKey: string;
}

export interface SavedFilter {
  readonly filterId: string;
  readonly name: string;
  readonly view: string;
  readonly query: Readonly<Record<string, string>>;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** What lists show of a patient: no name, birth date or MRN. */
export interface CaseSummary {
  readonly patientId: string;
  readonly caseRef: string;
  readonly referralId: string;
  readonly stage: string;
  readonly status: Status;
  readonly site: string;
  readonly dueAt: string | null;
  readonly pendingDecision: PendingDecision | null;
  readonly decidedAt: string | null;
}

export interface TeamAuditEventInput {
  readonly action: AuditAction | TeamAuditAction;
  readonly patientId: string | null;
  readonly stage: string | null;
  readonly actor: AuditActor;
  readonly details?: Record<string, unknown>;
}

export interface LinkItem {
  readonly patientId: string;
  readonly since: string;
  readonly followUpOn?: string | null;
  readonly stage?: string;
  readonly pendingKey?: string;
}

export type BookingCounters = Partial<Record<'created' | 'booked' | 'done' | 'cancelled' | 'did_not_attend' | 'hoursToBookSum' | 'hoursToBookCount' | 'hoursToDoneSum' | 'hoursToDoneCount', number>>;

const strip = (item: Item): Item => {
  const { PK: _pk, SK: _sk, ...rest } = item;
  return rest;
};

/**
 * The AWS calls of TeamStore, by capability (functions/shared/aws-access.ts). Its audit events go
 * through PathwayStore's chain; a transaction is authorized per item (Put, Delete, Update).
 */
export const TEAM_STORE_ACCESS = {
  /** getWork, getBooking, getNote, getInformation, isReferrerOf, bookingMetrics */
  read: { pathwayTable: ['dynamodb:GetItem'] },
  /** patientBookings, patientNotes, patientInformation, listOwned, listAssigned, listBookings, referrerPatients, listFilters */
  list: { pathwayTable: ['dynamodb:Query'] },
  /** workOf, summariesOf */
  readMany: { pathwayTable: ['dynamodb:BatchGetItem'] },
  /** saveWork, saveBooking, saveNote, saveInformation: one transaction with the audit events */
  save: { pathwayTable: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem'], ...PATHWAY_STORE_ACCESS.appendAudit },
  /** linkReferrer */
  linkReferrer: { pathwayTable: ['dynamodb:PutItem'] },
  /** putFilter, deleteFilter */
  saveFilters: { pathwayTable: ['dynamodb:PutItem', 'dynamodb:DeleteItem'] },
  /** markReminded */
  markReminded: { pathwayTable: ['dynamodb:UpdateItem'] },
  /** appendAudit */
  appendAudit: PATHWAY_STORE_ACCESS.appendAudit,
} as const satisfies AccessDeclaration;

export class TeamStore {
  private readonly doc: DynamoDBDocumentClient;
  /** Audit events are the pathway store's: one layout, one hash chain per patient. */
  private readonly audit: PathwayStore;

  constructor(
    client: DynamoDBClient,
    private readonly tables: StoreTables,
    private readonly clock: Clock,
    private readonly ids: Ids,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.audit = new PathwayStore(client, tables, clock, ids);
  }

  // ------------------------------------------------------------ reads
  async getWork(patientId: string): Promise<WorkRecord | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.pathway, Key: teamKeys.work(patientId), ConsistentRead: true }));
    return out.Item ? (strip(out.Item) as unknown as WorkRecord) : undefined;
  }

  async getBooking(patientId: string, bookingId: string): Promise<Booking | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.pathway, Key: teamKeys.booking(patientId, bookingId), ConsistentRead: true }));
    return out.Item ? (strip(out.Item) as unknown as Booking) : undefined;
  }

  async getNote(patientId: string, noteId: string): Promise<Note | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.pathway, Key: teamKeys.note(patientId, noteId), ConsistentRead: true }));
    return out.Item ? (strip(out.Item) as unknown as Note) : undefined;
  }

  async getInformation(patientId: string, infoId: string): Promise<InformationReceived | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.pathway, Key: teamKeys.information(patientId, infoId), ConsistentRead: true }));
    return out.Item ? (strip(out.Item) as unknown as InformationReceived) : undefined;
  }

  patientBookings(patientId: string): Promise<Booking[]> {
    return this.queryPrefix<Booking>(patientId, teamKeys.bookingPrefix);
  }
  patientNotes(patientId: string): Promise<Note[]> {
    return this.queryPrefix<Note>(patientId, teamKeys.notePrefix);
  }
  patientInformation(patientId: string): Promise<InformationReceived[]> {
    return this.queryPrefix<InformationReceived>(patientId, teamKeys.informationPrefix);
  }

  /** Work records of many patients (missing ones are simply absent). */
  async workOf(patientIds: readonly string[]): Promise<Map<string, WorkRecord>> {
    const items = await this.batchGet(patientIds.map((id) => teamKeys.work(id)));
    return new Map(items.map((i) => [String(i.patientId), strip(i) as unknown as WorkRecord]));
  }

  /** List columns of many patients from their records, without any PHI attribute. */
  async summariesOf(patientIds: readonly string[]): Promise<Map<string, CaseSummary>> {
    const items = await this.batchGet(
      patientIds.map((id) => keys.patient(id)),
      'patientId, caseRef, referralId, stage, #status, site, dueAt, pendingDecision, decidedAt',
      { '#status': 'status' },
    );
    return new Map(
      items.map((i) => [
        String(i.patientId),
        {
          patientId: String(i.patientId),
          caseRef: String(i.caseRef),
          referralId: String(i.referralId),
          stage: String(i.stage),
          status: i.status as Status,
          site: String(i.site),
          dueAt: (i.dueAt as string | null | undefined) ?? null,
          pendingDecision: (i.pendingDecision as PendingDecision | null | undefined) ?? null,
          decidedAt: (i.decidedAt as string | null | undefined) ?? null,
        },
      ]),
    );
  }

  listOwned(email: string): Promise<LinkItem[]> {
    return this.queryAll<LinkItem>({ TableName: this.tables.pathway, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': teamKeys.ownerPartition(email) } });
  }
  listAssigned(email: string): Promise<LinkItem[]> {
    return this.queryAll<LinkItem>({ TableName: this.tables.pathway, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': teamKeys.assigneePartition(email) } });
  }

  /** Open bookings of a status, optionally those starting in [from, to). */
  listBookings(status: BookingStatus, range: { from?: string; to?: string } = {}): Promise<Booking[]> {
    const values: Item = { ':pk': teamKeys.bookingListPartition(status) };
    let condition = 'PK = :pk';
    if (range.from && range.to) {
      condition += ' AND SK BETWEEN :from AND :to';
      Object.assign(values, { ':from': range.from, ':to': range.to });
    } else if (range.to) {
      condition += ' AND SK < :to';
      values[':to'] = range.to;
    }
    return this.queryAll<Booking>({ TableName: this.tables.pathway, KeyConditionExpression: condition, ExpressionAttributeValues: values });
  }

  async isReferrerOf(patientId: string, who: { email: string; sub: string }): Promise<boolean> {
    const probes = [...(who.email ? [{ email: who.email }] : []), { sub: who.sub }];
    for (const probe of probes) {
      const out = await this.doc.send(
        new GetCommand({ TableName: this.tables.pathway, Key: { PK: teamKeys.referrerPartition(probe), SK: teamKeys.patientSort(patientId) }, ConsistentRead: true }),
      );
      if (out.Item) return true;
    }
    return false;
  }

  async referrerPatients(who: { email: string; sub: string }): Promise<string[]> {
    const ids = new Set<string>();
    for (const probe of [...(who.email ? [{ email: who.email }] : []), { sub: who.sub }]) {
      const items = await this.queryAll<LinkItem>({ TableName: this.tables.pathway, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': teamKeys.referrerPartition(probe) } });
      for (const i of items) ids.add(String(i.patientId));
    }
    return [...ids].sort().reverse();
  }

  async listFilters(sub: string): Promise<SavedFilter[]> {
    return this.queryAll<SavedFilter>({
      TableName: this.tables.pathway,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
      ExpressionAttributeValues: { ':pk': teamKeys.userPartition(sub), ':p': teamKeys.filterPrefix },
    });
  }

  async bookingMetrics(month: string): Promise<Record<string, number>> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tables.pathway, Key: teamKeys.bookingMetric(month) }));
    const { PK: _pk, SK: _sk, ...rest } = out.Item ?? {};
    return rest as Record<string, number>;
  }

  // ------------------------------------------------------------ writes
  /** The work record with its owner and assignee lists kept in step, in one transaction. */
  async saveWork(next: WorkRecord, previous: WorkRecord | undefined, events: readonly TeamAuditEventInput[]): Promise<void> {
    const items: TransactItem[] = [this.revPut({ ...teamKeys.work(next.patientId), ...next }, previous?.rev)];
    const prevOwner = previous?.owner?.email.toLowerCase();
    const nextOwner = next.owner?.email.toLowerCase();
    if (prevOwner && prevOwner !== nextOwner) items.push(this.del({ PK: teamKeys.ownerPartition(prevOwner), SK: teamKeys.patientSort(next.patientId) }));
    if (next.owner && (prevOwner !== nextOwner || previous?.followUp?.on !== next.followUp?.on)) {
      items.push({
        Put: {
          TableName: this.tables.pathway,
          Item: { PK: teamKeys.ownerPartition(next.owner.email), SK: teamKeys.patientSort(next.patientId), patientId: next.patientId, since: next.owner.since, followUpOn: next.followUp?.on ?? null },
        },
      });
    }
    const prevAssignee = previous?.assignee ? `${previous.assignee.email.toLowerCase()}|${previous.assignee.pendingKey}` : undefined;
    const nextAssignee = next.assignee ? `${next.assignee.email.toLowerCase()}|${next.assignee.pendingKey}` : undefined;
    if (previous?.assignee && prevAssignee !== nextAssignee && previous.assignee.email.toLowerCase() !== next.assignee?.email.toLowerCase()) {
      items.push(this.del({ PK: teamKeys.assigneePartition(previous.assignee.email), SK: teamKeys.patientSort(next.patientId) }));
    }
    if (next.assignee && prevAssignee !== nextAssignee) {
      items.push({
        Put: {
          TableName: this.tables.pathway,
          Item: {
            PK: teamKeys.assigneePartition(next.assignee.email),
            SK: teamKeys.patientSort(next.patientId),
            patientId: next.patientId,
            since: next.assignee.since,
            stage: next.assignee.stage,
            pendingKey: next.assignee.pendingKey,
          },
        },
      });
    }
    await this.transact(items, events);
  }

  /** A booking with its entry in the by-status list moved along, and its counters. */
  async saveBooking(next: Booking, previous: Booking | undefined, events: readonly TeamAuditEventInput[], counters: BookingCounters = {}): Promise<void> {
    const items: TransactItem[] = [this.revPut({ ...teamKeys.booking(next.patientId, next.bookingId), ...next }, previous?.rev)];
    const listed = (b: Booking | undefined) => (b && (b.status === 'to_schedule' || b.status === 'booked') ? teamKeys.bookingList(b.status, b.startsAt, b.bookingId) : undefined);
    const before = listed(previous);
    const after = listed(next);
    if (before && (!after || before.PK !== after.PK || before.SK !== after.SK)) items.push(this.del(before));
    if (after) items.push({ Put: { TableName: this.tables.pathway, Item: { ...after, ...next } } });
    const add = Object.entries(counters).filter(([, n]) => n !== undefined && n !== 0);
    if (add.length) {
      const names: Record<string, string> = {};
      const values: Record<string, number> = {};
      add.forEach(([k, n], i) => {
        names[`#c${i}`] = k;
        values[`:c${i}`] = n as number;
      });
      items.push({
        Update: {
          TableName: this.tables.pathway,
          Key: teamKeys.bookingMetric(monthOf(next.updatedAt)),
          UpdateExpression: `ADD ${add.map((_, i) => `#c${i} :c${i}`).join(', ')}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        },
      });
    }
    await this.transact(items, events);
  }

  async saveNote(next: Note, previous: Note | undefined, events: readonly TeamAuditEventInput[]): Promise<void> {
    await this.transact([this.revPut({ ...teamKeys.note(next.patientId, next.noteId), ...next }, previous?.rev)], events);
  }

  async saveInformation(info: InformationReceived, events: readonly TeamAuditEventInput[]): Promise<void> {
    await this.transact([this.revPut({ ...teamKeys.information(info.patientId, info.infoId), ...info }, undefined)], events);
  }

  /** Idempotent: a referring doctor's index entries for a patient (by email, and by sub when known). */
  async linkReferrer(patientId: string, who: { email: string; sub?: string }, at: string): Promise<void> {
    const probes: ({ email: string } | { sub: string })[] = [{ email: who.email }, ...(who.sub ? [{ sub: who.sub }] : [])];
    for (const probe of probes) {
      await this.doc.send(new PutCommand({ TableName: this.tables.pathway, Item: { PK: teamKeys.referrerPartition(probe), SK: teamKeys.patientSort(patientId), patientId, since: at } }));
    }
  }

  async putFilter(sub: string, filter: SavedFilter, mustExist: boolean): Promise<void> {
    await this.doc
      .send(
        new PutCommand({
          TableName: this.tables.pathway,
          Item: { ...teamKeys.filter(sub, filter.filterId), ...filter },
          ConditionExpression: mustExist ? 'attribute_exists(PK)' : 'attribute_not_exists(PK)',
        }),
      )
      .catch((err: unknown) => {
        if ((err as Error).name === 'ConditionalCheckFailedException') throw new ConcurrentUpdateError('filter exists or is gone');
        throw err;
      });
  }

  async deleteFilter(sub: string, filterId: string): Promise<boolean> {
    const out = await this.doc.send(new DeleteCommand({ TableName: this.tables.pathway, Key: teamKeys.filter(sub, filterId), ReturnValues: 'ALL_OLD' }));
    return Boolean(out.Attributes);
  }

  /** Marks the day-before reminder of a booking sent; false if another sweep already did. */
  async markReminded(b: Booking, startsAt: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tables.pathway,
          Key: teamKeys.booking(b.patientId, b.bookingId),
          UpdateExpression: 'SET remindedFor = :at',
          ConditionExpression: 'attribute_exists(PK) AND startsAt = :at AND (attribute_not_exists(remindedFor) OR remindedFor <> :at)',
          ExpressionAttributeValues: { ':at': startsAt },
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  async appendAudit(events: readonly TeamAuditEventInput[]): Promise<void> {
    await this.audit.appendAudit(asAuditEvents(events));
  }

  newId(): string {
    return this.ids.next();
  }

  // ------------------------------------------------------------ helpers
  private revPut(item: Item, previousRev: number | undefined): TransactItem {
    return {
      Put: {
        TableName: this.tables.pathway,
        Item: item,
        ...(previousRev === undefined ? { ConditionExpression: 'attribute_not_exists(PK)' } : { ConditionExpression: 'rev = :rev', ExpressionAttributeValues: { ':rev': previousRev } }),
      },
    };
  }

  private del(key: { PK: string; SK: string }): TransactItem {
    return { Delete: { TableName: this.tables.pathway, Key: key } };
  }

  private async transact(items: TransactItem[], events: readonly TeamAuditEventInput[]): Promise<void> {
    const all: TransactItem[] = [...items, ...(await this.audit.auditPuts(asAuditEvents(events)))];
    try {
      await this.doc.send(new TransactWriteCommand({ TransactItems: all }));
    } catch (err) {
      if (err instanceof TransactionCanceledException) {
        const reasons = err.CancellationReasons?.map((r) => r.Code) ?? [];
        if (reasons.some((r) => r === 'ConditionalCheckFailed' || r === 'TransactionConflict' || r === 'ThrottlingError')) {
          throw new ConcurrentUpdateError(`team work changed concurrently: ${reasons.join(',')}`);
        }
      }
      throw err;
    }
  }

  private async queryPrefix<T>(patientId: string, prefix: string): Promise<T[]> {
    const items = await this.queryAll<T>({
      TableName: this.tables.pathway,
      KeyConditionExpression: 'PK = :pk AND begins_with(SK, :p)',
      ExpressionAttributeValues: { ':pk': teamKeys.patientPartition(patientId), ':p': prefix },
      ConsistentRead: true,
    });
    return items;
  }

  private async queryAll<T = Item>(input: QueryCommandInput): Promise<T[]> {
    const out: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await this.doc.send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) out.push(strip(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out as unknown as T[];
  }

  private async batchGet(allKeys: readonly { PK: string; SK: string }[], projection?: string, names?: Record<string, string>): Promise<Item[]> {
    const out: Item[] = [];
    const unique = [...new Map(allKeys.map((k) => [`${k.PK}|${k.SK}`, k])).values()];
    for (let i = 0; i < unique.length; i += 100) {
      let pending: Item[] = unique.slice(i, i + 100);
      for (let attempt = 0; pending.length && attempt < 8; attempt++) {
        const res = await this.doc.send(
          new BatchGetCommand({
            RequestItems: { [this.tables.pathway]: { Keys: pending, ConsistentRead: true, ...(projection ? { ProjectionExpression: projection } : {}), ...(names ? { ExpressionAttributeNames: names } : {}) } },
          }),
        );
        out.push(...(res.Responses?.[this.tables.pathway] ?? []));
        pending = (res.UnprocessedKeys?.[this.tables.pathway]?.Keys as Item[] | undefined) ?? [];
        if (pending.length) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      }
    }
    return out;
  }
}

/** Team actions are audit actions of their own list (team-work.ts); the trail stores any action name. */
const asAuditEvents = (events: readonly TeamAuditEventInput[]) => events as readonly AuditEventInput[];
