// What an adapter's AWS calls need from IAM, declared by the adapter beside the calls (STYLE 17):
// per capability (one method, or a few that go together), the actions on each logical resource.
// Plain data and types, nothing from AWS CDK: a handler bundle keeps only the few bytes of the
// declarations it imports, the CDK app grants exactly these (lib/access-grants.ts), and the infra
// tests check the synthesized policies against them.

/** The DynamoDB item actions this product makes on a table (TransactWriteItems is authorized per item). */
type TableAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem';

/** The logical resources the adapters reach, each with the actions that mean anything on it. */
export interface ResourceActions {
  readonly pathwayTable: TableAction;
  /** GSI1 of the pathway table: an index answers Query (and Scan, which nothing here makes). */
  readonly worklistIndex: 'dynamodb:Query';
  readonly auditTable: TableAction;
  readonly auditMonthIndex: 'dynamodb:Query';
  /** The SES identity mail is sent from. */
  readonly mailIdentity: 'ses:SendRawEmail';
  /** The care-pathway state machine, unqualified: versions and aliases are authorized against it. */
  readonly stateMachine: 'states:StartExecution' | 'states:SendTaskSuccess';
  /** The executions of that state machine. */
  readonly executions: 'states:DescribeExecution' | 'states:StopExecution';
  readonly eventBus: 'events:PutEvents';
  readonly userPool: 'cognito-idp:ListUsersInGroup';
}

export type AwsResource = keyof ResourceActions;

/** Every logical resource, in the order policies list them. */
export const AWS_RESOURCES: readonly AwsResource[] = [
  'pathwayTable',
  'worklistIndex',
  'auditTable',
  'auditMonthIndex',
  'mailIdentity',
  'stateMachine',
  'executions',
  'eventBus',
  'userPool',
];

/**
 * What a StartExecution names (Step Functions passes it as states:StateMachineQualifier): the live
 * alias, or anything but it (a version number, or the unqualified machine).
 */
export type StartQualifier = 'liveAlias' | 'notLiveAlias';

/** One capability: the actions on each resource it reaches. */
export type AwsAccess = { readonly [R in AwsResource]?: readonly ResourceActions[R][] } & {
  /** Required with states:StartExecution, and only with it. */
  readonly startQualifier?: StartQualifier;
};

/** An adapter's capabilities by name, e.g. `{ read: {...}, save: {...} }`. */
export type AccessDeclaration = Readonly<Record<string, AwsAccess>>;
