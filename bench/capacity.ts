// Counts the DynamoDB capacity the product consumes, for the cost model: the stack's DynamoDB
// endpoint asks for ReturnConsumedCapacity on every call a function makes, and the meter adds up
// what DynamoDB (Local) reports.
// DynamoDB Local computes capacity the way DynamoDB does (1 KB write units, 4 KB read units,
// strongly consistent reads 1, eventually consistent 0.5, transactions double, GSI writes
// counted): in on-demand mode those units are the billed write and read request units.
import type { DynamoObserver } from '../local/dynamodb-journal.js';

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

const METERED = new Set(['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Query', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'TransactWriteItems', 'TransactGetItems']);
const SINGLE_ITEM_WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem']);

function itemsWrittenBy(operation: string, input: { TransactItems?: unknown[] }): number {
  if (operation === 'TransactWriteItems') return input.TransactItems?.length ?? 0;
  return SINGLE_ITEM_WRITES.has(operation) ? 1 : 0;
}

/**
 * The meter on the wire: the stack's DynamoDB endpoint asks DynamoDB (Local) for the consumed
 * capacity of every call a function makes (not the operator's: the bench's own raw runs) and the
 * meter adds it up. The functions run in workers of their own, so a meter inside one process
 * would see none of their clients.
 */
export function capacityObserver(meter: CapacityMeter, operatorKey: string): DynamoObserver {
  const counted = (accessKeyId: string | undefined) => accessKeyId !== undefined && accessKeyId !== operatorKey;
  const operationOf = (target: string) => target.replace(/^DynamoDB_\d+\./, '');
  return {
    request: ({ accessKeyId, target, body }) => {
      if (!counted(accessKeyId) || !METERED.has(operationOf(target))) return body;
      try {
        return JSON.stringify({ ...(JSON.parse(body) as object), ReturnConsumedCapacity: 'INDEXES' });
      } catch {
        return body;
      }
    },
    response: ({ accessKeyId, target, body }, status, answer) => {
      const operation = operationOf(target);
      if (!counted(accessKeyId) || !METERED.has(operation)) return;
      if (status >= 300) return meter.record(operation, undefined, true);
      try {
        const output = JSON.parse(answer.toString('utf8')) as { ConsumedCapacity?: ConsumedCapacity | ConsumedCapacity[] };
        meter.record(operation, output.ConsumedCapacity, false, itemsWrittenBy(operation, JSON.parse(body) as { TransactItems?: unknown[] }));
      } catch {
        meter.record(operation, undefined, true);
      }
    },
  };
}
