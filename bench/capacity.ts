// Counts the DynamoDB capacity the product consumes, for the cost model. Every DynamoDB call
// of the product goes through the repository's DocumentClient (PathwayStore), which is built
// with DynamoDBDocumentClient.from; the meter wraps `from` so each such client gets one
// middleware that asks for ReturnConsumedCapacity and adds up what DynamoDB (Local) reports.
// DynamoDB Local computes capacity the way DynamoDB does (1 KB write units, 4 KB read units,
// strongly consistent reads 1, eventually consistent 0.5, transactions double, GSI writes
// counted): in on-demand mode those units are the billed write and read request units.
import { DynamoDBDocumentClient, type ServiceInputTypes, type ServiceOutputTypes } from '@aws-sdk/lib-dynamodb';
import type { InitializeMiddleware } from '@aws-sdk/types';

export interface OperationUsage {
  calls: number;
  failed: number;
  units: number;
  /** Items the successful calls wrote (a transaction's TransactItems, 1 for a single-item write). */
  itemsWritten: number;
}
export interface CapacityUsage {
  readonly readUnits: number;
  readonly writeUnits: number;
  readonly byOperation: Record<string, OperationUsage>;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

interface ConsumedCapacity {
  readonly CapacityUnits?: number;
}

export class CapacityMeter {
  private readonly ops = new Map<string, OperationUsage>();

  record(operation: string, consumed: ConsumedCapacity | readonly ConsumedCapacity[] | undefined, failed: boolean, itemsWritten = 0): void {
    const entry = this.ops.get(operation) ?? { calls: 0, failed: 0, units: 0, itemsWritten: 0 };
    entry.calls += 1;
    if (failed) entry.failed += 1;
    else entry.itemsWritten += itemsWritten;
    const list = consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed as ConsumedCapacity];
    for (const c of list) entry.units += c.CapacityUnits ?? 0;
    this.ops.set(operation, entry);
  }

  snapshot(): CapacityUsage {
    let readUnits = 0;
    let writeUnits = 0;
    const byOperation: Record<string, OperationUsage> = {};
    for (const [op, usage] of this.ops) {
      byOperation[op] = { ...usage };
      if (READS.has(op)) readUnits += usage.units;
      else writeUnits += usage.units;
    }
    return { readUnits, writeUnits, byOperation };
  }
}

/** Difference of two snapshots (after - before). */
export function usageBetween(before: CapacityUsage, after: CapacityUsage): CapacityUsage {
  const byOperation: Record<string, OperationUsage> = {};
  for (const [op, a] of Object.entries(after.byOperation)) {
    const b = before.byOperation[op] ?? { calls: 0, failed: 0, units: 0, itemsWritten: 0 };
    byOperation[op] = { calls: a.calls - b.calls, failed: a.failed - b.failed, units: a.units - b.units, itemsWritten: a.itemsWritten - b.itemsWritten };
  }
  return { readUnits: after.readUnits - before.readUnits, writeUnits: after.writeUnits - before.writeUnits, byOperation };
}

const METER_NAME = 'benchCapacityMeter';
const SINGLE_ITEM_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

function itemsWrittenBy(operation: string, input: { TransactItems?: unknown[] }): number {
  if (operation === 'TransactWriteItems') return input.TransactItems?.length ?? 0;
  return SINGLE_ITEM_WRITES.has(operation) ? 1 : 0;
}

/** Install the meter on every DocumentClient created from now on in this process. */
export function installCapacityMeter(): CapacityMeter {
  const meter = new CapacityMeter();
  const original = DynamoDBDocumentClient.from.bind(DynamoDBDocumentClient);
  const middleware: InitializeMiddleware<ServiceInputTypes, ServiceOutputTypes> = (next, context) => async (args) => {
    const operation = String(context.commandName ?? 'Unknown').replace(/Command$/, '');
    const input = { ...args.input, ReturnConsumedCapacity: 'INDEXES' } as ServiceInputTypes;
    try {
      const result = await next({ ...args, input });
      const output = result.output as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
      meter.record(operation, output.ConsumedCapacity, false, itemsWrittenBy(operation, args.input as { TransactItems?: unknown[] }));
      return result;
    } catch (err) {
      meter.record(operation, undefined, true);
      throw err;
    }
  };
  DynamoDBDocumentClient.from = ((client, translateConfig) => {
    const doc = original(client, translateConfig);
    if (!doc.middlewareStack.identify().some((m) => m.startsWith(METER_NAME))) {
      doc.middlewareStack.add(middleware, { step: 'initialize', name: METER_NAME, override: true });
    }
    return doc;
  }) as typeof DynamoDBDocumentClient.from;
  return meter;
}
