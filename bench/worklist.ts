// Figures 2 and 3 at scale: a DynamoDB Local of its own holding one table pair per size
// (1k, 10k, 100k patients by default), seeded once and reused between runs from a data folder
// under bench-results/. On each table: the stage worklist and the overdue list through
// PathwayStore.listWorklist (the code behind GET /patients), a Scan with a FilterExpression that
// produces the same page as a baseline, and the 12-month throughput report through
// throughputReport over monthMetrics (the code behind GET /metrics/throughput).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { throughputReport } from '../functions/app/throughput.js';
import { STAGES } from '../functions/domain/vocabulary.js';
import { systemClock, ulidIds } from '../functions/shared/clock.js';
import { PathwayStore, monthsInRange } from '../functions/store/pathway-store.js';
import { keys } from '../functions/store/table-layout.js';
import { ensureTables, startDynamoLocal, type DynamoLocal } from '../local/dynamodb.js';
import { progressBar, note } from './progress.js';
import { PatientFactory, batchPut, checkItemShapes, counterItems, documentClient, patientItem, putCounters, referralItem, type SeedTables } from './seed.js';
import { freePort, localDynamoClient } from './stack.js';
import { median, nowMs, percentile, summarize, type Summary } from './stats.js';

/** Bump when the generator changes: seeded tables of another version are seeded again. */
const GENERATOR_VERSION = 1;
const CHUNK = 2_000;

export interface ScaleOptions {
  readonly sizes: readonly number[];
  readonly reps: number;
  readonly queries: number;
  readonly scans: number;
  /** A Scan-baseline sample still running after this long is stopped and counted as a lower bound. */
  readonly scanBudgetMs: number;
  readonly reports: number;
  readonly seedParallel: number;
  readonly dataDir: string;
  readonly fresh: boolean;
  readonly quiet: boolean;
}

interface Manifest {
  generator: number;
  tables: Record<string, { epoch: string; seeded: number; counters: boolean; seedMs: number }>;
}

export interface SizeRep {
  readonly worklist: Summary;
  readonly worklistScan: Summary;
  readonly overdue: Summary;
  readonly overdueScan: Summary;
  readonly report: Summary;
  readonly samples: { worklist: number[]; worklistScan: number[]; overdue: number[]; overdueScan: number[]; report: number[] };
  /** Scan samples stopped at the budget: their time is a lower bound. */
  readonly scansStopped: { worklist: number; overdue: number };
}

export interface SizeResult {
  readonly size: number;
  readonly seededNow: number;
  readonly seedMs: number;
  readonly reused: boolean;
  /** Items in the pathway table (patients, referral guards, counters). */
  readonly tableItems: number;
  /** A complete Scan baseline returned the same page as listWorklist (false: no Scan finished in budget). */
  readonly scanVerified: boolean;
  readonly pageSizes: { worklist: number; overdue: number };
  readonly reps: SizeRep[];
  /** Medians across repetitions of each rep's p50 / p95 (Scan baselines: percentiles of all their samples). */
  readonly median: Record<'worklist' | 'worklistScan' | 'overdue' | 'overdueScan' | 'report', { p50: number; p95: number }>;
}

export interface ScaleResult {
  readonly sizes: SizeResult[];
  /** Per-rep ratios, then their median. */
  readonly worklistSpeedupVsScan: number;
  readonly overdueSpeedupVsScan: number;
  /** Some Scan samples at the largest size were stopped at the budget: the speedups are at least this. */
  readonly speedupIsLowerBound: boolean;
  readonly worklistP95Growth: number;
  readonly overdueP95Growth: number;
  readonly reportP50Growth: number;
  readonly smallest: number;
  readonly largest: number;
}

const tablesFor = (size: number): SeedTables => ({ pathway: `bench-pathway-${size}`, audit: `bench-audit-${size}` });

function loadManifest(path: string): Manifest {
  try {
    const m = JSON.parse(readFileSync(path, 'utf8')) as Manifest;
    if (m.generator === GENERATOR_VERSION && m.tables) return m;
  } catch {
    // none yet
  }
  return { generator: GENERATOR_VERSION, tables: {} };
}

async function seedTable(client: DynamoDBClient, doc: DynamoDBDocumentClient, size: number, manifest: Manifest, manifestPath: string, opts: ScaleOptions): Promise<{ seededNow: number; reused: boolean }> {
  const tables = tablesFor(size);
  await ensureTables(client, tables);
  const entry = (manifest.tables[String(size)] ??= { epoch: new Date().toISOString(), seeded: 0, counters: false, seedMs: 0 });
  const factory = new PatientFactory(new Date(entry.epoch));
  await checkItemShapes(client, tables, factory);
  const reused = entry.seeded >= size && entry.counters;
  if (reused) return { seededNow: 0, reused };
  const start = entry.seeded;
  const bar = progressBar(opts.quiet, `seeding ${size.toLocaleString('en-US')} patients`, size, start);
  const t0 = nowMs();
  const before = entry.seedMs;
  try {
    for (let from = start; from < size; from += CHUNK) {
      const to = Math.min(size, from + CHUNK);
      const batches: number[][] = [];
      for (let i = from; i < to; i += 12) batches.push(Array.from({ length: Math.min(12, to - i) }, (_, k) => i + k));
      let next = 0;
      await Promise.all(
        Array.from({ length: opts.seedParallel }, async () => {
          for (;;) {
            const batch = batches[next++];
            if (!batch) return;
            const items = batch.flatMap((i) => {
              const { record } = factory.patient(i);
              return [patientItem(record), referralItem(record)];
            });
            await batchPut(doc, tables.pathway, items);
            bar.increment(batch.length);
          }
        }),
      );
      entry.seeded = to;
      entry.seedMs = before + (nowMs() - t0);
      writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
    }
  } finally {
    bar.stop();
  }
  await putCounters(doc, tables.pathway, counterItems(factory, size));
  entry.counters = true;
  entry.seedMs = before + (nowMs() - t0);
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  return { seededNow: size - start, reused: false };
}

const WORKLIST_STAGE = 'TRIAGE' as const;
const PROJECTION = ['patientId', 'GSI1PK', 'GSI1SK'];

/**
 * The baseline: Scan the whole table with a FilterExpression, then order and cut like the Query.
 * Stops at `deadline` (DynamoDB Local's Scan slows down more than linearly with table size).
 */
async function scanPage(
  doc: DynamoDBDocumentClient,
  table: string,
  filter: string,
  values: Record<string, unknown>,
  order: (a: Record<string, unknown>, b: Record<string, unknown>) => number,
  limit: number,
  deadline: number,
): Promise<{ ids: string[]; complete: boolean }> {
  const matches: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    if (Date.now() > deadline) return { ids: [], complete: false };
    const page = await doc.send(
      new ScanCommand({
        TableName: table,
        FilterExpression: filter,
        ExpressionAttributeValues: values,
        ProjectionExpression: PROJECTION.map((_, i) => `#p${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(PROJECTION.map((p, i) => [`#p${i}`, p])),
        ExclusiveStartKey: start,
      }),
    );
    matches.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  matches.sort(order);
  return { ids: matches.slice(0, limit).map((m) => String(m.patientId)), complete: true };
}

const bySortKey = (a: Record<string, unknown>, b: Record<string, unknown>) => (String(a.GSI1SK) < String(b.GSI1SK) ? -1 : String(a.GSI1SK) > String(b.GSI1SK) ? 1 : 0);

async function timeIt<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = nowMs();
  const out = await fn();
  return [nowMs() - t, out];
}

interface Measured {
  readonly rep: SizeRep;
  readonly tableItems: number;
  readonly scanVerified: boolean;
  readonly pageSizes: { worklist: number; overdue: number };
}

async function measureSize(client: DynamoDBClient, doc: DynamoDBDocumentClient, size: number, opts: ScaleOptions, label: string): Promise<Measured> {
  const tables = tablesFor(size);
  const store = new PathwayStore(client, tables, systemClock, ulidIds);
  const now = new Date().toISOString();
  const worklistQuery = () => store.listWorklist({ stages: [WORKLIST_STAGE], statuses: ['active'], limit: 50 });
  const overdueQuery = () => store.listWorklist({ stages: STAGES, statuses: ['active'], dueBefore: now, limit: 50 });
  const pk = keys.worklistPartition(WORKLIST_STAGE, 'active');
  const overduePartitions = STAGES.map((s) => keys.worklistPartition(s, 'active'));
  const worklistScan = (deadline: number) => scanPage(doc, tables.pathway, 'GSI1PK = :pk', { ':pk': pk }, bySortKey, 50, deadline);
  const overdueScan = (deadline: number) =>
    scanPage(
      doc,
      tables.pathway,
      `GSI1PK IN (${overduePartitions.map((_, i) => `:p${i}`).join(', ')}) AND GSI1SK < :due`,
      { ...Object.fromEntries(overduePartitions.map((p, i) => [`:p${i}`, p])), ':due': now },
      (a, b) => overduePartitions.indexOf(String(a.GSI1PK)) - overduePartitions.indexOf(String(b.GSI1PK)) || bySortKey(a, b),
      50,
      deadline,
    );
  const months = monthsInRange(monthOf12(), now.slice(0, 7));
  const report = async () => throughputReport(months, await Promise.all(months.map((m) => store.monthMetrics(m))));

  // Warm up; the pages the Scan baseline must reproduce.
  const wl = await worklistQuery();
  const od = await overdueQuery();
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  const firstReport = await report();
  if (firstReport.months.length !== 12) throw new Error('throughput report does not have 12 months');
  for (let i = 0; i < 5; i++) {
    await worklistQuery();
    await overdueQuery();
    await report();
  }

  const samples = { worklist: [] as number[], worklistScan: [] as number[], overdue: [] as number[], overdueScan: [] as number[], report: [] as number[] };
  const scansStopped = { worklist: 0, overdue: 0 };
  let scanVerified = false;
  const timeScan = async (kind: 'worklist' | 'overdue') => {
    const t = nowMs();
    const out = await (kind === 'worklist' ? worklistScan : overdueScan)(Date.now() + opts.scanBudgetMs);
    const elapsed = nowMs() - t;
    if (!out.complete) {
      scansStopped[kind] += 1;
    } else {
      const expected = (kind === 'worklist' ? wl : od).items.map((i) => i.patientId);
      if (!same(expected, out.ids)) throw new Error(`size ${size}: the Scan baseline and listWorklist disagree on the ${kind} page`);
      scanVerified = true;
    }
    return elapsed;
  };
  const total = opts.queries * 2 + opts.scans * 2 + opts.reports;
  const bar = progressBar(opts.quiet || total < 50, `${label} ${size.toLocaleString('en-US')}`, total);
  try {
    for (let i = 0; i < opts.queries; i++) {
      samples.worklist.push((await timeIt(worklistQuery))[0]);
      samples.overdue.push((await timeIt(overdueQuery))[0]);
      bar.increment(2);
    }
    for (let i = 0; i < opts.reports; i++) {
      samples.report.push((await timeIt(report))[0]);
      bar.increment();
    }
    for (let i = 0; i < opts.scans; i++) {
      samples.worklistScan.push(await timeScan('worklist'));
      bar.increment();
      samples.overdueScan.push(await timeScan('overdue'));
      bar.increment();
    }
  } finally {
    bar.stop();
  }
  return {
    rep: {
      worklist: summarize(samples.worklist),
      worklistScan: summarize(samples.worklistScan),
      overdue: summarize(samples.overdue),
      overdueScan: summarize(samples.overdueScan),
      report: summarize(samples.report),
      samples,
      scansStopped,
    },
    tableItems: Number((await client.send(new DescribeTableCommand({ TableName: tables.pathway }))).Table?.ItemCount ?? 0),
    scanVerified,
    pageSizes: { worklist: wl.items.length, overdue: od.items.length },
  };
}

/** The month eleven months before this one: a 12-month report ends with the current month. */
function monthOf12(): string {
  const d = new Date();
  const m = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 11, 1));
  return m.toISOString().slice(0, 7);
}

export async function runScale(opts: ScaleOptions): Promise<ScaleResult> {
  const sizes = [...new Set(opts.sizes)].sort((a, b) => a - b);
  const dataDir = opts.dataDir;
  if (opts.fresh && existsSync(dataDir)) rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataDir, { recursive: true });
  const releaseLock = lockDataDir(dataDir);
  try {
    return await measureAll(sizes, dataDir, opts);
  } finally {
    releaseLock();
  }
}

/** One bench run at a time per data folder: a second DynamoDB Local on it would reap the first. */
function lockDataDir(dataDir: string): () => void {
  const lock = join(dataDir, 'bench.lock');
  try {
    const pid = Number(readFileSync(lock, 'utf8'));
    if (Number.isInteger(pid) && pid > 1 && pid !== process.pid) {
      try {
        process.kill(pid, 0);
        throw new Error(`another bench run (pid ${pid}) is using ${dataDir}; wait for it to finish`);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
      }
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  writeFileSync(lock, String(process.pid));
  return () => rmSync(lock, { force: true });
}

async function measureAll(sizes: number[], dataDir: string, opts: ScaleOptions): Promise<ScaleResult> {
  const manifestPath = join(dataDir, 'manifest.json');
  const manifest = loadManifest(manifestPath);
  const port = await freePort();
  note(opts.quiet, `starting DynamoDB Local for the scale figures (data: ${dataDir})`);
  const dynamo: DynamoLocal = await startDynamoLocal(dataDir, '127.0.0.1', port);
  const client = localDynamoClient(port);
  const doc = documentClient(client);
  try {
    const seeded = new Map<number, { seededNow: number; reused: boolean; seedMs: number }>();
    for (const size of sizes) {
      const s = await seedTable(client, doc, size, manifest, manifestPath, opts);
      seeded.set(size, { ...s, seedMs: manifest.tables[String(size)]?.seedMs ?? 0 });
    }
    const perSize = new Map<number, { reps: SizeRep[]; measured: Measured[] }>();
    for (let r = 0; r < opts.reps; r++) {
      for (const size of sizes) {
        const m = await measureSize(client, doc, size, opts, `rep ${r + 1}/${opts.reps}: queries at`);
        const entry = perSize.get(size) ?? { reps: [], measured: [] };
        entry.reps.push(m.rep);
        entry.measured.push(m);
        perSize.set(size, entry);
      }
    }
    const results: SizeResult[] = sizes.map((size) => {
      const e = perSize.get(size) as { reps: SizeRep[]; measured: Measured[] };
      const first = e.measured[0] as Measured;
      const s = seeded.get(size) as { seededNow: number; reused: boolean; seedMs: number };
      const med = (k: keyof SizeRep['samples']) => ({ p50: median(e.reps.map((x) => x[k].p50)), p95: median(e.reps.map((x) => x[k].p95)) });
      // Few Scan samples per repetition (they are slow): their percentiles pool every repetition.
      const pooled = (k: 'worklistScan' | 'overdueScan') => {
        const all = e.reps.flatMap((x) => x.samples[k]);
        return { p50: percentile(all, 50), p95: percentile(all, 95) };
      };
      return {
        size,
        seededNow: s.seededNow,
        seedMs: s.seedMs,
        reused: s.reused,
        tableItems: first.tableItems,
        scanVerified: e.measured.some((m) => m.scanVerified),
        pageSizes: first.pageSizes,
        reps: e.reps,
        median: { worklist: med('worklist'), worklistScan: pooled('worklistScan'), overdue: med('overdue'), overdueScan: pooled('overdueScan'), report: med('report') },
      };
    });
    const smallest = results[0] as SizeResult;
    const largest = results.at(-1) as SizeResult;
    const perRep = (f: (rep: number) => number) => median(Array.from({ length: opts.reps }, (_, r) => f(r)));
    const rep = (s: SizeResult, r: number) => s.reps[r] as SizeRep;
    return {
      sizes: results,
      smallest: smallest.size,
      largest: largest.size,
      speedupIsLowerBound: largest.reps.some((r) => r.scansStopped.worklist + r.scansStopped.overdue > 0),
      worklistSpeedupVsScan: perRep((r) => rep(largest, r).worklistScan.p50 / rep(largest, r).worklist.p50),
      overdueSpeedupVsScan: perRep((r) => rep(largest, r).overdueScan.p50 / rep(largest, r).overdue.p50),
      worklistP95Growth: perRep((r) => rep(largest, r).worklist.p95 / rep(smallest, r).worklist.p95),
      overdueP95Growth: perRep((r) => rep(largest, r).overdue.p95 / rep(smallest, r).overdue.p95),
      reportP50Growth: perRep((r) => rep(largest, r).report.p50 / rep(smallest, r).report.p50),
    };
  } finally {
    doc.destroy();
    client.destroy();
    await dynamo.stop();
  }
}
