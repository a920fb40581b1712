// Wires the real adapters from the environment, once per Lambda container, each on first use:
// a handler that never sends mail never loads the SES client (module init and cold starts pay
// only for what the handler calls). Locally the same clients reach the local servers through
// the SDK's AWS_ENDPOINT_URL_<SERVICE> variables.
import { loadConfig, type PathwayConfig } from '../domain/config.js';
import { activePathway } from '../domain/active-pathway.js';
import type { PathwayDefinition } from '../domain/pathway.js';
import type { PathwayStore } from '../store/pathway-store.js';
import { systemClock, ulidIds, type Clock, type Ids } from './clock.js';
import type { Mailer } from './mailer.js';
import type { WorkflowEngine } from './workflow-engine.js';

export interface Deps {
  readonly store: PathwayStore;
  readonly mailer: Mailer;
  readonly engine: WorkflowEngine;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly config: PathwayConfig;
  readonly pathway: PathwayDefinition;
  readonly stateMachineArn: string;
  readonly pathwayVersion: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

let cached: Promise<Deps> | undefined;

/** The adapters a handler may use; each is built (and its SDK loaded) the first time it is used. */
export function runtimeDeps(): Promise<Deps> {
  cached ??= build().catch((err: unknown) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

async function build(): Promise<Deps> {
  const pathway = await activePathway();
  const config = loadConfig(process.env, pathway.stages.map((s) => s.id));
  const clock = systemClock;
  const ids = ulidIds;
  const [{ DynamoDBClient }, { PathwayStore: Store }] = await Promise.all([import('@aws-sdk/client-dynamodb'), import('../store/pathway-store.js')]);
  const store = new Store(new DynamoDBClient({}), { pathway: required('PATHWAY_TABLE_NAME'), audit: required('AUDIT_TABLE_NAME') }, clock, ids);
  const mailer = lazyMailer(config.mailFrom);
  const engine = lazyEngine();
  return {
    store,
    mailer,
    engine,
    clock,
    ids,
    config,
    pathway,
    stateMachineArn: process.env.STATE_MACHINE_ARN ?? '',
    pathwayVersion: process.env.PATHWAY_VERSION ?? '1',
  };
}

function lazyMailer(from: string): Mailer {
  let real: Promise<Mailer> | undefined;
  const get = () =>
    (real ??= Promise.all([import('@aws-sdk/client-ses'), import('./mailer.js')]).then(([{ SESClient }, { SesMailer }]) => new SesMailer(new SESClient({}), from)));
  return { send: async (m) => (await get()).send(m) };
}

function lazyEngine(): WorkflowEngine {
  let real: Promise<WorkflowEngine> | undefined;
  const get = () => (real ??= import('./sfn-engine.js').then(({ StepFunctionsEngine }) => new StepFunctionsEngine()));
  return {
    start: async (arn, name, input) => (await get()).start(arn, name, input),
    resume: async (token, output) => (await get()).resume(token, output),
    stop: async (arn, error, cause) => (await get()).stop(arn, error, cause),
    describe: async (arn) => (await get()).describe(arn),
  };
}
