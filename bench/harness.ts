// `npm run bench` as a function: runs the phases, returns every figure, writes them to a JSON
// file and returns the table. The CLI (run.ts) and the smoke test (tests/bench) both call it.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { runBundles, type BundleResult } from './bundles.js';
import { costOfRep, type CostResult } from './cost.js';
import { runEngineRep, type EngineRep } from './engine.js';
import { machineInfo, type MachineInfo } from './machine.js';
import type { BenchOptions } from './options.js';
import { note } from './progress.js';
import { bundleRows, costRows, engineRows, formatTable, scaleRows, type EngineSummary, type Row } from './report.js';
import { BenchStack } from './stack.js';
import { median } from './stats.js';
import { runScale, type ScaleResult } from './worklist.js';
import { measureWriteCosts } from './write-costs.js';

export type EngineRepFigures = Omit<EngineRep, 'driven'>;

export interface BenchResult {
  readonly machine: MachineInfo;
  readonly options: Omit<BenchOptions, 'phases'> & { phases: string[] };
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly durationMs: number;
  readonly engine?: { readonly summary: EngineSummary; readonly reps: EngineRepFigures[] };
  readonly cost?: CostResult & { readonly perRep: number[] };
  readonly scale?: ScaleResult;
  readonly bundles?: BundleResult[];
  readonly table: Row[];
  /** Phases that failed, with their error: the other phases' figures are still here. */
  readonly errors: { readonly phase: string; readonly message: string }[];
}

async function enginePhase(opts: BenchOptions): Promise<{ summary: EngineSummary; reps: EngineRepFigures[]; cost: CostResult & { perRep: number[] } }> {
  note(opts.quiet, 'starting the local stack for the engine figures');
  const stack = await BenchStack.start({ parentDir: join(opts.resultsDir, 'stacks') });
  try {
    const reps: EngineRep[] = [];
    const costs: CostResult[] = [];
    const runTag = Date.now().toString(36);
    if (opts.warmup > 0) {
      // Not counted: the first pathways run on a cold JVM (DynamoDB Local) and cold handlers, while
      // the raw run that follows each repetition is always warm; both rates are compared warm.
      await runEngineRep(
        stack,
        { patients: opts.warmup, concurrency: opts.concurrency, pollMs: opts.pollMs, rawOps: Math.min(opts.rawOps, opts.warmup * 10), quiet: opts.quiet, runTag: `${runTag}-warmup` },
        'engine warm-up (not counted)',
      );
    }
    for (let r = 0; r < opts.reps; r++) {
      const rep = await runEngineRep(
        stack,
        { patients: opts.patients, concurrency: opts.concurrency, pollMs: opts.pollMs, rawOps: opts.rawOps, quiet: opts.quiet, runTag: `${runTag}-${r + 1}` },
        `engine rep ${r + 1}/${opts.reps}`,
      );
      reps.push(rep);
      costs.push(await costOfRep(stack, rep));
    }
    const first = reps[0]?.driven[0];
    const template = first ? await stack.store().getPatient(first.patientId) : undefined;
    const writeCosts = opts.writeCostMs > 0 && template ? await measureWriteCosts(stack, template, { lanes: opts.concurrency, ms: opts.writeCostMs }) : [];
    const tx = (rep: EngineRep) => (rep.usage.byOperation.TransactWriteItems?.calls ?? 0) / rep.transitions;
    const summary: EngineSummary = {
      patients: opts.patients,
      concurrency: opts.concurrency,
      transitionsPerSecond: median(reps.map((r) => r.transitionsPerSecond)),
      latencyP50: median(reps.map((r) => r.decisionToPendingMs.p50)),
      latencyP95: median(reps.map((r) => r.decisionToPendingMs.p95)),
      rawPerSecond: median(reps.map((r) => r.raw.perSecond)),
      ratio: median(reps.map((r) => r.ratio)),
      transactionsPerTransition: median(reps.map(tx)),
      itemsWrittenPerTransition: median(reps.map((r) => Object.values(r.usage.byOperation).reduce((a, o) => a + o.itemsWritten, 0) / r.transitions)),
      rawItemsPerTransaction: median(reps.map((r) => r.raw.itemsPerTransaction)),
      writeCosts,
      callsPerTransition: Object.fromEntries(
        [...new Set(reps.flatMap((r) => Object.keys(r.usage.byOperation)))].map((op) => [op, median(reps.map((r) => (r.usage.byOperation[op]?.calls ?? 0) / r.transitions))]),
      ),
    };
    // The cost of the repetition whose total is the median (so its parts add up).
    const totals = costs.map((c) => c.dollars.total);
    const mid = median(totals);
    const pick = costs.reduce((best, c) => (Math.abs(c.dollars.total - mid) < Math.abs(best.dollars.total - mid) ? c : best), costs[0] as CostResult);
    return { summary, reps: reps.map(({ driven: _driven, ...rest }) => rest), cost: { ...pick, perRep: totals } };
  } finally {
    await stack.stop();
  }
}

export async function runBench(opts: BenchOptions): Promise<{ result: BenchResult; table: string }> {
  const started = Date.now();
  const machine = machineInfo();
  let engine: BenchResult['engine'];
  let cost: BenchResult['cost'];
  let scale: ScaleResult | undefined;
  let bundles: BundleResult[] | undefined;
  const errors: { phase: string; message: string }[] = [];

  const assemble = (): BenchResult => {
    const rows: Row[] = [
      ...(engine ? engineRows(engine.summary) : []),
      ...(scale ? scaleRows(scale) : []),
      ...(cost ? costRows(cost) : []),
      ...(bundles ? bundleRows(bundles) : []),
    ];
    return {
      machine,
      options: { ...opts, phases: [...opts.phases] },
      startedAt: new Date(started).toISOString(),
      finishedAt: new Date().toISOString(),
      durationMs: Date.now() - started,
      ...(engine ? { engine } : {}),
      ...(cost ? { cost } : {}),
      ...(scale ? { scale } : {}),
      ...(bundles ? { bundles } : {}),
      table: rows,
      errors,
    };
  };
  // Written after every phase, so a failure late in a long run keeps the earlier figures.
  const save = (): BenchResult => {
    const result = assemble();
    mkdirSync(dirname(opts.outFile), { recursive: true });
    writeFileSync(opts.outFile, `${JSON.stringify(result, null, 2)}\n`);
    return result;
  };
  const phase = async (name: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      const message = err instanceof Error ? (err.stack ?? err.message) : String(err);
      errors.push({ phase: name, message });
      note(opts.quiet, `phase ${name} failed: ${message}`);
    }
    save();
  };

  if (opts.phases.has('engine')) {
    await phase('engine', async () => {
      const e = await enginePhase(opts);
      engine = { summary: e.summary, reps: e.reps };
      cost = e.cost;
    });
  }
  if (opts.phases.has('scale')) {
    await phase('scale', async () => {
      scale = await runScale({ ...opts, dataDir: opts.scaleDataDir, scanBudgetMs: opts.scanBudgetS * 1000 });
    });
  }
  if (opts.phases.has('bundles')) {
    await phase('bundles', async () => {
      bundles = await runBundles({ parentDir: opts.resultsDir, initRuns: opts.initRuns, quiet: opts.quiet });
    });
  }
  const result = save();
  const failures = errors.map((e) => `Phase ${e.phase} FAILED: ${e.message.split('\n')[0]}`).join('\n');
  return { result, table: `${formatTable(result.table, machine)}${failures ? `\n${failures}` : ''}` };
}
