// npm start: the whole local stack in the foreground; Ctrl-C or SIGTERM stops every part.
import { startStack } from './stack.js';
import { faultInjector, type FaultRule } from './faults.js';
import { localSettings } from './settings.js';

const settings = localSettings();
const started = Date.now();
// Test knob: shorten Step Functions retry intervals (the ASL's own backoff applies otherwise).
const retryIntervalMs = process.env.LOCAL_RETRY_INTERVAL_MS ? Number(process.env.LOCAL_RETRY_INTERVAL_MS) : undefined;
const pathwayConfig = process.env.LOCAL_PATHWAY_CONFIG ? (JSON.parse(process.env.LOCAL_PATHWAY_CONFIG) as Record<string, unknown>) : undefined;
// Test knob: inject faults into the local engine's Lambda invocations (see local/faults.ts).
const faults = process.env.LOCAL_FAULTS ? (JSON.parse(process.env.LOCAL_FAULTS) as FaultRule[]) : undefined;
const sweepEveryMs = process.env.LOCAL_SWEEP_INTERVAL_MS ? Number(process.env.LOCAL_SWEEP_INTERVAL_MS) : undefined;
const frequentEveryMs = process.env.LOCAL_FREQUENT_SCHEDULE_MS ? Number(process.env.LOCAL_FREQUENT_SCHEDULE_MS) : undefined;
const dynamodbRestartDelayMs = process.env.LOCAL_DYNAMODB_RESTART_DELAY_MS ? Number(process.env.LOCAL_DYNAMODB_RESTART_DELAY_MS) : undefined;
const stack = await startStack({
  settings,
  ...(process.env.LOCAL_ASL_PATH ? { aslPath: process.env.LOCAL_ASL_PATH } : {}),
  ...(process.env.LOCAL_ASSEMBLY_DIR ? { assemblyDir: process.env.LOCAL_ASSEMBLY_DIR } : {}),
  ...(sweepEveryMs === undefined ? {} : { sweepEveryMs }),
  ...(frequentEveryMs === undefined ? {} : { frequentEveryMs }),
  ...(process.env.LOCAL_PREWARM === '0' ? { prewarm: false } : {}),
  ...(faults ? { injectFault: faultInjector(faults) } : {}),
  ...(retryIntervalMs === undefined ? {} : { retryIntervalMs }),
  ...(pathwayConfig ? { pathwayConfig } : {}),
  ...(dynamodbRestartDelayMs === undefined ? {} : { dynamodbRestartDelayMs }),
});
const { urls } = stack;
const synth = stack.outputs.synth;
console.log(`CSF Leak Pathway is running (${((Date.now() - started) / 1000).toFixed(1)} s; cloud assembly ${synth.cached ? 'cached' : `synthesized in ${(synth.ms / 1000).toFixed(1)} s`}: ${synth.dir})
  ${stack.assembly.functions.length} functions from the template, each with its role's IAM policies enforced
  API and dashboard   ${urls.api}          (GET /health)
  SES inbox           ${urls.ses}          (GET /store)
  DynamoDB Local      ${urls.dynamodb}
  Step Functions API  ${urls.sfn}
  Data                ${settings.dataDir}
Get a token:  npm run token -- coordinator   (or physician, administrator)
Stop with Ctrl-C.`);

let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  await stack.stop();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
