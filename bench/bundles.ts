// Figure 5: every Lambda handler bundled the way the CDK stack bundles it (lib/pathway-function.ts:
// esbuild, ESM with a require() shim, minified, @aws-sdk/* external as the Lambda runtime
// ships it; target node20 as the issue asks), its size, and its module initialisation time:
// a fresh `node` process imports the bundle and reports how long the import took (median of
// several processes). The SDK packages resolve from the project's node_modules, standing in
// for the runtime's copy.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { progressBar } from './progress.js';
import { PROJECT_ROOT } from './stack.js';
import { median } from './stats.js';

const run = promisify(execFile);

export interface BundleResult {
  readonly entry: string;
  readonly bytes: number;
  readonly initMs: number;
  readonly initSamples: number[];
  /** Largest contributors to the bundle, by package (bytes in the output). */
  readonly contents: { readonly source: string; readonly bytes: number }[];
  /** The external @aws-sdk/* packages it imports statically, so at init (the Lambda runtime provides them). */
  readonly sdkImports: string[];
  /** The @aws-sdk/* packages it imports only on first use (dynamic import): not part of init. */
  readonly sdkOnFirstUse: string[];
  /** Init of those SDK packages alone (median), for comparison: part of initMs. */
  readonly sdkInitMs: number;
}

/** node_modules/<pkg>/... or node_modules/@scope/<pkg>/... -> package name; else the project. */
function sourceOf(path: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m?.[1] ?? 'project code';
}

/** Handler entries: modules of functions/api and functions/workflow that export `handler`. */
export function handlerEntries(root = PROJECT_ROOT): string[] {
  const out: string[] = [];
  for (const dir of ['functions/api', 'functions/workflow']) {
    for (const file of readdirSync(join(root, dir)).sort()) {
      if (!file.endsWith('.ts') || file.endsWith('.d.ts')) continue;
      const source = readFileSync(join(root, dir, file), 'utf8');
      if (/export\s+(const|async\s+function|function)\s+handler\b/.test(source)) out.push(`${dir}/${file}`);
    }
  }
  return out;
}

/**
 * Bundle one handler as lib/pathway-function.ts has the CDK bundle it, and say what it holds and
 * which SDK packages it imports at init and which only on first use.
 */
export async function bundleHandler(entry: string, outfile: string): Promise<{ contents: BundleResult['contents']; sdkImports: string[]; sdkOnFirstUse: string[] }> {
  const built = await build({
    entryPoints: [join(PROJECT_ROOT, entry)],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    minify: true,
    mainFields: ['module', 'main'],
    external: ['@aws-sdk/*'],
    banner: { js: "import { createRequire } from 'module';const require = createRequire(import.meta.url);" },
    logLevel: 'silent',
    metafile: true,
  });
  const output = Object.entries(built.metafile.outputs).find(([path]) => path.endsWith('.mjs'))?.[1];
  const bySource = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) bySource.set(sourceOf(path), (bySource.get(sourceOf(path)) ?? 0) + input.bytesInOutput);
  const contents = [...bySource].map(([source, bytes]) => ({ source, bytes })).sort((a, b) => b.bytes - a.bytes).slice(0, 8);
  const sdk = (output?.imports ?? []).filter((i) => i.external && i.path.startsWith('@aws-sdk/'));
  const sdkImports = [...new Set(sdk.filter((i) => i.kind !== 'dynamic-import').map((i) => i.path))].sort();
  const sdkOnFirstUse = [...new Set(sdk.filter((i) => i.kind === 'dynamic-import').map((i) => i.path))].filter((p) => !sdkImports.includes(p)).sort();
  return { contents, sdkImports, sdkOnFirstUse };
}

const INIT_SCRIPT = `
const t0 = performance.now();
await import(process.argv[1]);
process.stdout.write(String(performance.now() - t0));
`;

async function initTime(bundle: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', INIT_SCRIPT, pathToFileURL(bundle).href], {
    cwd: PROJECT_ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      PATHWAY_TABLE_NAME: 'csf-pathway',
      AUDIT_TABLE_NAME: 'csf-audit',
      STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:CarePathway',
      POWERTOOLS_SERVICE_NAME: 'csf-leak-pathway',
    },
  });
  const ms = Number(stdout.trim());
  if (!Number.isFinite(ms)) throw new Error(`could not time the import of ${bundle}: ${stdout}`);
  return ms;
}

/**
 * Bundles go to a folder of their own under `parentDir` (inside the project, so `@aws-sdk/*`
 * resolves from its node_modules), removed afterwards: runs at the same time do not collide.
 */
export async function runBundles(opts: { parentDir: string; initRuns: number; quiet: boolean }): Promise<BundleResult[]> {
  mkdirSync(opts.parentDir, { recursive: true });
  const outDir = mkdtempSync(join(opts.parentDir, 'bundles-'));
  try {
    return await buildAndMeasure({ ...opts, outDir });
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function buildAndMeasure(opts: { outDir: string; initRuns: number; quiet: boolean }): Promise<BundleResult[]> {
  const entries = handlerEntries();
  const bar = progressBar(opts.quiet, 'bundles: build and import', entries.length * (1 + opts.initRuns));
  const results: BundleResult[] = [];
  const sdkBaselines = new Map<string, number>();
  try {
    for (const entry of entries) {
      const outfile = join(opts.outDir, `${entry.replace(/^functions\//, '').replace(/\.ts$/, '').replace(/\//g, '-')}.mjs`);
      const { contents, sdkImports, sdkOnFirstUse } = await bundleHandler(entry, outfile);
      bar.increment();
      const samples: number[] = [];
      for (let i = 0; i < opts.initRuns; i++) {
        samples.push(await initTime(outfile));
        bar.increment();
      }
      const key = sdkImports.join(' ');
      let sdkInitMs = sdkBaselines.get(key);
      if (sdkInitMs === undefined) {
        const baseline = join(opts.outDir, `sdk-baseline-${sdkBaselines.size}.mjs`);
        writeFileSync(baseline, sdkImports.map((p) => `import '${p}';`).join('\n'));
        const base: number[] = [];
        for (let i = 0; i < opts.initRuns; i++) base.push(await initTime(baseline));
        sdkInitMs = median(base);
        sdkBaselines.set(key, sdkInitMs);
      }
      results.push({ entry, bytes: statSync(outfile).size, initMs: median(samples), initSamples: samples, contents, sdkImports, sdkOnFirstUse, sdkInitMs });
    }
  } finally {
    bar.stop();
  }
  return results;
}
