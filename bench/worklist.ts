// Figures 2 and 3 at scale: a DynamoDB Local of its own holding one table pair per size
// (1k, 10k, 100k patients by default), seeded once and reused between runs from a data folder
// under bench-results/. On each table: the stage worklist and the overdue list through
// PathwayStore.listWorklist (the code behind GET /patients), a Scan with a FilterExpression that
// produces the same page as a baseline, and the 12-month throughput report through
// throughputReport over monthMetrics (the code behind GET /metrics/throughput).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ScanCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { throughputReport } from '../functions/app/throughput.js';
import { STAGES } from '../functions/domain/vocabulary.js';
import { systemClock, ulidIds } from '../functions/shared/clock.js';
import { PathwayStore, monthsInRange } from '../functions/store/pathway-store.js';
import { keys } from '../functions/store/table-layout.js';
import { ensureTables, startDynamoLocal, type DynamoLocal } from '../local/dynamodb.js';
import { progressBar, note } from './progress.js';
import { PatientFactory, batchPut, checkItemShapes, counterItems, documentClient, patientItem, putCounters, referralItem, type SeedTables } from './seed.js';
import { freePort, localDynamoClient } from './stack.js';
import { median, nowMs, summarize, type Summary } from './stats.js';

/** Bump when the generator changes: seeded tables of another version are seeded again. */
const GENERATOR_VERSION = 1;
const CHUNK = 2_000;

export interface ScaleOptions {
  readonly sizes: readonly number[];
  readonly reps: number;
  readonly queries: number;
  readonly scans: number;
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
}

export interface SizeResult {
  readonly size: number;
  readonly seededNow: number;
  readonly seedMs: number;
  readonly reused: boolean;
  /** Items in the pathway table (patients, referral guards, counters), as Scan saw them. */
  readonly scannedItems: number;
  readonly pageSizes: { worklist: number; overdue: number };
  readonly reps: SizeRep[];
  /** Medians across repetitions of each rep's p50 / p95. */
  readonly median: Record<'worklist' | 'worklistScan' | 'overdue' | 'overdueScan' | 'report', { p50: number; p95: number }>;
}

export interface ScaleResult {
  readonly sizes: SizeResult[];
  /** Per-rep ratios, then their median. */
  readonly worklistSpeedupVsScan: number;
  readonly overdueSpeedupVsScan: number;
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

/** The baseline: Scan the whole table with a FilterExpression, then order and cut like the Query. */
async function scanPage(doc: DynamoDBDocumentClient, table: string, filter: string, values: Record<string, unknown>, order: (a: Record<string, unknown>, b: Record<string, unknown>) => number, limit: number): Promise<{ ids: string[]; scanned: number }> {
  const matches: Record<string, unknown>[] = [];
  let scanned = 0;
  let start: Record<string, unknown> | undefined;
  do {
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
    scanned += page.ScannedCount ?? 0;
    matches.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  matches.sort(order);
  return { ids: matches.slice(0, limit).map((m) => String(m.patientId)), scanned };
}

const bySortKey = (a: Record<string, unknown>, b: Record<string, unknown>) => (String(a.GSI1SK) < String(b.GSI1SK) ? -1 : String(a.GSI1SK) > String(b.GSI1SK) ? 1 : 0);

async function timeIt<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t = nowMs();
  const out = await fn();
  return [nowMs() - t, out];
}

async function measureSize(client: DynamoDBClient, doc: DynamoDBDocumentClient, size: number, opts: ScaleOptions, label: string): Promise<{ rep: SizeRep; scanned: number; pageSizes: { worklist: number; overdue: number } }> {
  const tables = tablesFor(size);
  const store = new PathwayStore(client, tables, systemClock, ulidIds);
  const now = new Date().toISOString();
  const worklistQuery = () => store.listWorklist({ stages: [WORKLIST_STAGE], statuses: ['active'], limit: 50 });
  const overdueQuery = () => store.listWorklist({ stages: STAGES, statuses: ['active'], dueBefore: now, limit: 50 });
  const pk = keys.worklistPartition(WORKLIST_STAGE, 'active');
  const overduePartitions = STAGES.map((s) => keys.worklistPartition(s, 'active'));
  const worklistScan = () => scanPage(doc, tables.pathway, 'GSI1PK = :pk', { ':pk': pk }, bySortKey, 50);
  const overdueScan = () =>
    scanPage(
      doc,
      tables.pathway,
      `GSI1PK IN (${overduePartitions.map((_, i) => `:p${i}`).join(', ')}) AND GSI1SK < :due`,
      { ...Object.fromEntries(overduePartitions.map((p, i) => [`:p${i}`, p])), ':due': now },
      (a, b) => overduePartitions.indexOf(String(a.GSI1PK)) - overduePartitions.indexOf(String(b.GSI1PK)) || bySortKey(a, b),
      50,
    );
  const months = monthsInRange(monthOf12(), now.slice(0, 7));
  const report = async () => throughputReport(months, await Promise.all(months.map((m) => store.monthMetrics(m))));

  // Warm up, and check that the baseline and the index give the same page.
  const [, wl] = await timeIt(worklistQuery);
  const [, od] = await timeIt(overdueQuery);
  const [, wlScan] = await timeIt(worklistScan);
  const [, odScan] = await timeIt(overdueScan);
  const same = (a: string[], b: string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  if (!same(wl.items.map((i) => i.patientId), wlScan.ids)) throw new Error(`size ${size}: the Scan baseline and listWorklist disagree on the worklist page`);
  if (!same(od.items.map((i) => i.patientId), odScan.ids)) throw new Error(`size ${size}: the Scan baseline and listWorklist disagree on the overdue page`);
  const firstReport = await report();
  if (firstReport.months.length !== 12) throw new Error('throughput report does not have 12 months');
  for (let i = 0; i < 5; i++) {
    await worklistQuery();
    await overdueQuery();
    await report();
  }

  const samples = { worklist: [] as number[], worklistScan: [] as number[], overdue: [] as number[], overdueScan: [] as number[], report: [] as number[] };
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
      samples.worklistScan.push((await timeIt(worklistScan))[0]);
      samples.overdueScan.push((await timeIt(overdueScan))[0]);
      bar.increment(2);
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
    },
    scanned: wlScan.scanned,
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
  if (opts.fresh && existsSync(dataDir)) {
    const { rmSync } = await import('node:fs');
    rmSync(dataDir, { recursive: true, force: true });
  }
  mkdirSync(dataDir, { recursive: true });
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
    const perSize = new Map<number, { reps: SizeRep[]; scanned: number; pageSizes: { worklist: number; overdue: number } }>();
    for (let r = 0; r < opts.reps; r++) {
      for (const size of sizes) {
        const m = await measureSize(client, doc, size, opts, `rep ${r + 1}/${opts.reps}: queries at`);
        const entry = perSize.get(size) ?? { reps: [], scanned: m.scanned, pageSizes: m.pageSizes };
        entry.reps.push(m.rep);
        perSize.set(size, entry);
      }
    }
    const results: SizeResult[] = sizes.map((size) => {
      const e = perSize.get(size) as { reps: SizeRep[]; scanned: number; pageSizes: { worklist: number; overdue: number } };
      const s = seeded.get(size) as { seededNow: number; reused: boolean; seedMs: number };
      const med = (k: keyof SizeRep['samples']) => ({ p50: median(e.reps.map((x) => x[k].p50)), p95: median(e.reps.map((x) => x[k].p95)) });
      return {
        size,
        seededNow: s.seededNow,
        seedMs: s.seedMs,
        reused: s.reused,
        scannedItems: e.scanned,
        pageSizes: e.pageSizes,
        reps: e.reps,
        median: { worklist: med('worklist'), worklistScan: med('worklistScan'), overdue: med('overdue'), overdueScan: med('overdueScan'), report: med('report') },
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
