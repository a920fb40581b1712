// A small run of the benchmark harness (issue #6), so it cannot rot: three patients through the
// engine, two small scale tables, every bundle imported once. It asserts only that every figure
// is produced and well-formed, never how fast anything is: benchmarks are not tests.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { handlerEntries } from '../../bench/bundles.js';
import { runBench, type BenchResult } from '../../bench/harness.js';
import { parseOptions } from '../../bench/options.js';
import { PROJECT_ROOT } from '../../bench/stack.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

// Inside the project (bench-results/ is git-ignored) so bundles resolve @aws-sdk/* from node_modules.
mkdirSync(join(PROJECT_ROOT, 'bench-results'), { recursive: true });
const dir = mkdtempSync(join(PROJECT_ROOT, 'bench-results', 'smoke-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

describe('npm run bench (smoke run)', () => {
  it('produces every figure, well-formed, with the machine, in a table and a JSON file', async () => {
    const base = parseOptions(
      ['--patients', '3', '--concurrency', '3', '--reps', '1', '--sizes', '100,200', '--queries', '5', '--scans', '1', '--reports', '5', '--raw-ops', '30', '--warmup', '2', '--write-cost-ms', '200', '--init-runs', '1', '--quiet', '--out', join(dir, 'latest.json')],
      {},
    );
    const options = { ...base, resultsDir: dir, scaleDataDir: join(dir, 'scale-db') };
    const { result, table } = await runBench(options);
    expect(result.errors).toEqual([]);

    const saved = JSON.parse(readFileSync(options.outFile, 'utf8')) as BenchResult;
    expect(saved.machine.cpus).toBeGreaterThan(0);
    expect(saved.machine.node).toBe(process.version);
    expect(Date.parse(saved.machine.date)).not.toBeNaN();

    const engine = result.engine?.summary;
    expect(engine).toBeDefined();
    for (const v of [engine?.transitionsPerSecond, engine?.latencyP50, engine?.latencyP95, engine?.rawPerSecond, engine?.ratio, engine?.itemsWrittenPerTransition]) {
      expect(finite(v) && (v as number) > 0).toBe(true);
    }
    expect(result.engine?.reps[0]?.transitions).toBeGreaterThanOrEqual(3);
    // The warm-up's patients are not counted: the repetition holds its own three.
    expect(result.engine?.reps).toHaveLength(1);
    expect(engine?.rawItemsPerTransaction).toBe(4);
    expect(engine?.writeCosts.map((w) => w.operation)).toHaveLength(6);
    for (const w of engine?.writeCosts ?? []) expect(finite(w.msEach) && w.msEach > 0).toBe(true);

    const cost = result.cost;
    expect(cost?.pathways).toBe(3);
    for (const v of Object.values(cost?.units ?? {})) expect(finite(v) && v > 0).toBe(true);
    expect(finite(cost?.dollars.total) && (cost?.dollars.total as number) > 0).toBe(true);
    expect(cost?.prices.writtenOn).toMatch(/^\d{4}-\d{2}-\d{2}$/);

    const scale = result.scale;
    expect(scale?.sizes.map((s) => s.size)).toEqual([100, 200]);
    for (const s of scale?.sizes ?? []) {
      for (const m of Object.values(s.median)) expect(finite(m.p50) && finite(m.p95)).toBe(true);
      expect(s.tableItems).toBeGreaterThanOrEqual(2 * s.size);
      expect(s.scanVerified).toBe(true);
    }
    for (const v of [scale?.worklistSpeedupVsScan, scale?.overdueSpeedupVsScan, scale?.worklistP95Growth, scale?.overdueP95Growth, scale?.reportP50Growth]) {
      expect(finite(v)).toBe(true);
    }

    expect(result.bundles?.map((b) => b.entry)).toEqual(handlerEntries());
    for (const b of result.bundles ?? []) expect(b.bytes > 0 && finite(b.initMs)).toBe(true);

    expect(result.table.length).toBeGreaterThan(20);
    for (const row of result.table) {
      expect(row.figure).toMatch(/^[1-5] /);
      expect(row.value.length).toBeGreaterThan(0);
      expect(['PASS', 'MISS', '']).toContain(row.verdict);
      if (row.verdict) expect(row.target).not.toBe('');
    }
    expect(table).toContain('| Figure');
    expect(table).toContain('Machine:');
  }, 240_000);
});
