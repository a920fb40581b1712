// What the cloud deployment promises, asserted on the synthesized template: one synth per file
// (bundling ten handlers is the slow part), then one behaviour per test.
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_TABLE, PATHWAY_TABLE } from '../../functions/store/table-layout.js';
import { TEAM_ROUTE_KEYS } from '../../functions/api/team-routes.js';
import { FHIR_ROUTES } from '../../functions/fhir/routes.js';
import { text } from './template-text.js';
import { CarePathwayStack, loadDefinition } from '../../lib/care-pathway-stack.js';
import { DASHBOARD_PLACEHOLDER_PATH, DashboardHosting, dashboardAssetDirectory } from '../../lib/dashboard-hosting.js';

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string; UpdateReplacePolicy?: string };
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };

// The endpoints of the contract that need a signed-in user (GET /health is local only), and the SLA report.
const CONTRACT_ROUTES = [
  'POST /referrals',
  'GET /patients',
  'GET /patients/{patientId}',
  'POST /patients/{patientId}/decisions',
  'POST /patients/{patientId}/hold',
  'POST /patients/{patientId}/resume',
  'POST /patients/{patientId}/withdraw',
  'POST /patients/{patientId}/reopen',
  'POST /patients/{patientId}/red-flags',
  'GET /metrics/throughput',
  'GET /metrics/sla',
  'GET /audit',
  'GET /audit/verify',
  ...TEAM_ROUTE_KEYS,
  ...FHIR_ROUTES.map((r) => `${r.method} ${r.path}`),
  'GET /openapi.json',
];
// Read before sign-in: the API description and the FHIR CapabilityStatement.
const PUBLIC_ROUTES = ['GET /openapi.json', 'GET /fhir/R4/metadata'];

// Every Lambda function of the stack, by construct id: the four tasks of the state machine, the
// eight API handlers and the team handler, the scheduled overdue sweep and the scheduled FHIR
// notification delivery.
const WORKFLOW_FUNCTIONS = ['EnterStage', 'ClosePathway', 'RecordFailure', 'ContinuePathway'];
const API_FUNCTIONS = ['Referrals', 'Decisions', 'PatientActions', 'RedFlags', 'Queries', 'Admin', 'Fhir', 'OpenApi', 'Team']; // Team
const ALL_FUNCTIONS = [...WORKFLOW_FUNCTIONS, ...API_FUNCTIONS, 'OverdueSweep', 'DeliverNotifications'];

let app: App;
let template: Template;
let resources: Record<string, Resource>;

/** A stand-in for `npm run build:web`: the tests do not depend on the real dashboard build. */
function fakeDashboardBuild(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-build-'));
  writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>dashboard under test</title>');
  return dir;
}

beforeAll(() => {
  app = new App({
    context: {
      appBaseUrl: 'https://pathway.test.example.org',
      mailFrom: 'pathway@mail.example.org',
      authDomainPrefix: 'csf-pathway-under-test',
      // The template does not depend on bundle contents; nag.test.ts bundles the real app.
      'aws:cdk:bundling-stacks': [],
    },
  });
  template = Template.fromStack(new CarePathwayStack(app, 'CarePathwayUnderTest', { dashboardAssetPath: fakeDashboardBuild() }));
  resources = template.toJSON().Resources as Record<string, Resource>;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
/** The functions of the pathway: every Lambda function but CDK's BucketDeployment helper. */
const pathwayFunctions = () => ofType('AWS::Lambda::Function').filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'));
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const logicalIdOf = (construct: string, type: string): string => {
  const match = ofType(type).find(([id]) => id.startsWith(construct));
  if (!match) throw new Error(`no ${type} for ${construct}`);
  return match[0];
};

/** Every statement granted to the execution role of the function whose construct id is given. */
function statementsOf(construct: string): Statement[] {
  const fn = resources[logicalIdOf(`${construct}Function`, 'AWS::Lambda::Function')];
  const roleId = (fn?.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  return policiesAttachedTo(roleId);
}

function policiesAttachedTo(roleId: string): Statement[] {
  return [...ofType('AWS::IAM::ManagedPolicy'), ...ofType('AWS::IAM::Policy')]
    .filter(([, p]) => JSON.stringify(p.Properties.Roles ?? []).includes(`"${roleId}"`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** The Step Functions actions a function's role is allowed, sorted. */
const stepFunctionsActions = (fn: string): string[] =>
  statementsOf(fn)
    .flatMap((s) => asArray(s.Action))
    .filter((a) => a.startsWith('states:'))
    .sort();

const environmentOf = (construct: string): Record<string, unknown> =>
  (resources[logicalIdOf(`${construct}Function`, 'AWS::Lambda::Function')]?.Properties.Environment as { Variables: Record<string, unknown> })
    .Variables;

const actionsOn = (statements: Statement[], resourceLogicalId: string): string[] =>
  statements.filter((s) => JSON.stringify(s.Resource).includes(`"${resourceLogicalId}"`)).flatMap((s) => asArray(s.Action));

/** The ASL as deployed: a string, or an Fn::Join whose tokens are replaced by a marker. */
function definitionOf(stateMachine: Resource): { States: Record<string, { Type: string; Parameters?: { FunctionName?: string } }> } {
  const raw = stateMachine.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  const text = typeof raw === 'string' ? raw : raw['Fn::Join'][1].map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return JSON.parse(text);
}

describe('the care-pathway state machine', () => {
  it('is a Standard workflow that runs the ASL file, with every placeholder substituted', () => {
    const [[, stateMachine]] = ofType('AWS::StepFunctions::StateMachine') as [[string, Resource]];
    expect(stateMachine.Properties.StateMachineType).toBe('STANDARD');
    const definition = definitionOf(stateMachine);
    expect(Object.keys(definition.States)).toEqual(
      expect.arrayContaining(['EnterTriage', 'RouteTriageDecision', 'EnterMyelography', 'CloseWithdrawn', 'RecordPathwayFailure']),
    );
    const substitutions = Object.keys(stateMachine.Properties.DefinitionSubstitutions as object);
    const placeholders = new Set([...JSON.stringify(definition).matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    expect(substitutions).toEqual(expect.arrayContaining([...placeholders]));
  });

  it('logs every event but never execution data, to an encrypted log group, and is traced', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
    const sm = ofType('AWS::StepFunctions::StateMachine')[0]?.[1] as Resource;
    const logGroupId = JSON.stringify(sm.Properties.LoggingConfiguration).match(/"(StateMachineLogs\w+)"/)?.[1] ?? '';
    expect(resources[logGroupId]?.Properties).toMatchObject({ KmsKeyId: expect.anything(), RetentionInDays: expect.any(Number) });
  });

  it('may invoke the four workflow functions and nothing else', () => {
    const roleId = logicalIdOf('StateMachineRole', 'AWS::IAM::Role');
    const invoked = policiesAttachedTo(roleId)
      .filter((s) => asArray(s.Action).includes('lambda:InvokeFunction'))
      .flatMap((s) => asArray(s.Resource))
      .map((r) => JSON.stringify(r).match(/"(\w+)Function[0-9A-F]{8}"/)?.[1]);
    expect(new Set(invoked)).toEqual(new Set(WORKFLOW_FUNCTIONS));
  });

  it('is started by intake, continued by continue-pathway and the reconciler, reopened by patient actions, resumed with SendTaskSuccess only, and never stopped from outside', () => {
    expect(stepFunctionsActions('Referrals')).toEqual(['states:StartExecution']);
    expect(stepFunctionsActions('Decisions')).toEqual(['states:SendTaskSuccess']);
    // Withdraw hands over to the waiting task; reopen after completion starts a new execution.
    expect(stepFunctionsActions('PatientActions')).toEqual(['states:SendTaskSuccess', 'states:StartExecution']);
    // A decision recorded on an earlier attempt's token is handed over on the retried task's.
    expect(stepFunctionsActions('EnterStage')).toEqual(['states:SendTaskSuccess']);
    // The scheduled sweep re-delivers recorded hand-offs, starts a referral whose intake died before
    // starting it, and (the reconciler) continues a pathway whose execution is gone.
    expect([...new Set(stepFunctionsActions('OverdueSweep'))]).toEqual(['states:DescribeExecution', 'states:SendTaskSuccess', 'states:StartExecution']);
    expect(stepFunctionsActions('ContinuePathway')).toEqual(['states:DescribeExecution', 'states:StartExecution']);
    for (const fn of ['Queries', 'Admin', 'ClosePathway', 'RecordFailure', 'RedFlags', 'Team', 'OpenApi', 'DeliverNotifications']) {
      expect(stepFunctionsActions(fn), fn).toEqual([]);
    }
    const describe = statementsOf('ContinuePathway').find((s) => asArray(s.Action).includes('states:DescribeExecution'));
    expect(JSON.stringify(describe?.Resource)).toMatch(/:execution:CarePathwayUnderTest-care-pathway:\*"/);
  });

  it('starts new referrals only through the live alias: StartExecution on the machine, qualified by the alias', () => {
    // Step Functions authorizes a start through a version or alias against the unqualified
    // state machine ARN, with the qualifier in states:StateMachineQualifier.
    for (const fn of ['Referrals', 'Fhir', 'OverdueSweep']) {
      // (The sweep also continues pathways on their own version, as continue-pathway does; below.)
      const starts = statementsOf(fn).filter((s) => asArray(s.Action).includes('states:StartExecution') && JSON.stringify(s.Condition ?? {}).includes('"ForAnyValue:StringEquals"'));
      expect(starts, fn).toHaveLength(1);
      expect(starts[0], fn).toMatchObject({ Effect: 'Allow', Action: 'states:StartExecution', Condition: { 'ForAnyValue:StringEquals': { 'states:StateMachineQualifier': 'live' } } });
      expect(asArray(starts[0]?.Resource).map((r) => JSON.stringify(r)), fn).toEqual([expect.stringMatching(/:stateMachine:CarePathwayUnderTest-care-pathway"\]\]\}$/)]);
    }
  });

  it('lets continue-pathway (and reopen) start executions only on this machine and its versions, never through the live alias', () => {
    for (const fn of ['ContinuePathway', 'PatientActions']) {
      const starts = statementsOf(fn).filter((s) => asArray(s.Action).includes('states:StartExecution'));
      expect(starts, fn).toHaveLength(1);
      const [start] = starts as [Statement];
      expect(start.Effect).toBe('Allow');
      // By name (a reference would be a cycle: the function is a task of the machine), unqualified
      // and without a wildcard: versions are authorized against this ARN.
      const resources = asArray(start.Resource);
      expect(resources).toHaveLength(1);
      expect(JSON.stringify(resources[0])).toMatch(/:stateMachine:CarePathwayUnderTest-care-pathway"\]\]\}$/);
      expect(start.Condition).toEqual({ 'ForAllValues:StringNotEquals': { 'states:StateMachineQualifier': 'live' } });
    }
  });

  it('publishes a retained version of the definition, and the live alias routes all new executions to it', () => {
    const stateMachineId = logicalIdOf('CarePathway', 'AWS::StepFunctions::StateMachine');
    const versions = ofType('AWS::StepFunctions::StateMachineVersion');
    expect(versions).toHaveLength(1);
    const [[versionId, version]] = versions as [[string, Resource]];
    expect(version.Properties).toMatchObject({
      StateMachineArn: { Ref: stateMachineId },
      StateMachineRevisionId: { 'Fn::GetAtt': [stateMachineId, 'StateMachineRevisionId'] },
    });
    // Kept on replacement and on stack deletion, so patients mid-way finish on their version.
    expect(version.DeletionPolicy).toBe('Retain');
    expect(version.UpdateReplacePolicy).toBe('Retain');

    const aliases = ofType('AWS::StepFunctions::StateMachineAlias');
    expect(aliases).toHaveLength(1);
    expect(aliases[0]?.[1].Properties).toMatchObject({
      Name: 'live',
      RoutingConfiguration: [{ StateMachineVersionArn: { 'Fn::GetAtt': [versionId, 'Arn'] }, Weight: 100 }],
    });
  });

  it('rejects a definition placeholder that has no substitution, naming it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'asl-'));
    const file = path.join(dir, 'care-pathway.asl.json');
    writeFileSync(file, JSON.stringify({ StartAt: 'A', States: { A: { Type: 'Task', Resource: '${ScheduleSweepFunctionArn}', End: true } } }));
    expect(() => loadDefinition(file, { PersistTransitionFunctionArn: 'arn' })).toThrow(/\$\{ScheduleSweepFunctionArn\}/);
    expect(() => loadDefinition(path.join(dir, 'missing.json'), {})).toThrow(/not found/);
  });
});

describe('the tables', () => {
  const tables = () => {
    const all = ofType('AWS::DynamoDB::Table');
    const byProjection = (type: string) =>
      all.find(([, t]) => JSON.stringify(t.Properties.GlobalSecondaryIndexes).includes(`"ProjectionType":"${type}"`));
    return { pathway: byProjection('INCLUDE'), audit: byProjection('ALL'), count: all.length };
  };

  it('both have PITR, a rotated customer-managed key, deletion protection, and are retained', () => {
    expect(tables().count).toBe(2);
    for (const [, table] of ofType('AWS::DynamoDB::Table')) {
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: { 'Fn::GetAtt': [expect.any(String), 'Arn'] } },
        DeletionProtectionEnabled: true,
      });
      expect(table.DeletionPolicy).toBe('Retain');
      const keyId = (table.Properties.SSESpecification as { KMSMasterKeyId: { 'Fn::GetAtt': [string] } }).KMSMasterKeyId['Fn::GetAtt'][0];
      expect(resources[keyId]).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } });
    }
  });

  it('the pathway table has the worklist index of table-layout, projecting only the worklist columns', () => {
    expect(tables().pathway?.[1].Properties).toMatchObject({
      KeySchema: [
        { AttributeName: PATHWAY_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: PATHWAY_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: PATHWAY_TABLE.worklistIndex.name,
          KeySchema: [
            { AttributeName: PATHWAY_TABLE.worklistIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: PATHWAY_TABLE.worklistIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...PATHWAY_TABLE.worklistIndex.projection] },
        },
      ],
    });
  });

  it('the audit table has the by-month index of table-layout', () => {
    expect(tables().audit?.[1].Properties).toMatchObject({
      KeySchema: [
        { AttributeName: AUDIT_TABLE.partitionKey, KeyType: 'HASH' },
        { AttributeName: AUDIT_TABLE.sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: AUDIT_TABLE.monthIndex.name,
          KeySchema: [
            { AttributeName: AUDIT_TABLE.monthIndex.partitionKey, KeyType: 'HASH' },
            { AttributeName: AUDIT_TABLE.monthIndex.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    });
  });

  it('are both in a backup plan', () => {
    template.resourceCountIs('AWS::Backup::BackupSelection', 1);
    const selection = JSON.stringify(ofType('AWS::Backup::BackupSelection')[0]?.[1].Properties);
    for (const [id] of ofType('AWS::DynamoDB::Table')) expect(selection).toContain(`"${id}"`);
  });
});

describe('access to the audit trail', () => {
  const auditTableId = () => logicalIdOf('DataAuditTable', 'AWS::DynamoDB::Table');
  const allStatements = () =>
    [...ofType('AWS::IAM::ManagedPolicy'), ...ofType('AWS::IAM::Policy')].flatMap(
      ([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );

  it('no policy lets anyone update, delete or batch-write audit events', () => {
    const forbidden = ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem', 'dynamodb:*', '*'];
    const onAudit = allStatements().filter((s) => s.Effect === 'Allow' && JSON.stringify(s.Resource).includes(`"${auditTableId()}"`));
    expect(onAudit.length).toBeGreaterThan(0);
    expect(onAudit.flatMap((s) => asArray(s.Action)).filter((a) => forbidden.includes(a))).toEqual([]);
    // Nor through a wildcard resource.
    const wildcard = allStatements().filter((s) => asArray(s.Resource).includes('*'));
    expect(wildcard.flatMap((s) => asArray(s.Action)).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });

  it('every function that records audit events may first read its chain head, and only the administrators search the trail by month', () => {
    // PathwayStore links each event to the patient's latest one: a Query of the audit table on every save.
    const recorders = ALL_FUNCTIONS.filter((fn) => actionsOn(statementsOf(fn), auditTableId()).includes('dynamodb:PutItem'));
    expect(recorders.length).toBeGreaterThan(0);
    for (const fn of recorders) expect(actionsOn(statementsOf(fn), auditTableId()), fn).toContain('dynamodb:Query');
    // The administrators' reads are not audited; the OpenAPI document and the notification worker touch no audit event.
    for (const fn of ['Admin', 'OpenApi', 'DeliverNotifications']) expect(recorders, fn).not.toContain(fn);
    const byMonth = ALL_FUNCTIONS.filter((fn) =>
      statementsOf(fn).some((s) => asArray(s.Resource).some((r) => JSON.stringify(r).includes(`"${auditTableId()}"`) && JSON.stringify(r).includes('/index/'))),
    );
    expect(byMonth).toEqual(['Admin']);
  });

  it('the pathway table is read-only to queries and admin', () => {
    const pathwayId = logicalIdOf('DataPathwayTable', 'AWS::DynamoDB::Table');
    for (const fn of ['Queries', 'Admin']) {
      const actions = actionsOn(statementsOf(fn), pathwayId);
      expect(actions, fn).toContain('dynamodb:Query');
      expect(actions.filter((a) => /Put|Update|Delete|Write/.test(a)), fn).toEqual([]);
    }
    for (const fn of ['Referrals', 'Decisions', 'PatientActions', 'EnterStage', 'ClosePathway', 'RecordFailure', 'OverdueSweep']) {
      expect(actionsOn(statementsOf(fn), pathwayId), fn).toEqual(expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:UpdateItem']));
    }
    // Their changes carry no counter increments (PATHWAY_STORE_ACCESS.count), and they update nothing else.
    for (const fn of ['ContinuePathway', 'RedFlags']) {
      const actions = actionsOn(statementsOf(fn), pathwayId);
      expect(actions, fn).toContain('dynamodb:PutItem');
      expect(actions, fn).not.toContain('dynamodb:UpdateItem');
    }
  });
});

describe('the functions', () => {
  it('all of them run on ARM64 with active tracing, source maps, and the pathway environment', () => {
    const functions = pathwayFunctions();
    expect(functions).toHaveLength(ALL_FUNCTIONS.length);
    // The only other function is CDK's deploy-time helper that uploads the dashboard.
    expect(ofType('AWS::Lambda::Function').length - functions.length).toBe(1);
    for (const fn of ALL_FUNCTIONS) expect(() => logicalIdOf(`${fn}Function`, 'AWS::Lambda::Function'), fn).not.toThrow();
    for (const [id, fn] of functions) {
      expect(fn.Properties, id).toMatchObject({
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Runtime: expect.stringMatching(/^nodejs(2[0-9]|[3-9][0-9])\.x$/),
        Environment: {
          Variables: {
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: expect.any(String),
            PATHWAY_TABLE_NAME: expect.anything(),
            AUDIT_TABLE_NAME: expect.anything(),
            PATHWAY_CONFIG: expect.any(String),
          },
        },
      });
    }
  });

  it('get the deployment addresses in PATHWAY_CONFIG from CDK context', () => {
    const [, fn] = pathwayFunctions()[0] as [string, Resource];
    const config = JSON.parse((fn.Properties.Environment as { Variables: { PATHWAY_CONFIG: string } }).Variables.PATHWAY_CONFIG);
    expect(config).toMatchObject({ appBaseUrl: 'https://pathway.test.example.org', mailFrom: 'pathway@mail.example.org' });
    template.hasResourceProperties('AWS::SES::EmailIdentity', { EmailIdentity: 'mail.example.org' });
  });

  it('only the functions that start or resume executions know the state machine, and intake knows it as the live alias', () => {
    const stateMachineId = logicalIdOf('CarePathway', 'AWS::StepFunctions::StateMachine');
    const aliasId = logicalIdOf('CarePathwayLive', 'AWS::StepFunctions::StateMachineAlias');
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const knows = 'STATE_MACHINE_ARN' in (fn.Properties.Environment as { Variables: object }).Variables;
      expect(knows, id).toBe(/^(Referrals|Fhir|Decisions|PatientActions|OverdueSweep)Function/.test(id));
    }
    for (const fn of ['Referrals', 'Fhir', 'OverdueSweep']) expect(environmentOf(fn).STATE_MACHINE_ARN, fn).toEqual({ 'Fn::GetAtt': [aliasId, 'Arn'] });
    for (const fn of ['Decisions', 'PatientActions']) {
      expect(environmentOf(fn).STATE_MACHINE_ARN, fn).toEqual({ Ref: stateMachineId });
    }
  });

  it('intake records the pathway version it starts on: the last segment of the published version ARN', () => {
    const versionId = logicalIdOf('CarePathwayVersion', 'AWS::StepFunctions::StateMachineVersion');
    expect(environmentOf('Referrals').PATHWAY_VERSION).toEqual({
      'Fn::Select': [7, { 'Fn::Split': [':', { 'Fn::GetAtt': [versionId, 'Arn'] }] }],
    });
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const has = 'PATHWAY_VERSION' in (fn.Properties.Environment as { Variables: object }).Variables;
      expect(has, id).toBe(id.startsWith('ReferralsFunction') || id.startsWith('FhirFunction'));
    }
  });

  it('each logs to its own encrypted log group with a retention period', () => {
    for (const [id, fn] of ofType('AWS::Lambda::Function')) {
      const logGroupId = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(resources[logGroupId]?.Properties, id).toMatchObject({ KmsKeyId: expect.anything(), RetentionInDays: expect.any(Number) });
    }
  });

  it('only the outbox deliverers (the engine tasks, patient actions, the sweep and the red-flag report) and team work may send email, from the SES identity only', () => {
    const identityId = logicalIdOf('MailDomain', 'AWS::SES::EmailIdentity');
    const senders = ['EnterStage', 'ClosePathway', 'RecordFailure', 'PatientActions', 'OverdueSweep', 'RedFlags', 'Team']; // "information received"
    for (const fn of ALL_FUNCTIONS) {
      const ses = statementsOf(fn).filter((s) => asArray(s.Action).some((a) => a.startsWith('ses:')));
      if (senders.includes(fn)) {
        // SendRawEmail only: every email carries its case's thread headers (functions/shared/mailer.ts).
        expect(ses.flatMap((s) => asArray(s.Action)), fn).toEqual(['ses:SendRawEmail']);
        expect(JSON.stringify(ses.map((s) => s.Resource)), fn).toContain(identityId);
      } else {
        expect(ses, fn).toEqual([]);
      }
    }
  });
});

describe('pathway events and FHIR subscription deliveries', () => {
  it('publishes transitions to an EventBridge bus from the functions that deliver outboxes only', () => {
    const busId = logicalIdOf('PathwayEventsBus', 'AWS::Events::EventBus');
    const publishers = ALL_FUNCTIONS.filter((fn) => statementsOf(fn).some((s) => asArray(s.Action).includes('events:PutEvents')));
    expect(publishers).toEqual(['EnterStage', 'ClosePathway', 'RecordFailure', 'PatientActions', 'OverdueSweep']);
    for (const fn of publishers) expect(environmentOf(fn).PATHWAY_EVENT_BUS_NAME, fn).toEqual({ Ref: busId });
  });

  it('runs the delivery worker every minute on an EventBridge schedule', () => {
    const workerId = logicalIdOf('DeliverNotificationsFunction', 'AWS::Lambda::Function');
    const rules = ofType('AWS::Events::Rule').filter(([id]) => id.startsWith('PathwayEvents'));
    expect(rules).toHaveLength(1);
    expect(rules[0]?.[1].Properties).toMatchObject({ ScheduleExpression: 'rate(1 minute)', Targets: [{ Arn: { 'Fn::GetAtt': [workerId, 'Arn'] } }] });
  });
});

describe('the overdue sweep', () => {
  it('runs every 15 minutes on an EventBridge schedule that targets the sweep function', () => {
    const sweepId = logicalIdOf('OverdueSweepFunction', 'AWS::Lambda::Function');
    // The other schedule is the FHIR subscription delivery worker's (fhir-events tests below).
    const rules = ofType('AWS::Events::Rule').filter(([id]) => !id.startsWith('PathwayEvents'));
    expect(rules).toHaveLength(1);
    expect(rules[0]?.[1].Properties).toMatchObject({
      ScheduleExpression: 'rate(15 minutes)',
      State: 'ENABLED',
      Targets: [{ Arn: { 'Fn::GetAtt': [sweepId, 'Arn'] } }],
    });
    const [[ruleId]] = rules as [[string, Resource]];
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: { 'Fn::GetAtt': [sweepId, 'Arn'] },
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [ruleId, 'Arn'] },
    });
  });

  it('may read and write the pathway, send email and SendTaskSuccess, and is a task of no state machine', () => {
    const pathwayId = logicalIdOf('DataPathwayTable', 'AWS::DynamoDB::Table');
    expect(actionsOn(statementsOf('OverdueSweep'), pathwayId)).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:UpdateItem']));
    expect(statementsOf('OverdueSweep').flatMap((s) => asArray(s.Action))).toEqual(
      expect.arrayContaining(['ses:SendRawEmail', 'states:SendTaskSuccess']),
    );
    const [[, stateMachine]] = ofType('AWS::StepFunctions::StateMachine') as [[string, Resource]];
    expect(JSON.stringify(stateMachine.Properties.DefinitionSubstitutions)).not.toContain('OverdueSweepFunction');
  });
});

describe('the HTTP API', () => {
  it('has a route for every contract endpoint and the SLA report, each behind the Cognito JWT authorizer', () => {
    const authorizerId = logicalIdOf('HttpApiCognitoJwt', 'AWS::ApiGatewayV2::Authorizer');
    template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: { Issuer: Match.objectLike({}), Audience: [Match.anyValue()] },
    });
    const routes = ofType('AWS::ApiGatewayV2::Route').map(([, r]) => r.Properties);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual([...CONTRACT_ROUTES].sort());
    for (const route of routes) {
      if (PUBLIC_ROUTES.includes(String(route.RouteKey))) expect(route.AuthorizationType ?? 'NONE', String(route.RouteKey)).toBe('NONE');
      else expect(route, String(route.RouteKey)).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
    }
  });

  it('the default stage logs access to an encrypted log group and is throttled', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('\\$context.requestId') },
      DefaultRouteSettings: { ThrottlingBurstLimit: Match.anyValue(), ThrottlingRateLimit: Match.anyValue() },
    });
  });

  it('the user pool has the four groups, a site attribute, and requires MFA', () => {
    const groups = ofType('AWS::Cognito::UserPoolGroup').map(([, g]) => g.Properties.GroupName);
    expect(groups.sort()).toEqual(['administrators', 'coordinators', 'physicians', 'referrers']); // referrers
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      Schema: Match.arrayWith([Match.objectLike({ Name: 'site', AttributeDataType: 'String' })]),
    });
  });
});

describe('alarms', () => {
  const alarms = () => ofType('AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);
  const topicId = () => logicalIdOf('AdministratorAlarms', 'AWS::SNS::Topic');

  it('watch failed executions, every function, and SES bounces and rejects', () => {
    const metrics = alarms().map((a) => `${a.Namespace as string}/${a.MetricName as string}`);
    expect(metrics).toContain('AWS/States/ExecutionsFailed');
    const errors = alarms().filter((a) => a.Namespace === 'AWS/Lambda' && a.MetricName === 'Errors');
    expect(errors).toHaveLength(ALL_FUNCTIONS.length);
    // One per function, each on its own function.
    const watched = errors.map((a) => JSON.stringify(a.Dimensions).match(/"(\w+)Function[0-9A-F]{8}"/)?.[1]);
    expect(new Set(watched)).toEqual(new Set(ALL_FUNCTIONS));
    expect(metrics).toEqual(expect.arrayContaining(['AWS/SES/Reject', 'AWS/SES/Bounce']));
  });

  it('notify the administrators through an encrypted topic', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    for (const alarm of alarms()) expect(alarm.AlarmActions).toEqual([{ Ref: topicId() }]);
  });
});

describe('the dashboard', () => {
  const siteBucketId = () => logicalIdOf('DashboardSiteBucket', 'AWS::S3::Bucket');
  const logBucketId = () => logicalIdOf('DashboardLogBucket', 'AWS::S3::Bucket');
  const distributionId = () => logicalIdOf('DashboardDistribution', 'AWS::CloudFront::Distribution');
  const distributionConfig = () => resources[distributionId()]?.Properties.DistributionConfig as Record<string, unknown>;
  const bucketPolicyOf = (bucketId: string): Statement[] =>
    ofType('AWS::S3::BucketPolicy')
      .filter(([, p]) => JSON.stringify(p.Properties.Bucket) === JSON.stringify({ Ref: bucketId }))
      .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
  const dashboardUrl = () => `https://<${distributionId()}.DomainName>`;

  it.each([
    ['site', siteBucketId],
    ['log', logBucketId],
  ])('the %s bucket blocks public access, is encrypted with a rotated key, versioned, SSL-only and retained', (_name, id) => {
    const bucket = resources[id()] as Resource;
    expect(bucket.Properties).toMatchObject({
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms' } }] },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    expect(bucket.DeletionPolicy).toBe('Retain');
    const keyRef = JSON.stringify(bucket.Properties.BucketEncryption).match(/"(Dashboard\w+Key\w+)"/)?.[1] ?? '';
    expect(resources[keyRef]).toMatchObject({ Type: 'AWS::KMS::Key', Properties: { EnableKeyRotation: true } });
    expect(bucketPolicyOf(id())).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('the site bucket logs its access to the log bucket, which takes no other bucket-policy writer than S3 logging', () => {
    expect(resources[siteBucketId()]?.Properties.LoggingConfiguration).toMatchObject({ DestinationBucketName: { Ref: logBucketId() } });
    const allowed = bucketPolicyOf(logBucketId()).filter((s) => s.Effect === 'Allow');
    expect(allowed).toEqual([expect.objectContaining({ Action: 's3:PutObject', Principal: { Service: 'logging.s3.amazonaws.com' } })]);
  });

  it('only this distribution may read the site bucket, through Origin Access Control', () => {
    const allowed = bucketPolicyOf(siteBucketId()).filter((s) => s.Effect === 'Allow');
    expect(allowed).toHaveLength(1);
    expect(allowed[0]).toMatchObject({ Action: 's3:GetObject', Principal: { Service: 'cloudfront.amazonaws.com' } });
    expect(text(allowed[0]?.Condition?.StringEquals?.['AWS:SourceArn'])).toMatch(new RegExp(`:distribution/<${distributionId()}>$`));

    const oacId = logicalIdOf('DashboardDistributionOrigin1S3OriginAccessControl', 'AWS::CloudFront::OriginAccessControl');
    expect(resources[oacId]?.Properties.OriginAccessControlConfig).toMatchObject({
      OriginAccessControlOriginType: 's3',
      SigningBehavior: 'always',
      SigningProtocol: 'sigv4',
    });
    expect(distributionConfig().Origins).toEqual([
      expect.objectContaining({
        DomainName: { 'Fn::GetAtt': [siteBucketId(), 'RegionalDomainName'] },
        OriginAccessControlId: { 'Fn::GetAtt': [oacId, 'Id'] },
        S3OriginConfig: { OriginAccessIdentity: '' },
      }),
    ]);
  });

  it('redirects HTTP to HTTPS and answers with HSTS, nosniff, no framing and no referrer', () => {
    const behavior = distributionConfig().DefaultCacheBehavior as Record<string, unknown>;
    expect(behavior).toMatchObject({ ViewerProtocolPolicy: 'redirect-to-https', AllowedMethods: ['GET', 'HEAD'] });
    const policyId = (behavior.ResponseHeadersPolicyId as { Ref: string }).Ref;
    const headers = (resources[policyId]?.Properties.ResponseHeadersPolicyConfig as { SecurityHeadersConfig: Record<string, unknown> })
      .SecurityHeadersConfig;
    expect(headers).toMatchObject({
      StrictTransportSecurity: { AccessControlMaxAgeSec: expect.any(Number), IncludeSubdomains: true, Override: true },
      ContentTypeOptions: { Override: true },
      FrameOptions: { FrameOption: 'DENY', Override: true },
      ReferrerPolicy: { ReferrerPolicy: 'no-referrer', Override: true },
      ContentSecurityPolicy: { Override: true },
    });
    expect((headers.StrictTransportSecurity as { AccessControlMaxAgeSec: number }).AccessControlMaxAgeSec).toBeGreaterThanOrEqual(31_536_000);
  });

  it('its Content-Security-Policy runs only its own scripts and connects only to itself, the API and Cognito', () => {
    const [, policy] = ofType('AWS::CloudFront::ResponseHeadersPolicy')[0] as [string, Resource];
    const csp = text(
      (policy.Properties.ResponseHeadersPolicyConfig as { SecurityHeadersConfig: { ContentSecurityPolicy: { ContentSecurityPolicy: unknown } } })
        .SecurityHeadersConfig.ContentSecurityPolicy.ContentSecurityPolicy,
    );
    const directives = new Map(csp.split(/;\s*/).map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));
    expect(directives.get('default-src')).toEqual(["'none'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('frame-ancestors')).toEqual(["'none'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    const domainId = logicalIdOf('UserPoolHostedUiDomain', 'AWS::Cognito::UserPoolDomain');
    expect(directives.get('connect-src')).toEqual([
      "'self'",
      'https://*.execute-api.<AWS::Region>.<AWS::URLSuffix>',
      `https://<${domainId}>.auth.<AWS::Region>.amazoncognito.com`,
      'https://cognito-idp.<AWS::Region>.<AWS::URLSuffix>',
    ]);
  });

  it('serves the app for any path without a file: 403 and 404 answer /index.html with 200', () => {
    expect(distributionConfig()).toMatchObject({ DefaultRootObject: 'index.html' });
    expect(distributionConfig().CustomErrorResponses).toEqual(
      [403, 404].map((code) => expect.objectContaining({ ErrorCode: code, ResponseCode: 200, ResponsePagePath: '/index.html' })),
    );
  });

  it('writes standard logs to the log bucket, without cookies', () => {
    expect(distributionConfig().Logging).toEqual({
      Bucket: { 'Fn::GetAtt': [logBucketId(), 'RegionalDomainName'] },
      IncludeCookies: false,
      Prefix: 'cloudfront/',
    });
    const [[keyId]] = ofType('AWS::KMS::Key').filter(([id]) => id.startsWith('DashboardLogBucketKey')) as [[string, Resource]];
    expect((resources[keyId]?.Properties.KeyPolicy as { Statement: Statement[] }).Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'delivery.logs.amazonaws.com' }, Action: 'kms:GenerateDataKey*' }),
    );
  });

  it('uploads the build and a config.json to the site bucket, then invalidates the whole distribution', () => {
    const [[, deployment]] = ofType('Custom::CDKBucketDeployment') as [[string, Resource]];
    expect(deployment.Properties).toMatchObject({
      DestinationBucketName: { Ref: siteBucketId() },
      DistributionId: { Ref: distributionId() },
      DistributionPaths: ['/*'],
      Prune: true,
    });
    expect(deployment.Properties.SourceObjectKeys).toHaveLength(2);
  });

  it('config.json tells the app the API URL, the user pool and client, the hosted UI domain and the region', () => {
    const [[, deployment]] = ofType('Custom::CDKBucketDeployment') as [[string, Resource]];
    const assembly = app.synth();
    const staged = readdirAssets(assembly.directory).find((dir) => existsSync(path.join(dir, 'config.json')));
    expect(staged, 'a staged asset holding config.json').toBeDefined();
    const config = JSON.parse(readFileSync(path.join(staged ?? '', 'config.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(config).sort()).toEqual(['apiUrl', 'authDomain', 'clientId', 'region', 'userPoolId']);
    // Deploy-time values travel as markers that the upload function replaces with these references.
    const markers = (deployment.Properties.SourceMarkers as Record<string, unknown>[])[1] ?? {};
    const resolved = Object.fromEntries(Object.entries(config).map(([k, v]) => [k, v.replace(/<<marker:[^>]+>>/g, (m) => text(markers[m]))]));
    expect(resolved).toEqual({
      apiUrl: `https://<${logicalIdOf('HttpApi', 'AWS::ApiGatewayV2::Api')}>.execute-api.<AWS::Region>.<AWS::URLSuffix>/`,
      userPoolId: `<${logicalIdOf('UserPool', 'AWS::Cognito::UserPool')}>`,
      clientId: `<${logicalIdOf('UserPoolDashboardClient', 'AWS::Cognito::UserPoolClient')}>`,
      authDomain: `<${logicalIdOf('UserPoolHostedUiDomain', 'AWS::Cognito::UserPoolDomain')}>.auth.<AWS::Region>.amazoncognito.com`,
      region: '<AWS::Region>',
    });
  });

  it('the upload function may write to the site bucket and its key only', () => {
    const [[, fn]] = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('CustomCDKBucketDeployment')) as [[string, Resource]];
    const roleId = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const writes = policiesAttachedTo(roleId).filter((s) =>
      asArray(s.Action).some((a) => /^s3:(Put|Delete)|^kms:(Encrypt|GenerateDataKey)/.test(a)),
    );
    expect(writes.length).toBeGreaterThan(0);
    const siteKeyId = logicalIdOf('DashboardSiteBucketKey', 'AWS::KMS::Key');
    for (const s of writes) {
      for (const r of asArray(s.Resource)) expect(text(r)).toMatch(new RegExp(`^<(${siteBucketId()}|${siteKeyId})\\.Arn>(/\\*)?$`));
    }
  });

  it('Cognito signs users in on its hosted UI (prefix from context) and returns them to the dashboard', () => {
    template.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'csf-pathway-under-test' });
    const [[, client]] = ofType('AWS::Cognito::UserPoolClient') as [[string, Resource]];
    expect(client.Properties).toMatchObject({ AllowedOAuthFlows: ['code'], GenerateSecret: false, SupportedIdentityProviders: ['COGNITO'] });
    expect((client.Properties.CallbackURLs as unknown[]).map(text)).toEqual([`${dashboardUrl()}/`]);
    expect((client.Properties.LogoutURLs as unknown[]).map(text)).toEqual([`${dashboardUrl()}/signed-out`]);
  });

  it('the API accepts cross-origin calls from the dashboard and from appBaseUrl', () => {
    const [[, api]] = ofType('AWS::ApiGatewayV2::Api') as [[string, Resource]];
    const origins = ((api.Properties.CorsConfiguration as { AllowOrigins: unknown[] }).AllowOrigins ?? []).map(text);
    expect(origins.sort()).toEqual([dashboardUrl(), 'https://pathway.test.example.org'].sort());
  });

  it('the stack outputs the dashboard URL, user pool, client and hosted UI domain', () => {
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(text(outputs.DashboardUrl?.Value)).toBe(`${dashboardUrl()}/`);
    expect(outputs.UserPoolId?.Value).toEqual({ Ref: logicalIdOf('UserPool', 'AWS::Cognito::UserPool') });
    expect(outputs.UserPoolClientId?.Value).toEqual({ Ref: logicalIdOf('UserPoolDashboardClient', 'AWS::Cognito::UserPoolClient') });
    expect(text(outputs.AuthDomain?.Value)).toMatch(/^<UserPoolHostedUiDomain\w+>\.auth\.<AWS::Region>\.amazoncognito\.com$/);
  });

  it('deploys the build when it has an index.html, and otherwise a placeholder that says how to build it', () => {
    const build = fakeDashboardBuild();
    expect(dashboardAssetDirectory(build)).toBe(build);
    const empty = mkdtempSync(path.join(tmpdir(), 'dashboard-empty-'));
    expect(dashboardAssetDirectory(empty)).toBe(DASHBOARD_PLACEHOLDER_PATH);
    expect(dashboardAssetDirectory(path.join(empty, 'missing'))).toBe(DASHBOARD_PLACEHOLDER_PATH);
    expect(readFileSync(path.join(DASHBOARD_PLACEHOLDER_PATH, 'index.html'), 'utf8')).toMatch(/npm run build:web.*cdk deploy/s);
  });

  it('a geo allow-list and a web ACL, when given, replace the acknowledgements of CFR1 and CFR2', () => {
    const stack = new Stack(new App(), 'HostingOnly');
    const hosting = new DashboardHosting(stack, 'Dashboard', {
      assetPath: fakeDashboardBuild(),
      connectOrigins: [],
      logEncryptionKey: new Key(stack, 'LogsKey'),
      allowedCountries: ['GB', 'IE'],
      webAclArn: 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/dashboard/abc',
    });
    Template.fromStack(stack).hasResourceProperties('AWS::CloudFront::Distribution', {
      DistributionConfig: {
        Restrictions: { GeoRestriction: { RestrictionType: 'whitelist', Locations: ['GB', 'IE'] } },
        WebACLId: 'arn:aws:wafv2:us-east-1:111122223333:global/webacl/dashboard/abc',
      },
    });
    const acknowledged = hosting.distribution.node.defaultChild?.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.keys(m.data as object));
    expect(acknowledged).toEqual(['Annotation::AwsSolutions-CFR4']);
  });
});

/** The staged asset folders of a cloud assembly. */
function readdirAssets(directory: string): string[] {
  return readdirSync(directory)
    .filter((name) => name.startsWith('asset.'))
    .map((name) => path.join(directory, name));
}
