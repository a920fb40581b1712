// The whole product on one machine: DynamoDB Local, the SES server, the local Step Functions
// service running the same ASL, and the HTTP API, all pointed at by the SDK's standard
// AWS_ENDPOINT_URL_<SERVICE> variables so the handlers run unchanged.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dashboardFallback, WEB_DIST_DIR } from '../web/server/dashboard.js';
import { CONTRACT_ROUTES, INTEGRATION_ROUTES, TEAM_ROUTES, type ApiHandler, type ApiRoute } from '../functions/api/routes.js';
import { issueToken, localVerifier } from './auth.js';
import { startApiServer, type Route } from './api-server.js';
import { ensureTables, startDynamoLocal } from './dynamodb.js';
import { checkWaitingCheckpoints, describeCheckpointReport } from './checkpoint-check.js';
import { checkHealth, localDependencyChecks } from './health.js';
import { startSes } from './ses.js';
// The reconciliation at start delivers outboxes here, outside the handlers that register the sink.
import '../functions/fhir/pathway-event-sink.js';
import { apiReference } from './api-reference.js';
import type { LocalSettings } from './settings.js';
import { startLocalSfn, type LocalSfnOptions } from './sfn-service.js';

export const ASL_PATH = fileURLToPath(new URL('../statemachines/care-pathway.asl.json', import.meta.url));
export const STATE_MACHINE_NAME = 'CarePathway';
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

/** The workflow Lambdas by the name the local engine invokes them with. */
const WORKFLOW_FUNCTIONS = {
  'enter-stage': () => import('../functions/workflow/enter-stage.js'),
  'close-pathway': () => import('../functions/workflow/close-pathway.js'),
  'record-failure': () => import('../functions/workflow/record-failure.js'),
  'continue-pathway': () => import('../functions/workflow/continue-pathway.js'),
} as const;

const SUBSTITUTIONS: Record<string, keyof typeof WORKFLOW_FUNCTIONS> = {
  EnterStageFunctionArn: 'enter-stage',
  ClosePathwayFunctionArn: 'close-pathway',
  RecordFailureFunctionArn: 'record-failure',
  ContinuePathwayFunctionArn: 'continue-pathway',
};

/**
 * Local stand-in for Step Functions versions: each distinct ASL the stack has run is kept under
 * the data folder as version n and stays registered, so executions started on it finish on it
 * while new referrals take the newest (as a version alias does in the cloud).
 */
export function publishVersions(dir: string, asl: string): { n: number; definition: string }[] {
  mkdirSync(dir, { recursive: true });
  const versions = readdirSync(dir)
    .map((f) => /^v(\d+)\.asl\.json$/.exec(f))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1]))
    .sort((a, b) => a - b)
    .map((n) => ({ n, definition: readFileSync(join(dir, `v${n}.asl.json`), 'utf8') }));
  const latest = versions.at(-1);
  if (!latest || latest.definition !== asl) {
    const n = (latest?.n ?? 0) + 1;
    writeFileSync(join(dir, `v${n}.asl.json`), asl);
    versions.push({ n, definition: asl });
  }
  return versions;
}

const lazy = (load: () => Promise<{ handler: unknown }>) => async () => (await load()).handler as never;
/** The same handler modules the CDK app deploys (functions/api/routes.ts), loaded on first use. */
const HANDLERS: Record<ApiHandler, Route['handler']> = {
  referrals: lazy(() => import('../functions/api/referrals.js')),
  queries: lazy(() => import('../functions/api/queries.js')),
  decisions: lazy(() => import('../functions/api/decisions.js')),
  patientActions: lazy(() => import('../functions/api/patient-actions.js')),
  redFlags: lazy(() => import('../functions/api/red-flags.js')),
  admin: lazy(() => import('../functions/api/admin.js')),
  team: lazy(() => import('../functions/api/team.js')),
  fhir: lazy(() => import('../functions/api/fhir.js')),
  openapi: lazy(() => import('../functions/api/openapi.js')),
};
const served = (routes: readonly ApiRoute[]): Route[] => routes.map((r) => ({ method: r.method, path: r.path, handler: HANDLERS[r.handler], ...(r.public ? { public: true } : {}) }));
/** The contract's routes, FHIR and the OpenAPI document. */
export const API_ROUTES: readonly Route[] = served([...CONTRACT_ROUTES, ...INTEGRATION_ROUTES]);
/** TEAM: the team-work routes (functions/api/team.ts), served beside the contract's. */
export const TEAM_API_ROUTES: readonly Route[] = served(TEAM_ROUTES);

/** The ASL with each ${Placeholder} replaced by a local Lambda ARN, as CDK substitutes real ones. */
export function localDefinition(asl: string): string {
  return asl.replace(/\$\{(\w+)\}/g, (_, name: string) => {
    const fn = SUBSTITUTIONS[name];
    if (!fn) throw new Error(`no local substitution for \${${name}}`);
    return `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${fn}`;
  });
}

export interface StackOptions {
  readonly settings: LocalSettings;
  /** PATHWAY_CONFIG override (JSON), e.g. short service levels in tests. */
  readonly pathwayConfig?: Record<string, unknown>;
  readonly retryIntervalMs?: number;
  readonly injectFault?: LocalSfnOptions['injectFault'];
  /** The ASL to run (default statemachines/care-pathway.asl.json, or LOCAL_ASL_PATH); tests deploy a new version with it. */
  readonly aslPath?: string;
  /** How often the overdue sweep runs (default one minute). */
  readonly sweepEveryMs?: number;
  /** First delay before a crashed DynamoDB Local is restarted (default 500 ms, doubling). */
  readonly dynamodbRestartDelayMs?: number;
}

export interface Stack {
  readonly urls: { api: string; ses: string; dynamodb: string; sfn: string };
  idle(): Promise<void>;
  stop(): Promise<void>;
}

export async function startStack(opts: StackOptions): Promise<Stack> {
  const s = opts.settings;
  await mkdir(s.dataDir, { recursive: true });
  const urls = {
    api: `http://${s.host}:${s.apiPort}`,
    ses: `http://${s.host}:${s.sesPort}`,
    dynamodb: `http://${s.host}:${s.dynamodbPort}`,
    sfn: `http://${s.host}:${s.sfnPort}`,
  };
  const versions = publishVersions(join(s.dataDir, 'stepfunctions-versions'), readFileSync(opts.aslPath ?? process.env.LOCAL_ASL_PATH ?? ASL_PATH, 'utf8'));
  const latest = versions.at(-1) as { n: number };
  const machineName = (n: number) => `${STATE_MACHINE_NAME}-v${n}`;
  const stateMachineArn = `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${machineName(latest.n)}`;
  Object.assign(process.env, {
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'local',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'local',
    // LOCAL_DYNAMODB_ENDPOINT: the handlers reach DynamoDB through another address (a test's proxy
    // that cuts the traffic to simulate an outage).
    AWS_ENDPOINT_URL_DYNAMODB: process.env.LOCAL_DYNAMODB_ENDPOINT ?? urls.dynamodb,
    AWS_ENDPOINT_URL_SES: urls.ses,
    AWS_ENDPOINT_URL_SFN: urls.sfn,
    PATHWAY_TABLE_NAME: 'csf-pathway',
    AUDIT_TABLE_NAME: 'csf-audit',
    STATE_MACHINE_ARN: stateMachineArn,
    PATHWAY_VERSION: String(latest.n),
    PATHWAY_CONFIG: JSON.stringify({ appBaseUrl: urls.api, ...opts.pathwayConfig }),
    POWERTOOLS_SERVICE_NAME: 'csf-leak-pathway-local',
  });

  let ready = false;
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const verify = await localVerifier(s.dataDir);
    // The dashboard and its local-only sign-in (in the cloud: static hosting and the Cognito
    // hosted UI; this endpoint is never deployed).
    const dashboard = dashboardFallback({ distDir: WEB_DIST_DIR, signIn: (req) => issueToken(s.dataDir, req) });
    const fallback: typeof dashboard = async (req, res) => (await apiReference(req, res)) || dashboard(req, res);
    const checks = localDependencyChecks(urls);
    const api: Server = await startApiServer({ host: s.host, port: s.apiPort, routes: [...API_ROUTES, ...TEAM_API_ROUTES], verify, isReady: () => ready, fallback, health: () => checkHealth(checks) });
    stops.push(() => new Promise<void>((r) => { api.closeAllConnections(); api.close(() => r()); }));

    const dynamo = await startDynamoLocal(s.dataDir, s.host, s.dynamodbPort, opts.dynamodbRestartDelayMs === undefined ? {} : { restartDelayMs: opts.dynamodbRestartDelayMs });
    stops.push(dynamo.stop);
    const ddb = new DynamoDBClient({});
    await ensureTables(ddb, { pathway: 'csf-pathway', audit: 'csf-audit' });
    ddb.destroy();

    const ses = await startSes(s.dataDir, s.host, s.sesPort);
    stops.push(ses.stop);

    // Before the engine resumes (it writes those files once it runs): each waiting execution against its record.
    const checkpoints = await checkWaitingCheckpoints(`${s.dataDir}/stepfunctions`, 'csf-pathway').catch(() => undefined);
    if (checkpoints && checkpoints.waiting > 0) console.log(describeCheckpointReport(checkpoints));
    const sfn = await startLocalSfn({
      host: s.host,
      port: s.sfnPort,
      dataDir: `${s.dataDir}/stepfunctions`,
      region: REGION,
      accountId: ACCOUNT,
      stateMachines: versions.map((v) => ({ name: machineName(v.n), definition: localDefinition(v.definition) })),
      invokeLambda: async (functionName, payload) => {
        const load = WORKFLOW_FUNCTIONS[functionName as keyof typeof WORKFLOW_FUNCTIONS];
        if (!load) throw Object.assign(new Error(`no local function ${functionName}`), { name: 'Lambda.ResourceNotFoundException' });
        const { handler } = await load();
        // A Lambda sees JSON in and gives JSON out.
        const result = await (handler as (e: unknown) => Promise<unknown>)(JSON.parse(JSON.stringify(payload)));
        return result === undefined ? null : JSON.parse(JSON.stringify(result));
      },
      ...(opts.retryIntervalMs === undefined ? {} : { retryIntervalMs: opts.retryIntervalMs }),
      ...(opts.injectFault ? { injectFault: opts.injectFault } : {}),
    });
    stops.push(() => sfn.close());

    // Decisions and withdrawals recorded while the engine was down reach it now. Then the overdue sweep runs on
    // a timer (EventBridge in the cloud), which also redelivers such decisions.
    const { reconcile, startStalledReferrals } = await import('../functions/app/sweep.js');
    const { runtimeDeps } = await import('../functions/shared/runtime.js');
    const { handler: sweep } = await import('../functions/workflow/overdue-sweep.js');
    const { logger } = await import('../functions/shared/logger.js');
    const deps = await runtimeDeps();
    await reconcile(deps, 0).catch(() => 0);
    // No request is in flight before the API is ready: any referral not yet started is stalled.
    await startStalledReferrals(deps, new Date(), 0).catch(() => 0);
    let sweeping: Promise<unknown> = Promise.resolve();
    const timer = setInterval(() => {
      // A failed pass is logged and the next one runs on time (EventBridge retries in the cloud).
      sweeping = sweeping.then(() => sweep()).catch((err: unknown) => logger.warn('overdue sweep failed', { errorName: (err as Error)?.name, errorMessage: (err as Error)?.message }));
    }, opts.sweepEveryMs ?? 60_000);
    timer.unref();
    stops.push(async () => {
      clearInterval(timer);
      await sweeping;
    });

    const { startSubscriptionWorker } = await import('./subscription-worker.js');
    stops.push(startSubscriptionWorker(Number(process.env.SUBSCRIPTION_WORKER_MS ?? 500)));

    ready = true;
    return { urls, idle: () => sfn.idle(), stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
