// npm run bench: the benchmarks of issue #6. Prints a table of every figure with its target
// and PASS / MISS, and writes the raw figures with the machine to bench-results/latest.json.
// Benchmarks are not tests: nothing here fails the build; a MISS is a finding.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { runBench } from './harness.js';
import { HelpRequested, USAGE, parseOptions } from './options.js';

let options;
try {
  options = parseOptions(process.argv.slice(2));
} catch (err) {
  if (err instanceof HelpRequested) {
    console.log(USAGE);
    process.exit(0);
  }
  console.error((err as Error).message);
  process.exit(2);
}

const { table, result } = await runBench(options);
console.log(`\n${table}\nRaw figures: ${options.outFile}`);
if (result.errors.length > 0) process.exitCode = 1;
