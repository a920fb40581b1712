// FHIR rest-hook subscriptions and their deliveries, in the pathway table (keys from
// table-layout.ts). A delivery is written once per subscription and pathway step (a retried
// transition finds it there), then updated by the delivery worker after each attempt.
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ConditionalCheckFailedException, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AccessDeclaration } from '../shared/aws-access.js';
import { keys } from './table-layout.js';

export interface StoredSubscription {
  readonly id: string;
  readonly status: 'requested' | 'active' | 'error' | 'off';
  /** R4 criteria, e.g. `Task` or `Task?status=completed`. */
  readonly criteria: string;
  readonly endpoint: string;
  /** Headers the receiver asked for (e.g. its own Authorization), sent with every notification. */
  readonly headers: readonly string[];
  readonly reason: string;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly end?: string;
  readonly error?: string;
  /** Notifications queued so far: the event number of the next one. */
  readonly eventCount: number;
}

export interface Delivery {
  readonly subscriptionId: string;
  readonly patientId: string;
  readonly step: number;
  readonly eventNumber: number;
  readonly at: string;
  readonly status: 'pending' | 'delivered' | 'failed';
  readonly attempts: number;
  readonly nextAttemptAt: string | null;
  readonly lastAttemptAt?: string;
  readonly lastError?: string;
  readonly deliveredAt?: string;
}

type Item = Record<string, unknown>;

/** The AWS calls of SubscriptionStore, by capability (functions/shared/aws-access.ts). */
export const SUBSCRIPTION_STORE_ACCESS = {
  /** put */
  register: { pathwayTable: ['dynamodb:PutItem'] },
  /** get, hasDelivery */
  read: { pathwayTable: ['dynamodb:GetItem'] },
  /** list, deliveries */
  list: { pathwayTable: ['dynamodb:Query'] },
  /** nextEventNumber, addDelivery */
  queue: { pathwayTable: ['dynamodb:UpdateItem', 'dynamodb:PutItem'] },
  /** claim, recordAttempt, setStatus */
  recordAttempts: { pathwayTable: ['dynamodb:UpdateItem', 'dynamodb:PutItem'] },
} as const satisfies AccessDeclaration;

export class SubscriptionStore {
  private readonly doc: DynamoDBDocumentClient;

  constructor(client: DynamoDBClient, private readonly table: string) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async put(s: StoredSubscription): Promise<void> {
    await this.doc.send(new PutCommand({ TableName: this.table, Item: { ...keys.subscription(s.id), ...s }, ConditionExpression: 'attribute_not_exists(PK)' }));
  }

  async get(id: string): Promise<StoredSubscription | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: keys.subscription(id), ConsistentRead: true }));
    return out.Item ? strip<StoredSubscription>(out.Item) : undefined;
  }

  async list(): Promise<StoredSubscription[]> {
    const out: StoredSubscription[] = [];
    let start: Item | undefined;
    do {
      const page = await this.doc.send(new QueryCommand({ TableName: this.table, KeyConditionExpression: 'PK = :pk', ExpressionAttributeValues: { ':pk': keys.subscriptionPartition() }, ExclusiveStartKey: start }));
      for (const item of page.Items ?? []) out.push(strip<StoredSubscription>(item));
      start = page.LastEvaluatedKey;
    } while (start);
    return out;
  }

  async setStatus(id: string, status: StoredSubscription['status'], error: string | null): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.table,
        Key: keys.subscription(id),
        UpdateExpression: error === null ? 'SET #s = :s REMOVE #e' : 'SET #s = :s, #e = :e',
        ConditionExpression: 'attribute_exists(PK)',
        ExpressionAttributeNames: { '#s': 'status', '#e': 'error' },
        ExpressionAttributeValues: { ':s': status, ...(error === null ? {} : { ':e': error }) },
      }),
    );
  }

  /** The next event number of a subscription (its notifications are numbered 1, 2, ...). */
  async nextEventNumber(id: string): Promise<number> {
    const out = await this.doc.send(
      new UpdateCommand({ TableName: this.table, Key: keys.subscription(id), UpdateExpression: 'ADD eventCount :one', ConditionExpression: 'attribute_exists(PK)', ExpressionAttributeValues: { ':one': 1 }, ReturnValues: 'UPDATED_NEW' }),
    );
    return Number(out.Attributes?.eventCount);
  }

  /** Queue a notification; false when this subscription already has one for the step. */
  async addDelivery(d: Delivery): Promise<boolean> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: { ...keys.delivery(d.subscriptionId, d.patientId, d.step), ...d }, ConditionExpression: 'attribute_not_exists(PK)' }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async hasDelivery(subscriptionId: string, patientId: string, step: number): Promise<boolean> {
    const out = await this.doc.send(new GetCommand({ TableName: this.table, Key: keys.delivery(subscriptionId, patientId, step), ConsistentRead: true, ProjectionExpression: 'PK' }));
    return Boolean(out.Item);
  }

  async deliveries(subscriptionId: string, opts: { pendingOnly?: boolean; limit?: number } = {}): Promise<Delivery[]> {
    const out: Delivery[] = [];
    let start: Item | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'PK = :pk',
          ...(opts.pendingOnly ? { FilterExpression: '#s = :pending', ExpressionAttributeNames: { '#s': 'status' } } : {}),
          ExpressionAttributeValues: { ':pk': keys.deliveryPartition(subscriptionId), ...(opts.pendingOnly ? { ':pending': 'pending' } : {}) },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) if (item.SK !== keys.subscription(subscriptionId).SK) out.push(strip<Delivery>(item));
      start = page.LastEvaluatedKey;
    } while (start && (opts.limit === undefined || out.length < opts.limit));
    return opts.limit === undefined ? out : out.slice(0, opts.limit);
  }

  /**
   * Record an attempt, only if the delivery is still in the state the worker read (attempt
   * count): two workers never both count one attempt. False when another worker got there first.
   */
  async recordAttempt(d: Delivery, next: Pick<Delivery, 'status' | 'attempts' | 'nextAttemptAt' | 'lastAttemptAt' | 'lastError' | 'deliveredAt'>): Promise<boolean> {
    try {
      await this.doc.send(new PutCommand({ TableName: this.table, Item: { ...keys.delivery(d.subscriptionId, d.patientId, d.step), ...d, ...next }, ConditionExpression: 'attempts = :a', ExpressionAttributeValues: { ':a': d.attempts } }));
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** Claim a pending delivery for one attempt (so concurrent workers do not both send it). */
  async claim(d: Delivery, until: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.table,
          Key: keys.delivery(d.subscriptionId, d.patientId, d.step),
          UpdateExpression: 'SET nextAttemptAt = :until',
          ConditionExpression: '#s = :pending AND attempts = :a AND nextAttemptAt = :seen',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':until': until, ':pending': 'pending', ':a': d.attempts, ':seen': d.nextAttemptAt },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}

function strip<T>(item: Item): T {
  const { PK: _pk, SK: _sk, ...rest } = item;
  return rest as T;
}
