// `cdk synth`, offline, for the local stack: the CDK app (bin/app.ts) synthesizes into a cloud
// assembly the local stack is then wired from. Asset bundling is skipped (the local stack runs the
// handler modules each function names, not their bundles; the bundles are checked by
// tests/infra/bundles.test.ts), everything else is what `cdk synth` produces, cdk-nag included.
// The assembly is cached under .cache/local-assembly/<key>, the key hashing every project file the
// app imports (found by esbuild's metafile, so a route or grant in functions/ that lib/ reads
// counts), cdk.json, the lock file and the state machine definition.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { CfnTemplate } from './template.js';

export const PROJECT_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const APP_ENTRY = join(PROJECT_ROOT, 'bin', 'app.ts');
/** Assemblies kept besides the newest (other branches, variants the tests synthesize). */
const KEEP = 8;

export interface SynthOptions {
  /** Absolute path of an ASL to deploy instead of statemachines/ (a variant: CDK context definitionPath). */
  readonly definitionPath?: string;
  /** Where assemblies are cached (default <project>/.cache/local-assembly). */
  readonly cacheRoot?: string;
}

export interface SynthResult {
  readonly dir: string;
  readonly stackName: string;
  readonly template: CfnTemplate;
  /** True when an earlier synthesis with the same inputs was reused. */
  readonly cached: boolean;
  readonly ms: number;
}

/** The project files the CDK app imports (its own modules, not packages). */
async function appInputs(): Promise<string[]> {
  const out = await build({ entryPoints: [APP_ENTRY], bundle: true, write: false, metafile: true, platform: 'node', format: 'esm', packages: 'external', logLevel: 'silent' });
  return Object.keys(out.metafile.inputs).map((f) => resolve(PROJECT_ROOT, f)).sort();
}

async function cacheKey(opts: SynthOptions): Promise<string> {
  const hash = createHash('sha256');
  const definition = opts.definitionPath ?? join(PROJECT_ROOT, 'statemachines', 'care-pathway.asl.json');
  for (const file of [...(await appInputs()), join(PROJECT_ROOT, 'cdk.json'), join(PROJECT_ROOT, 'package-lock.json'), definition]) {
    hash.update(relative(PROJECT_ROOT, file)).update('\0').update(readFileSync(file)).update('\0');
  }
  hash.update(opts.definitionPath ?? '');
  return hash.digest('hex').slice(0, 20);
}

/** The one stack's name and template in a cloud assembly folder (cdk.out). */
export function readStack(dir: string): { stackName: string; template: CfnTemplate } {
  const file = readdirSync(dir).find((f) => f.endsWith('.template.json'));
  if (!file) throw new Error(`cloud assembly ${dir} holds no template`);
  return { stackName: file.replace(/\.template\.json$/, ''), template: JSON.parse(readFileSync(join(dir, file), 'utf8')) as CfnTemplate };
}

function runApp(outDir: string, opts: SynthOptions): Promise<void> {
  const cdkJson = JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')) as { context?: Record<string, unknown> };
  // The CLI hands the app its context this way; bundling-stacks [] is what `cdk synth --exclusively`
  // of no stack would give: assets are fingerprinted, not bundled.
  const context = { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...(opts.definitionPath ? { definitionPath: opts.definitionPath } : {}) };
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', APP_ENTRY], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, CDK_OUTDIR: outDir, CDK_CONTEXT_JSON: JSON.stringify(context) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolvePromise() : reject(new Error(`cdk synth (bin/app.ts) failed with code ${code}:\n${output.slice(-6000)}`))));
  });
}

/** Synthesizes the CDK app offline, or reuses the cached assembly of the same inputs. */
export async function synthesize(opts: SynthOptions = {}): Promise<SynthResult> {
  const started = Date.now();
  const root = opts.cacheRoot ?? join(PROJECT_ROOT, '.cache', 'local-assembly');
  mkdirSync(root, { recursive: true });
  const key = await cacheKey(opts);
  const dir = join(root, key);
  if (existsSync(join(dir, 'manifest.json'))) return { dir, ...readStack(dir), cached: true, ms: Date.now() - started };

  // Into a folder of our own, then renamed: stacks starting at once (parallel tests) never read a
  // half-written assembly, and the first rename wins.
  const tmp = join(root, `.${key}-${process.pid}-${Date.now()}`);
  try {
    await runApp(tmp, opts);
    try {
      renameSync(tmp, dir);
    } catch {
      if (!existsSync(join(dir, 'manifest.json'))) throw new Error(`could not store the cloud assembly in ${dir}`);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  prune(root);
  return { dir, ...readStack(dir), cached: false, ms: Date.now() - started };
}

function prune(root: string): void {
  const entries = readdirSync(root)
    .filter((f) => !f.startsWith('.'))
    .map((f) => ({ f, at: statSync(join(root, f)).mtimeMs }))
    .sort((a, b) => b.at - a.at);
  for (const { f } of entries.slice(KEEP)) rmSync(join(root, f), { recursive: true, force: true });
}
