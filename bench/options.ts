// Command-line options and environment variables of `npm run bench`.
import { join, resolve } from 'node:path';
import { PROJECT_ROOT } from './stack.js';

export const PHASES = ['engine', 'scale', 'bundles'] as const;
export type Phase = (typeof PHASES)[number];

export interface BenchOptions {
  /** Patients driven through whole pathways in each engine repetition. */
  readonly patients: number;
  /** Patients in flight at once (and writers in the raw transaction run). */
  readonly concurrency: number;
  /** Repetitions of every measurement; figures are medians across them. */
  readonly reps: number;
  readonly pollMs: number;
  /** Transactions in the raw TransactWriteItems run of each repetition. */
  readonly rawOps: number;
  /** Patients driven once before the repetitions, not counted (warms the JVM and the stack). */
  readonly warmup: number;
  /** How long each kind of DynamoDB call is timed for the write costs (0: not measured). */
  readonly writeCostMs: number;
  readonly sizes: readonly number[];
  /** Query samples per size and repetition (worklist, overdue). */
  readonly queries: number;
  /** Scan-baseline samples per size and repetition. */
  readonly scans: number;
  /** Seconds after which a Scan-baseline sample is stopped (its time then a lower bound). */
  readonly scanBudgetS: number;
  /** Throughput-report samples per size and repetition. */
  readonly reports: number;
  readonly seedParallel: number;
  /** Fresh processes importing each bundle. */
  readonly initRuns: number;
  readonly phases: ReadonlySet<Phase>;
  /** Seed the scale tables again even if a seeded data folder exists. */
  readonly fresh: boolean;
  readonly quiet: boolean;
  /** Where results, bundles, seeded data and temporary stacks go. */
  readonly resultsDir: string;
  readonly scaleDataDir: string;
  readonly outFile: string;
}

export const USAGE = `npm run bench -- [options]
  --patients N       patients through whole pathways per repetition (env BENCH_PATIENTS; default 300)
  --concurrency N    patients in flight at once (env BENCH_CONCURRENCY; default 16)
  --reps N           repetitions; figures are medians across them (env BENCH_REPS; default 3)
  --sizes A,B,C      patient counts for the worklist and report figures (env BENCH_SIZES; default 1000,10000,100000)
  --queries N        query samples per size and repetition (default 100)
  --scans N          Scan-baseline samples per size and repetition (default 1)
  --scan-budget-s N  stop a Scan-baseline sample after N s and count it as a lower bound (default 90)
  --reports N        throughput-report samples per size and repetition (default 50)
  --raw-ops N        transactions in each raw TransactWriteItems run (default 2000)
  --warmup N         patients (and 10x as many raw transactions) run once before the repetitions and
                     not counted, so the JVM under DynamoDB Local and the stack are warm for both
                     rates (default 30; 0: none)
  --write-cost-ms N  time each kind of DynamoDB call (GetItem, Query, PutItem, transactions) this long
                     at the engine's concurrency, after the repetitions (default 3000; 0: skip)
  --poll-ms N        interval between reads while waiting for the next pending decision (default 10)
  --seed-parallel N  BatchWriteItem requests in flight while seeding (default 8)
  --init-runs N      fresh node processes importing each bundle (default 7)
  --only LIST        phases to run: engine (figures 1 and 4), scale (2 and 3), bundles (5)
  --fresh            seed the scale tables again instead of reusing bench-results/worklist-db
  --out FILE         raw figures (default bench-results/latest.json)
  --quiet            no progress bars`;

function int(name: string, value: string | undefined, fallback: number, min = 1): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number >= ${min} (got ${value})`);
  return n;
}

function list(name: string, value: string | undefined, fallback: readonly number[]): number[] {
  if (value === undefined || value === '') return [...fallback];
  const sizes = value.split(',').map((s) => int(name, s.trim().replace(/_/g, ''), 0));
  if (sizes.length === 0) throw new Error(`${name} needs at least one size`);
  return sizes;
}

export function parseOptions(argv: readonly string[], env: Record<string, string | undefined> = process.env): BenchOptions {
  const flags = new Map<string, string>();
  const switches = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--help' || arg === '-h') throw new HelpRequested();
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}\n${USAGE}`);
    const [key, inline] = arg.slice(2).split('=', 2) as [string, string | undefined];
    if (key === 'fresh' || key === 'quiet') {
      switches.add(key);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new Error(`--${key} needs a value\n${USAGE}`);
    flags.set(key, value);
  }
  const known = new Set(['patients', 'concurrency', 'reps', 'sizes', 'queries', 'scans', 'reports', 'raw-ops', 'warmup', 'write-cost-ms', 'scan-budget-s', 'poll-ms', 'seed-parallel', 'init-runs', 'only', 'out']);
  for (const key of flags.keys()) if (!known.has(key)) throw new Error(`unknown option --${key}\n${USAGE}`);

  const only = flags.get('only');
  const phases = new Set<Phase>(only ? (only.split(',').map((p) => p.trim()) as Phase[]) : PHASES);
  for (const p of phases) if (!PHASES.includes(p)) throw new Error(`unknown phase ${p}; phases: ${PHASES.join(', ')}`);
  const resultsDir = join(PROJECT_ROOT, 'bench-results');
  return {
    patients: int('--patients', flags.get('patients') ?? env.BENCH_PATIENTS, 300),
    concurrency: int('--concurrency', flags.get('concurrency') ?? env.BENCH_CONCURRENCY, 16),
    reps: int('--reps', flags.get('reps') ?? env.BENCH_REPS, 3),
    pollMs: int('--poll-ms', flags.get('poll-ms'), 10),
    rawOps: int('--raw-ops', flags.get('raw-ops'), 2000),
    warmup: int('--warmup', flags.get('warmup'), 30, 0),
    writeCostMs: int('--write-cost-ms', flags.get('write-cost-ms'), 3000, 0),
    sizes: list('--sizes', flags.get('sizes') ?? env.BENCH_SIZES, [1000, 10000, 100000]),
    queries: int('--queries', flags.get('queries'), 100),
    scans: int('--scans', flags.get('scans'), 1),
    scanBudgetS: int('--scan-budget-s', flags.get('scan-budget-s'), 90),
    reports: int('--reports', flags.get('reports'), 50),
    seedParallel: int('--seed-parallel', flags.get('seed-parallel'), 8),
    initRuns: int('--init-runs', flags.get('init-runs'), 7),
    phases,
    fresh: switches.has('fresh'),
    quiet: switches.has('quiet'),
    resultsDir,
    scaleDataDir: join(resultsDir, 'worklist-db'),
    outFile: resolve(flags.get('out') ?? join(resultsDir, 'latest.json')),
  };
}

export class HelpRequested extends Error {}
