// Wires the real adapters from the environment, once per Lambda container. A handler that never
// sends mail never loads the SES client, one that never resumes an execution never loads Step
// Functions': their SDK modules are imported on first use. Locally the same clients reach the local servers through
// the SDK's AWS_ENDPOINT_URL_<SERVICE> variables.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { loadConfig, type PathwayConfig } from '../domain/config.js';
import { activePathway } from '../domain/active-pathway.js';
import type { PathwayDefinition } from '../domain/pathway.js';
import { PathwayStore, type StoreTables } from '../store/pathway-store.js';
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
  /** TEAM: who was assigned a pending decision; absent: its emails go to the team as configured. */
  readonly assigneeRecipients?: AssigneeRecipients;
}

/** The assignee's address for the decision `pendingDecisionId` pending at `stage`, or null for "the team". */
export type AssigneeRecipients = (patientId: string, stage: string, pendingDecisionId: string) => Promise<readonly string[] | null>;

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
  // Every handler reads or writes the record: DynamoDB is loaded with the module; SES and Step
  // Functions only by the handlers that call them, on first use.
  const tables: StoreTables = { pathway: required('PATHWAY_TABLE_NAME'), audit: required('AUDIT_TABLE_NAME') };
  const store = new PathwayStore(new DynamoDBClient({}), tables, clock, ids);
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
    assigneeRecipients: lazyAssigneeRecipients(tables, clock, ids),
  };
}

// the work records live in the pathway table; read only when a team email is about to go.
function lazyAssigneeRecipients(tables: StoreTables, clock: Clock, ids: Ids): AssigneeRecipients {
  let real: Promise<AssigneeRecipients> | undefined;
  const get = () =>
    (real ??= Promise.all([import('../store/team-store.js'), import('../app/team-work.js')]).then(([{ TeamStore }, { recipientsOverride }]) => {
      const team = new TeamStore(new DynamoDBClient({}), tables, clock, ids);
      return (patientId: string, stage: string, pendingDecisionId: string) => recipientsOverride(team, patientId, stage, pendingDecisionId);
    }));
  return async (patientId, stage, pendingDecisionId) => (await get())(patientId, stage, pendingDecisionId);
}

function lazyMailer(from: string): Mailer {
  let real: Promise<Mailer> | undefined;
  const get = () =>
    (real ??= import('./mailer.js').then(({ sesMailer }) => sesMailer(from)));
  return { send: async (m) => (await get()).send(m) };
}

function lazyEngine(): WorkflowEngine {
  let real: Promise<WorkflowEngine> | undefined;
  const get = () => (real ??= import('./sfn-engine.js').then(({ stepFunctionsEngine }) => stepFunctionsEngine()));
  return {
    start: async (arn, name, input) => (await get()).start(arn, name, input),
    resume: async (token, output) => (await get()).resume(token, output),
    stop: async (arn, error, cause) => (await get()).stop(arn, error, cause),
    describe: async (arn) => (await get()).describe(arn),
  };
}
