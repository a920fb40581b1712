// The whole product on one machine, built from what `cdk synth` produces: the CDK app is
// synthesized offline (local/assembly/synth.ts) and the stack is wired from its template alone:
// the functions (each in its own worker with its template environment and its role's
// credentials), the state machine with its substitutions, versions and alias, the HTTP API's
// routes and authorizer, the tables, the schedules and who may invoke what. Every AWS call a
// function makes, and every Lambda invocation the state machine makes, is authorized against the
// synthesized IAM policies (local/iam/) before a local server acts on it: a grant missing from
// lib/ is an AccessDenied here, as it would be on the first deploy.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { dashboardFallback, WEB_DIST_DIR } from '../web/server/dashboard.js';
import { CONTRACT_ROUTES, INTEGRATION_ROUTES, TEAM_ROUTES, type ApiRoute } from '../functions/api/routes.js';
import { deepMerge, type Json } from '../functions/domain/config.js';
import { ConfiguredDirectory } from '../functions/domain/directory.js';
import { loadTeamConfig } from '../functions/domain/team-work.js';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { issueToken, localVerifier } from './auth.js';
import { startApiServer, type Route } from './api-server.js';
import { createTables, startDynamoLocal } from './dynamodb.js';
import type { DynamoObserver } from './dynamodb-journal.js';
import { checkWaitingCheckpoints, describeCheckpointReport } from './checkpoint-check.js';
import { checkHealth, localDependencyChecks } from './health.js';
import { startSes } from './ses.js';
import { apiReference } from './api-reference.js';
import type { LocalSettings } from './settings.js';
import { startLocalSfn, type LocalSfnOptions } from './sfn-service.js';
import { readStack, synthesize, PROJECT_ROOT } from './assembly/synth.js';
import { LOCAL_API_ID, LOCAL_REGION, LOCAL_ACCOUNT } from './assembly/template.js';
import { mayInvoke, readAssembly, type LocalAssembly, type LocalFunction } from './assembly/wiring.js';
import { LambdaRuntime } from './lambda/runtime.js';
import { IamAuthorizer, type Principal } from './iam/authorizer.js';
import { dynamodbRequests, lambdaInvokeRequest, refusalResponse, sesRequests, sfnRequests } from './iam/requests.js';
import { startLocalCognito } from './cognito.js';
import { startLocalEventBridge } from './eventbridge.js';
import { freePort } from './free-port.js';
import type { AuthorizeHook } from './aws-endpoint.js';

/** The access key of the stack's own tooling and of tests reading the tables: the account operator's, allowed everything (as a deployer's admin credentials are). */
export const OPERATOR_ACCESS_KEY = 'local';
/** Written to the data folder once the stack is up: the physical names a test or a tool needs (the stack's "outputs"). */
export const STACK_OUTPUTS_FILE = 'local-stack.json';
/** Written to the data folder when the stack stops: every IAM refusal, and every grant no call used. */
export const IAM_REPORT_FILE = 'iam-report.json';

export interface IamReport {
  readonly refusals: ReturnType<IamAuthorizer['refusals']>;
  readonly unusedGrants: ReturnType<IamAuthorizer['unusedGrants']>;
}

/** The product's declared routes (functions/api/routes.ts); the local stack serves the template's, and a test keeps the two equal. */
export const API_ROUTES: readonly ApiRoute[] = [...CONTRACT_ROUTES, ...INTEGRATION_ROUTES];
export const TEAM_API_ROUTES: readonly ApiRoute[] = TEAM_ROUTES;

/** The one handler an operator invokes after an outage; the stack does the same when it starts. */
const SWEEP_ENTRY = 'functions/workflow/overdue-sweep.ts';
/** Environment variables the local stack passes to functions beyond the template's: test knobs a deployment never sets. */
const LOCAL_KNOBS = ['PATHWAY_DEFINITION_MODULE', 'TEAM_CONFIG', 'LOG_LEVEL', 'TZ'] as const;

export interface StackOutputs {
  readonly tables: { readonly pathway: string; readonly audit: string };
  readonly stateMachineArn: string;
  readonly functions: Readonly<Record<string, string>>;
  readonly synth: { readonly dir: string; readonly cached: boolean; readonly ms: number };
}

/**
 * Local stand-in for Step Functions versions: each distinct definition the stack has run is kept
 * under the data folder as version n and stays registered, so executions started on it finish on
 * it while new referrals take the newest through the alias, as in the cloud.
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

export interface StackOptions {
  readonly settings: LocalSettings;
  /** PATHWAY_CONFIG patch over the template's (JSON), e.g. short service levels in tests. */
  readonly pathwayConfig?: Record<string, unknown>;
  readonly retryIntervalMs?: number;
  readonly injectFault?: LocalSfnOptions['injectFault'];
  /** The ASL to deploy (default statemachines/care-pathway.asl.json, or LOCAL_ASL_PATH): synthesized as CDK context definitionPath. */
  readonly aslPath?: string;
  /** How often schedules longer than a minute run locally (default one minute; the template's rate in the cloud). */
  readonly sweepEveryMs?: number;
  /** How often schedules of a minute or less run locally (default 500 ms). */
  readonly frequentEveryMs?: number;
  /** First delay before a crashed DynamoDB Local is restarted (default 500 ms, doubling). */
  readonly dynamodbRestartDelayMs?: number;
  /** Sees every DynamoDB call (the bench's capacity meter). */
  readonly observeDynamo?: DynamoObserver;
  /** Load every function's handler once the stack is ready (default true). */
  readonly prewarm?: boolean;
  /** Run this cloud assembly (a cdk.out folder) instead of synthesizing the app. */
  readonly assemblyDir?: string;
}

export interface Stack {
  readonly urls: { api: string; ses: string; dynamodb: string; sfn: string };
  readonly assembly: LocalAssembly;
  readonly outputs: StackOutputs;
  readonly iam: IamAuthorizer;
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Each role's access key: the role's logical id, so a refusal in the log names the function. */
const accessKeyOf = (roleLogicalId: string) => `LOCAL${roleLogicalId}`;

export async function startStack(opts: StackOptions): Promise<Stack> {
  const s = opts.settings;
  await mkdir(s.dataDir, { recursive: true });
  const urls = {
    api: `http://${s.host}:${s.apiPort}`,
    ses: `http://${s.host}:${s.sesPort}`,
    dynamodb: `http://${s.host}:${s.dynamodbPort}`,
    sfn: `http://${s.host}:${s.sfnPort}`,
  };

  // ------------------------------------------------------------ the cloud assembly
  const aslPath = opts.aslPath ?? process.env.LOCAL_ASL_PATH;
  // A cloud assembly made elsewhere (`cdk synth -o dir`, or a test's edited copy) instead of synthesizing.
  const synth = opts.assemblyDir ? { dir: opts.assemblyDir, ...readStack(opts.assemblyDir), cached: true, ms: 0 } : await synthesize(aslPath ? { definitionPath: aslPath } : {});
  let versions: { n: number; definition: string }[] = [];
  const assembly = readAssembly(synth.template, synth.stackName, (definition) => {
    versions = publishVersions(join(s.dataDir, 'stepfunctions-versions'), definition);
    return (versions.at(-1) as { n: number }).n;
  });
  const machine = assembly.stateMachine;
  const latestVersionArn = `${machine.arn}:${(versions.at(-1) as { n: number }).n}`;

  // The operator's own calls (creating tables, replaying the journal, reading for tests) use
  // OPERATOR_ACCESS_KEY; a function's use its role's key. Nothing else is recognised.
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: OPERATOR_ACCESS_KEY,
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: process.env.LOCAL_DYNAMODB_ENDPOINT ?? urls.dynamodb,
  });
  const principals = new Map<string, Principal>();
  const keyOfRole = new Map<string, string>();
  for (const role of assembly.roles.values()) {
    const key = accessKeyOf(role.logicalId);
    keyOfRole.set(role.arn, key);
    principals.set(key, { arn: role.arn, name: role.logicalId, policies: role.policies, sessionName: role.logicalId });
  }
  const iam = new IamAuthorizer(principals, { operatorKeys: [OPERATOR_ACCESS_KEY] });
  const env = { region: LOCAL_REGION, account: LOCAL_ACCOUNT };
  const tableKeys = new Map(assembly.tables.flatMap((t) => (t.kmsKeyArn ? [[t.name, t.kmsKeyArn] as const] : [])));
  // Seen, never silent: the action and resource, no request data (no PHI).
  const logRefusal = (request: { action: string; resource: string }, by = '') => console.warn(`IAM: refused ${request.action} on ${request.resource}${by}`);
  const refused = (service: Parameters<typeof refusalResponse>[0], decision: Awaited<ReturnType<IamAuthorizer['authorize']>>) => {
    if (decision.allowed) return undefined;
    logRefusal(decision.request);
    return refusalResponse(service, decision);
  };
  const authorizeHook: AuthorizeHook = async (accessKeyId, requests) => {
    const decision = await iam.authorize(accessKeyId, requests);
    if (decision.allowed) return { allowed: true };
    logRefusal(decision.request);
    return { allowed: false, message: decision.message, ...(decision.reason === 'unknown-key' ? { unknownKey: true } : {}) };
  };

  let ready = false;
  const stops: (() => Promise<void>)[] = [
    async () => writeFileSync(join(s.dataDir, IAM_REPORT_FILE), JSON.stringify({ refusals: iam.refusals(), unusedGrants: iam.unusedGrants() } satisfies IamReport, null, 2)),
  ];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    // ------------------------------------------------------------ AWS services
    const eventsPort = await freePort();
    const cognitoPort = await freePort();
    const functionEndpoints = {
      AWS_ENDPOINT_URL_DYNAMODB: process.env.LOCAL_DYNAMODB_ENDPOINT ?? urls.dynamodb,
      AWS_ENDPOINT_URL_SES: urls.ses,
      AWS_ENDPOINT_URL_SFN: urls.sfn,
      AWS_ENDPOINT_URL_EVENTBRIDGE: `http://${s.host}:${eventsPort}`,
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: `http://${s.host}:${cognitoPort}`,
    };
    const stageUrl = `https://${LOCAL_API_ID}.execute-api.${LOCAL_REGION}.amazonaws.com`;
    const environmentOf = (fn: LocalFunction): Record<string, string> => {
      const vars: Record<string, string> = {};
      for (const [k, v] of Object.entries(fn.environment)) vars[k] = v.split(stageUrl).join(urls.api);
      // The deployment's configuration with the local addresses (and a test's patch) over it.
      if (vars.PATHWAY_CONFIG !== undefined) {
        vars.PATHWAY_CONFIG = JSON.stringify(deepMerge(JSON.parse(vars.PATHWAY_CONFIG) as Json, { appBaseUrl: urls.api, ...(opts.pathwayConfig as Record<string, Json> | undefined) }));
      }
      const role = assembly.roles.get(fn.roleArn);
      if (!role) throw new Error(`template: ${fn.logicalId} runs as unknown role ${fn.roleArn}`);
      const knobs = Object.fromEntries(LOCAL_KNOBS.flatMap((k) => (process.env[k] === undefined ? [] : [[k, process.env[k] as string]])));
      return {
        ...vars,
        ...knobs,
        ...functionEndpoints,
        AWS_REGION: LOCAL_REGION,
        AWS_DEFAULT_REGION: LOCAL_REGION,
        AWS_ACCESS_KEY_ID: accessKeyOf(role.logicalId),
        AWS_SECRET_ACCESS_KEY: 'local',
        AWS_LAMBDA_FUNCTION_NAME: fn.name,
        AWS_LAMBDA_FUNCTION_TIMEOUT: String(fn.timeoutSeconds),
        PATH: process.env.PATH ?? '',
      };
    };
    const lambda = new LambdaRuntime({ projectRoot: PROJECT_ROOT, functions: assembly.functions, environmentOf });
    stops.push(() => lambda.stop());

    const verify = await localVerifier(s.dataDir);
    const dashboard = dashboardFallback({ distDir: WEB_DIST_DIR, signIn: (req) => issueToken(s.dataDir, req) });
    const fallback: typeof dashboard = async (req, res) => (await apiReference(req, res)) || dashboard(req, res);
    const checks = localDependencyChecks(urls);
    const routes: Route[] = assembly.routes.map((r) => ({
      method: r.method as Route['method'],
      path: r.path,
      ...(r.authorization === 'NONE' ? { public: true } : {}),
      handler: () =>
        Promise.resolve(async (event): Promise<APIGatewayProxyStructuredResultV2> => {
          // API Gateway invokes through the function's resource policy, never the caller's.
          const sourceArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${LOCAL_API_ID}/$default/${r.method}${r.path}`;
          if (!mayInvoke(assembly, r.functionArn, 'apigateway.amazonaws.com', sourceArn)) {
            console.warn(`API: no permission for API Gateway to invoke ${r.functionArn} for ${r.method} ${r.path}`);
            return { statusCode: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message: 'Internal Server Error' }) };
          }
          return (await lambda.invoke(r.functionArn, event)) as APIGatewayProxyStructuredResultV2;
        }),
    }));
    if (!assembly.jwtAuthorizer) throw new Error('template: the HTTP API has no JWT authorizer');
    const api: Server = await startApiServer({ host: s.host, port: s.apiPort, routes, verify, isReady: () => ready, fallback, health: () => checkHealth(checks) });
    stops.push(() => new Promise<void>((r) => { api.closeAllConnections(); api.close(() => r()); }));

    const dynamo = await startDynamoLocal(s.dataDir, s.host, s.dynamodbPort, {
      ...(opts.dynamodbRestartDelayMs === undefined ? {} : { restartDelayMs: opts.dynamodbRestartDelayMs }),
      ...(opts.observeDynamo ? { observe: opts.observeDynamo } : {}),
      authorize: async ({ accessKeyId, target, body }) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(body);
        } catch {
          return undefined; // DynamoDB Local answers the malformed request itself
        }
        return refused('dynamodb', await iam.authorize(accessKeyId, dynamodbRequests(target, parsed, { ...env, tableKeys })));
      },
    });
    stops.push(dynamo.stop);
    const ddb = new DynamoDBClient({});
    await createTables(ddb, assembly.tables);
    ddb.destroy();

    // The product speaks the v1 API (SendRawEmail). An SESv2 call has no action mapping here yet:
    // named by its method and path, it is no IAM action, so only the operator may make it. Stricter
    // than AWS, never laxer.
    const ses = await startSes(s.dataDir, s.host, s.sesPort, async ({ accessKeyId, form, method, path }) =>
      refused('ses', await iam.authorize(accessKeyId, form ? sesRequests(form, env) : [{ action: `ses:${method}${path.split('?')[0]}`, resource: '*' }])),
    );
    stops.push(ses.stop);

    const events = await startLocalEventBridge({ host: s.host, port: eventsPort, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT, buses: ['default', ...assembly.eventBuses], dataFile: join(s.dataDir, 'eventbridge-events.jsonl'), authorize: authorizeHook });
    stops.push(events.stop);
    const teamConfig = loadTeamConfig();
    const cognitoStops = await Promise.all(
      assembly.userPools.map(async (userPoolId, i) => {
        const c = await startLocalCognito({ host: s.host, port: i === 0 ? cognitoPort : await freePort(), region: LOCAL_REGION, accountId: LOCAL_ACCOUNT, userPoolId, members: await new ConfiguredDirectory(teamConfig.directory).members(), authorize: authorizeHook });
        return c.stop;
      }),
    );
    stops.push(async () => void (await Promise.all(cognitoStops.map((stop) => stop()))));

    // ------------------------------------------------------------ the state machine
    const pathwayTable = assembly.functions[0]?.environment.PATHWAY_TABLE_NAME;
    const auditTable = assembly.functions[0]?.environment.AUDIT_TABLE_NAME;
    if (!pathwayTable || !auditTable) throw new Error('template: the functions name no PATHWAY_TABLE_NAME / AUDIT_TABLE_NAME');
    // Before the engine resumes (it writes those files once it runs): each waiting execution against its record.
    const checkpoints = await checkWaitingCheckpoints(`${s.dataDir}/stepfunctions`, pathwayTable).catch(() => undefined);
    if (checkpoints && checkpoints.waiting > 0) console.log(describeCheckpointReport(checkpoints));
    const handlerNameOf = (name: string) => lambda.find(name)?.entry.replace(/^.*\//, '').replace(/\.ts$/, '') ?? name;
    const machineKey = keyOfRole.get(machine.roleArn);
    if (!machineKey) throw new Error(`template: the state machine's role ${machine.roleArn} is not in the template`);
    const aliases: Record<string, string> = { [machine.arn]: latestVersionArn };
    for (const alias of machine.aliases) aliases[`${machine.arn}:${alias.name}`] = latestVersionArn;
    const sfn = await startLocalSfn({
      host: s.host,
      port: s.sfnPort,
      dataDir: `${s.dataDir}/stepfunctions`,
      region: LOCAL_REGION,
      accountId: LOCAL_ACCOUNT,
      roleArn: machine.roleArn,
      stateMachines: versions.map((v) => ({ name: `${machine.name}:${v.n}`, definition: v.definition })),
      aliases,
      authorize: async ({ accessKeyId, action, body }, stateMachineOfToken) => {
        const token = typeof body.taskToken === 'string' ? body.taskToken : undefined;
        // A token the service never issued names no machine: Step Functions answers InvalidToken
        // for it before any resource exists to authorize against.
        if (token !== undefined && stateMachineOfToken(token) === undefined) return undefined;
        return refused('sfn', await iam.authorize(accessKeyId, sfnRequests(action, body, { stateMachineArnOfToken: (t) => stateMachineOfToken(t)?.replace(/:\d+$/, '') })));
      },
      invokeLambda: async (functionName, payload) => {
        // The state machine invokes under its own role.
        const arn = lambda.find(functionName)?.arn ?? `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${functionName}`;
        const decision = await iam.authorize(machineKey, [lambdaInvokeRequest(arn)]);
        if (!decision.allowed) {
          logRefusal(decision.request, ' to the state machine');
          throw Object.assign(new Error(decision.message), { name: 'Lambda.AWSLambdaException' });
        }
        return lambda.invoke(arn, payload);
      },
      ...(opts.retryIntervalMs === undefined ? {} : { retryIntervalMs: opts.retryIntervalMs }),
      // Fault rules name a function by its handler module (`enter-stage`), which stays the same
      // whatever physical name the template gives the function.
      ...(opts.injectFault ? { injectFault: (name: string, payload: unknown) => opts.injectFault?.(handlerNameOf(name), payload) } : {}),
    });
    stops.push(() => sfn.close());

    // ------------------------------------------------------------ schedules
    // Decisions and referrals a crash left half done are taken up now: the sweep, invoked as an
    // operator would after an outage, without the usual grace.
    const sweep = assembly.functions.find((f) => f.entry === SWEEP_ENTRY);
    if (sweep) await lambda.invoke(sweep.arn, { reconcileNow: true }).catch((err: unknown) => console.warn(`start-up sweep failed: ${(err as Error).name}`));
    const timers = assembly.schedules.map((schedule) => {
      // Locally time runs faster: what the cloud runs every minute runs every half second, the
      // rest every minute, so a developer sees a schedule's effect. Which schedules exist and what
      // they invoke is the template's.
      const everyMs = schedule.everyMs <= 60_000 ? (opts.frequentEveryMs ?? 500) : Math.min(schedule.everyMs, opts.sweepEveryMs ?? 60_000);
      let running: Promise<unknown> | undefined;
      const timer = setInterval(() => {
        if (running) return; // never two runs of one schedule at once
        if (!mayInvoke(assembly, schedule.functionArn, 'events.amazonaws.com', schedule.ruleArn)) {
          console.warn(`schedule ${schedule.logicalId}: no permission for EventBridge to invoke ${schedule.functionArn}`);
          return;
        }
        const event = { version: '0', id: `local-${Date.now()}`, 'detail-type': 'Scheduled Event', source: 'aws.events', account: LOCAL_ACCOUNT, time: new Date().toISOString(), region: LOCAL_REGION, resources: [schedule.ruleArn], detail: {} };
        running = lambda
          .invoke(schedule.functionArn, event)
          .catch((err: unknown) => console.warn(`schedule ${schedule.logicalId} failed: ${(err as Error).name}`))
          .finally(() => (running = undefined));
      }, everyMs);
      timer.unref();
      return { timer, running: () => running };
    });
    stops.push(async () => {
      for (const t of timers) clearInterval(t.timer);
      await Promise.all(timers.map((t) => t.running()));
    });

    const outputs: StackOutputs = {
      tables: { pathway: pathwayTable, audit: auditTable },
      stateMachineArn: machine.arn,
      functions: Object.fromEntries(assembly.functions.map((f) => [f.logicalId, f.arn])),
      synth: { dir: synth.dir, cached: synth.cached, ms: synth.ms },
    };
    writeFileSync(join(s.dataDir, STACK_OUTPUTS_FILE), JSON.stringify(outputs, null, 2));
    ready = true;
    // Cold starts off the first requests' path, one function at a time (tests skip it: a test uses
    // a few functions, and loading all fifteen in every test stack costs more than it saves).
    if (opts.prewarm ?? true) void lambda.prewarm().catch(() => undefined);
    return { urls, assembly, outputs, iam, idle: () => sfn.idle(), stop: stopAll };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
