// What the local stack runs, read from the synthesized template and nothing else: the functions
// (handler module, environment, role), each role's policies, the state machine with its
// substitutions and role, the HTTP API's routes with their integrations and authorizer, the
// tables, the schedules, and which service may invoke which function. Whatever exists only in
// lib/ without reaching the template does not exist here either.
import type { PolicyDocument } from '../iam/authorizer.js';
import { ResolvedTemplate, type CfnTemplate } from './template.js';

/** Template Metadata naming a function's handler module (lib/pathway-function.ts). */
export const HANDLER_ENTRY_METADATA = 'csf:handler-entry';

export interface LocalFunction {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  /** Project-relative handler module (exports `handler`). */
  readonly entry: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly roleArn: string;
  readonly timeoutSeconds: number;
}

export interface LocalRole {
  readonly logicalId: string;
  readonly arn: string;
  readonly policies: readonly PolicyDocument[];
}

export interface LocalRoute {
  readonly method: string;
  readonly path: string;
  readonly functionArn: string;
  /** NONE: served without a token; JWT: the API's authorizer runs first. */
  readonly authorization: 'NONE' | 'JWT';
}

export interface LocalTable {
  readonly name: string;
  readonly arn: string;
  readonly kmsKeyArn?: string;
  /** The CreateTable input (keys, attributes, indexes), as the template gives it. */
  readonly create: Record<string, unknown>;
  readonly ttlAttribute?: string;
}

export interface LocalSchedule {
  readonly logicalId: string;
  readonly ruleArn: string;
  readonly expression: string;
  readonly everyMs: number;
  readonly functionArn: string;
}

export interface LocalStateMachine {
  readonly logicalId: string;
  readonly name: string;
  readonly arn: string;
  readonly roleArn: string;
  /** The ASL with DefinitionSubstitutions applied (function ARNs). */
  readonly definition: string;
  /** Its aliases (the version is the local one the stack publishes). */
  readonly aliases: readonly { readonly logicalId: string; readonly name: string }[];
}

/** A resource-based permission to invoke a function (AWS::Lambda::Permission). */
export interface InvokePermission {
  readonly functionArn: string;
  readonly principal: string;
  readonly sourceArn?: string;
}

export interface LocalAssembly {
  readonly template: ResolvedTemplate;
  readonly functions: readonly LocalFunction[];
  /** Functions of the template the local stack does not run (no handler module of ours, e.g. CDK's deployment helpers). */
  readonly notRun: readonly string[];
  readonly roles: ReadonlyMap<string, LocalRole>;
  readonly stateMachine: LocalStateMachine;
  readonly routes: readonly LocalRoute[];
  readonly jwtAuthorizer: boolean;
  readonly tables: readonly LocalTable[];
  readonly schedules: readonly LocalSchedule[];
  readonly invokePermissions: readonly InvokePermission[];
  readonly eventBuses: readonly string[];
  readonly userPools: readonly string[];
}

const asString = (v: unknown, what: string): string => {
  if (typeof v !== 'string') throw new Error(`template: ${what} is not a string`);
  return v;
};

/** rate(N unit) in milliseconds; cron schedules are not run locally. */
export function scheduleEveryMs(expression: string): number {
  const m = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression);
  if (!m) throw new Error(`template: schedule ${expression} is not a rate() the local stack can run`);
  const unit = m[2]!.startsWith('minute') ? 60_000 : m[2]!.startsWith('hour') ? 3_600_000 : 86_400_000;
  return Number(m[1]) * unit;
}

/**
 * `publish` registers the state machine's definition as a local version and answers its number
 * (the number a version's ARN ends with); it runs before anything that names the version resolves.
 */
export function readAssembly(raw: CfnTemplate, stackName: string, publish: (definition: string) => number): LocalAssembly {
  const version: { published?: number } = {};
  const t = new ResolvedTemplate(raw, {
    stackName,
    stateMachineVersion: () => {
      if (version.published === undefined) throw new Error('template: a state machine version was named before the definition was published');
      return version.published;
    },
  });

  const machines = t.resources('AWS::StepFunctions::StateMachine');
  if (machines.length !== 1) throw new Error(`template: expected one state machine, found ${machines.length}`);
  const [machineId] = machines[0]!;
  const substitutions = (t.prop(machineId, 'DefinitionSubstitutions') as Record<string, string> | undefined) ?? {};
  const definition = asString(t.prop(machineId, 'DefinitionString'), 'DefinitionString').replace(/\$\{([^}]+)\}/g, (_, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`template: the definition's \${${name}} has no substitution`);
    return value;
  });
  version.published = publish(definition);
  const machineArn = t.getAtt(machineId, 'Arn');
  const stateMachine: LocalStateMachine = {
    logicalId: machineId,
    name: t.getAtt(machineId, 'Name'),
    arn: machineArn,
    roleArn: asString(t.prop(machineId, 'RoleArn'), 'state machine RoleArn'),
    definition,
    aliases: t.resources('AWS::StepFunctions::StateMachineAlias').map(([id]) => ({ logicalId: id, name: asString(t.prop(id, 'Name'), 'alias Name') })),
  };

  const functions: LocalFunction[] = [];
  const notRun: string[] = [];
  for (const [id, r] of t.resources('AWS::Lambda::Function')) {
    const entry = r.Metadata?.[HANDLER_ENTRY_METADATA];
    if (typeof entry !== 'string') {
      notRun.push(id);
      continue;
    }
    const env = (t.prop(id, 'Environment') as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {};
    functions.push({
      logicalId: id,
      name: t.ref(id),
      arn: t.getAtt(id, 'Arn'),
      entry,
      environment: Object.fromEntries(Object.entries(env).map(([k, v]) => [k, asString(v, `${id} environment ${k}`)])),
      roleArn: asString(t.prop(id, 'Role'), `${id} Role`),
      timeoutSeconds: Number(t.prop(id, 'Timeout') ?? 3),
    });
  }

  // Identity policies: customer-managed and inline policies attached to each role.
  const roles = new Map<string, LocalRole>();
  for (const [id] of t.resources('AWS::IAM::Role')) {
    const inline = (t.prop(id, 'Policies') as { PolicyDocument: PolicyDocument }[] | undefined) ?? [];
    roles.set(t.getAtt(id, 'Arn'), { logicalId: id, arn: t.getAtt(id, 'Arn'), policies: inline.map((p) => p.PolicyDocument) });
  }
  for (const type of ['AWS::IAM::ManagedPolicy', 'AWS::IAM::Policy']) {
    for (const [id] of t.resources(type)) {
      const doc = t.prop(id, 'PolicyDocument') as PolicyDocument;
      for (const roleName of (t.prop(id, 'Roles') as string[] | undefined) ?? []) {
        const role = [...roles.values()].find((r) => r.arn.endsWith(`:role/${roleName}`));
        if (!role) throw new Error(`template: policy ${id} is attached to unknown role ${roleName}`);
        roles.set(role.arn, { ...role, policies: [...role.policies, doc] });
      }
    }
  }

  // Routes: each AWS::ApiGatewayV2::Route names an integration; the integration names the function.
  const integrations = new Map(t.resources('AWS::ApiGatewayV2::Integration').map(([id]) => [t.ref(id), asString(t.prop(id, 'IntegrationUri'), `${id} IntegrationUri`)]));
  const routes: LocalRoute[] = t.resources('AWS::ApiGatewayV2::Route').map(([id]) => {
    const [method, path] = asString(t.prop(id, 'RouteKey'), `${id} RouteKey`).split(' ') as [string, string];
    const target = asString(t.prop(id, 'Target'), `${id} Target`).replace(/^integrations\//, '');
    const functionArn = integrations.get(target);
    if (!functionArn) throw new Error(`template: route ${method} ${path} has no integration`);
    const authorization = t.prop(id, 'AuthorizationType') === 'JWT' ? 'JWT' : 'NONE';
    return { method, path, functionArn, authorization };
  });

  const tables: LocalTable[] = t.resources('AWS::DynamoDB::Table').map(([id]) => {
    const sse = t.prop(id, 'SSESpecification') as { SSEEnabled?: boolean; KMSMasterKeyId?: string } | undefined;
    const ttl = t.prop(id, 'TimeToLiveSpecification') as { Enabled?: boolean; AttributeName?: string } | undefined;
    const stream = t.prop(id, 'StreamSpecification') as { StreamViewType?: string } | undefined;
    const gsis = t.prop(id, 'GlobalSecondaryIndexes') as Record<string, unknown>[] | undefined;
    return {
      name: t.ref(id),
      arn: t.getAtt(id, 'Arn'),
      ...(sse?.SSEEnabled && sse.KMSMasterKeyId ? { kmsKeyArn: sse.KMSMasterKeyId } : {}),
      create: {
        TableName: t.ref(id),
        KeySchema: t.prop(id, 'KeySchema'),
        AttributeDefinitions: t.prop(id, 'AttributeDefinitions'),
        BillingMode: 'PAY_PER_REQUEST',
        ...(gsis?.length ? { GlobalSecondaryIndexes: gsis } : {}),
        ...(stream?.StreamViewType ? { StreamSpecification: { StreamEnabled: true, StreamViewType: stream.StreamViewType } } : {}),
      },
      ...(ttl?.Enabled && ttl.AttributeName ? { ttlAttribute: ttl.AttributeName } : {}),
    };
  });

  const schedules: LocalSchedule[] = [];
  for (const [id] of t.resources('AWS::Events::Rule')) {
    const expression = t.prop(id, 'ScheduleExpression');
    if (typeof expression !== 'string' || t.prop(id, 'State') === 'DISABLED') continue;
    for (const target of (t.prop(id, 'Targets') as { Arn: string }[] | undefined) ?? []) {
      if (!target.Arn.includes(':lambda:')) continue;
      schedules.push({ logicalId: id, ruleArn: t.getAtt(id, 'Arn'), expression, everyMs: scheduleEveryMs(expression), functionArn: target.Arn });
    }
  }

  const functionArnOf = (v: unknown): string => {
    const s = asString(v, 'Lambda permission FunctionName');
    return s.startsWith('arn:') ? s : `arn:aws:lambda:${t.region}:${t.account}:function:${s}`;
  };
  const invokePermissions: InvokePermission[] = t.resources('AWS::Lambda::Permission').map(([id]) => {
    const sourceArn = t.prop(id, 'SourceArn');
    return {
      functionArn: functionArnOf(t.prop(id, 'FunctionName')),
      principal: asString(t.prop(id, 'Principal'), `${id} Principal`),
      ...(typeof sourceArn === 'string' ? { sourceArn } : {}),
    };
  });

  return {
    template: t,
    functions,
    notRun,
    roles,
    stateMachine,
    routes,
    jwtAuthorizer: t.resources('AWS::ApiGatewayV2::Authorizer').some(([id]) => t.prop(id, 'AuthorizerType') === 'JWT'),
    tables,
    schedules,
    invokePermissions,
    eventBuses: t.resources('AWS::Events::EventBus').map(([id]) => t.ref(id)),
    userPools: t.resources('AWS::Cognito::UserPool').map(([id]) => t.ref(id)),
  };
}

/** Whether a resource-based permission lets `principal` (a service) invoke the function, from `sourceArn`. */
export function mayInvoke(assembly: LocalAssembly, functionArn: string, principal: string, sourceArn: string): boolean {
  const glob = (pattern: string) => new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return assembly.invokePermissions.some(
    (p) => p.functionArn === functionArn && p.principal === principal && (p.sourceArn === undefined || glob(p.sourceArn).test(sourceArn)),
  );
}
