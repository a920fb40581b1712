// Grants follow calls (issue 19, STYLE 17): every function's role allows exactly what the adapters
// its handler reaches declare beside their calls, on the resources those declarations name; no
// more (an unused grant) and no less (a call AWS would refuse). What each handler reaches is the
// table below, read from the handlers and the application services they call, not from lib/: the
// synthesized template is what is checked against it.
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { Key } from 'aws-cdk-lib/aws-kms';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { text } from './template-text.js';
import { EVENT_PUBLISHER_ACCESS } from '../../functions/fhir/subscription-runtime.js';
import { AWS_RESOURCES, type AccessDeclaration, type AwsAccess } from '../../functions/shared/aws-access.js';
import { COGNITO_DIRECTORY_ACCESS } from '../../functions/shared/cognito-directory.js';
import { MAILER_ACCESS } from '../../functions/shared/mailer.js';
import { SFN_ENGINE_ACCESS } from '../../functions/shared/sfn-engine.js';
import { PATHWAY_STORE_ACCESS } from '../../functions/store/pathway-store.js';
import { SUBSCRIPTION_STORE_ACCESS } from '../../functions/store/subscription-store.js';
import { AUDIT_TABLE, PATHWAY_TABLE } from '../../functions/store/table-layout.js';
import { TEAM_STORE_ACCESS } from '../../functions/store/team-store.js';
import { AccessGrants } from '../../lib/access-grants.js';
import { CarePathwayStack } from '../../lib/care-pathway-stack.js';
import { PathwayFunction } from '../../lib/pathway-function.js';
import { adapterCalls, type AdapterSource } from './adapter-calls.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const STACK = 'GrantsUnderTest';

// ------------------------------------------------------------------ what each handler reaches
const store = PATHWAY_STORE_ACCESS;
const team = TEAM_STORE_ACCESS;
const subs = SUBSCRIPTION_STORE_ACCESS;
const sfn = SFN_ENGINE_ACCESS;
const mail = MAILER_ACCESS.send;
const publish = EVENT_PUBLISHER_ACCESS.publish;

// functions/app/mutate.ts: every state change reads the record and saves it with its events.
const change = [store.read, store.save];
// The changes that carry counter increments (savePatient/mergeCounters) need `count` too: the
// referral recorded (intake.ts), a decision (recordDecision), the first stage opened
// (openFirstStage), a withdrawal, a reopening and a failure (functions/domain/record.ts). Holds,
// resumes, red flags and their email claims, continuations (continueIn), the execution marked
// started, reminders and outbox deliveries carry none.
const count = store.count;
// functions/app/outbox.ts deliverOutbox: emails first (routed to the decision's assignee from the
// team's work record), then the delivery saved; then the sinks: the handlers that import
// fhir/pathway-event-sink.ts queue subscription notifications (the Task status may need the
// record) and publish the transition to EventBridge.
const deliverOutbox = [...change, mail, team.read, subs.list, subs.read, subs.queue, publish];
// functions/app/intake.ts submitReferral: the referral guard, a case number, the new record, the
// start through the live alias, and the referring doctor's index entry (team-referrer.ts).
const submitReferral = [...change, count, store.numberCase, team.linkReferrer, sfn.startOnLiveAlias];
// functions/app/queries.ts getPatient: read, audited (record_viewed), with its timeline.
const getPatient = [store.read, store.appendAudit, store.readTimeline];
// functions/app/decisions.ts submitDecision: a change, then the hand-off on the task token.
const submitDecision = [...change, count, sfn.resume];

const USES: Readonly<Record<string, readonly AwsAccess[]>> = {
  'functions/api/referrals.ts': submitReferral,
  // listPatients (worklist index) and getPatient.
  'functions/api/queries.ts': [store.worklist, ...getPatient],
  'functions/api/decisions.ts': submitDecision,
  // hold; resume (delivers the held announcement); withdraw (counted, then the hand-off); reopen
  // (counted, then a new execution on the unqualified machine its STATE_MACHINE_ARN names).
  'functions/api/patient-actions.ts': [...deliverOutbox, count, sfn.resume, sfn.startOnVersion],
  // a change (no counters), then the urgent email (claimed in the record first).
  'functions/api/red-flags.ts': [...change, mail],
  // throughput and the SLA report (counters, worklist index), audit search and verification: none audited.
  'functions/api/admin.ts': [store.metrics, store.worklist, store.searchAudit, store.readTimeline],
  // ownership, assignment, follow-ups, bookings, notes, filters, metrics (team-*.ts), the
  // directory from Cognito, the referrer's view and its "information received" email, and bulk
  // holds (a pathway change, with no counters).
  'functions/api/team.ts': [
    ...getPatient,
    ...change,
    store.worklist,
    team.read,
    team.list,
    team.readMany,
    team.save,
    team.saveFilters,
    COGNITO_DIRECTORY_ACCESS.members,
    mail,
  ],
  // referrals and check-ins through the intake and decision services, reads and Task search
  // through the queries, subscriptions registered and read (fhir/service.ts, subscriptions.ts).
  'functions/api/fhir.ts': [...submitReferral, ...submitDecision, ...getPatient, store.worklist, subs.register, subs.read, subs.list],
  // The OpenAPI document: no AWS call.
  'functions/api/openapi.ts': [],
  // open the first stage (counted), deliver the stage's announcements and attach the token; a
  // decision recorded on an earlier attempt's token is handed over on this one's.
  'functions/workflow/enter-stage.ts': [...deliverOutbox, count, sfn.resume],
  'functions/workflow/close-pathway.ts': deliverOutbox,
  // the pathway failed (counted), then the administrators' alert delivered.
  'functions/workflow/record-failure.ts': [...deliverOutbox, count],
  // the running execution's version, the record moved (no counters), the next execution started
  // on that version.
  'functions/workflow/continue-pathway.ts': [sfn.describe, ...change, sfn.startOnVersion],
  // reminders (worklist, audited sends), the reconciler (pending work, hand-offs, describe,
  // continue on the version or else mark the pathway failed, counted; deliver), stalled referrals
  // (start through the live alias), and the day-before booking reminders (listed, marked, audited).
  'functions/workflow/overdue-sweep.ts': [
    ...deliverOutbox,
    count,
    store.worklist,
    store.appendAudit,
    sfn.resume,
    sfn.describe,
    sfn.startOnVersion,
    sfn.startOnLiveAlias,
    team.list,
    team.markReminded,
    team.appendAudit,
  ],
  // due notifications listed, claimed and recorded; the receivers are plain HTTPS.
  'functions/workflow/deliver-notifications.ts': [subs.list, subs.recordAttempts],
};

/** The adapters: their module, declaration, and the IAM service of the SDK client they send with. */
const ADAPTERS: readonly (AdapterSource & { access: AccessDeclaration })[] = [
  { module: 'functions/store/pathway-store.ts', declaration: 'PATHWAY_STORE_ACCESS', access: PATHWAY_STORE_ACCESS, service: 'dynamodb' },
  { module: 'functions/store/team-store.ts', declaration: 'TEAM_STORE_ACCESS', access: TEAM_STORE_ACCESS, service: 'dynamodb' },
  { module: 'functions/store/subscription-store.ts', declaration: 'SUBSCRIPTION_STORE_ACCESS', access: SUBSCRIPTION_STORE_ACCESS, service: 'dynamodb' },
  { module: 'functions/shared/mailer.ts', declaration: 'MAILER_ACCESS', access: MAILER_ACCESS, service: 'ses' },
  { module: 'functions/shared/sfn-engine.ts', declaration: 'SFN_ENGINE_ACCESS', access: SFN_ENGINE_ACCESS, service: 'states' },
  { module: 'functions/fhir/subscription-runtime.ts', declaration: 'EVENT_PUBLISHER_ACCESS', access: EVENT_PUBLISHER_ACCESS, service: 'events' },
  { module: 'functions/shared/cognito-directory.ts', declaration: 'COGNITO_DIRECTORY_ACCESS', access: COGNITO_DIRECTORY_ACCESS, service: 'cognito-idp' },
];

/** Beside every handler's calls: its own log group, and X-Ray (no resource-level permissions). */
const RUNTIME_GRANTS = ['ownLogGroup logs:CreateLogStream', 'ownLogGroup logs:PutLogEvents', '* xray:PutTraceSegments', '* xray:PutTelemetryRecords'];

/** A capability as `<resource> <action>[ if <qualifier>]` lines, with the table keys DynamoDB decrypts with. */
function grantsOf(capabilities: readonly AwsAccess[]): string[] {
  const out = new Set<string>();
  for (const c of capabilities) {
    for (const resource of AWS_RESOURCES) {
      for (const action of c[resource] ?? []) {
        out.add(`${resource} ${action}${action === 'states:StartExecution' ? ` if ${c.startQualifier ?? 'unqualified?'}` : ''}`);
        if (resource === 'pathwayTable' || resource === 'worklistIndex') out.add('pathwayTableKey kms:Decrypt');
        if (resource === 'auditTable' || resource === 'auditMonthIndex') out.add('auditTableKey kms:Decrypt');
      }
    }
  }
  return [...out];
}

// ------------------------------------------------------------------ the synthesized template
type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: Record<string, Record<string, unknown>> };
type Resource = { Type: string; Properties: Record<string, unknown>; Metadata?: Record<string, unknown> };

let resources: Record<string, Resource>;

beforeAll(() => {
  // No bundling: the grants do not depend on bundle contents (bundles are checked below, with esbuild).
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  resources = Template.fromStack(new CarePathwayStack(app, STACK)).toJSON().Resources as Record<string, Resource>;
}, 60_000);

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const idOf = (prefix: string, type: string): string => {
  const found = ofType(type).find(([id]) => id.startsWith(prefix));
  if (!found) throw new Error(`no ${type} ${prefix}`);
  return found[0];
};


function statementsOfRole(roleId: string): Statement[] {
  return [...ofType('AWS::IAM::ManagedPolicy'), ...ofType('AWS::IAM::Policy')]
    .filter(([, p]) => JSON.stringify(p.Properties.Roles ?? []).includes(`"${roleId}"`))
    .flatMap(([, p]) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

const roleOf = (fn: Resource): string => (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];

/** The functions of the pathway, by handler module (their csf:handler-entry Metadata). */
function handlerFunctions(): [string, Resource][] {
  return ofType('AWS::Lambda::Function')
    .filter(([, f]) => typeof f.Metadata?.['csf:handler-entry'] === 'string')
    .map(([, f]) => [f.Metadata?.['csf:handler-entry'] as string, f]);
}

/** The logical name (as the declarations say it) of each resource a function's policy may name. */
function resourceNames(fn: Resource): (resource: string) => string {
  const pathway = idOf('DataPathwayTable', 'AWS::DynamoDB::Table');
  const audit = idOf('DataAuditTable', 'AWS::DynamoDB::Table');
  const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
  const named = new Map<string, string>([
    ['*', '*'],
    [`<${pathway}.Arn>`, 'pathwayTable'],
    [`<${pathway}.Arn>/index/${PATHWAY_TABLE.worklistIndex.name}`, 'worklistIndex'],
    [`<${audit}.Arn>`, 'auditTable'],
    [`<${audit}.Arn>/index/${AUDIT_TABLE.monthIndex.name}`, 'auditMonthIndex'],
    [`<${idOf('DataPathwayTableKey', 'AWS::KMS::Key')}.Arn>`, 'pathwayTableKey'],
    [`<${idOf('DataAuditTableKey', 'AWS::KMS::Key')}.Arn>`, 'auditTableKey'],
    [`<${idOf('PathwayEventsBus', 'AWS::Events::EventBus')}.Arn>`, 'eventBus'],
    [`<${idOf('UserPool', 'AWS::Cognito::UserPool')}.Arn>`, 'userPool'],
    [`<${logGroup}.Arn>`, 'ownLogGroup'],
  ]);
  const arnOf = (service: string, resource: string) => `arn:<AWS::Partition>:${service}:<AWS::Region>:<AWS::AccountId>:${resource}`;
  named.set(arnOf('ses', `identity/<${idOf('MailDomain', 'AWS::SES::EmailIdentity')}>`), 'mailIdentity');
  named.set(arnOf('states', `stateMachine:${STACK}-care-pathway`), 'stateMachine');
  named.set(arnOf('states', `execution:${STACK}-care-pathway:*`), 'executions');
  return (resource) => named.get(resource) ?? `unnamed:${resource}`;
}

/** How a statement qualifies StartExecution: the live alias, anything but it, or not at all. */
function qualifierOf(s: Statement): string {
  if (!s.Condition) return '';
  const live = { 'states:StateMachineQualifier': 'live' };
  if (JSON.stringify(s.Condition) === JSON.stringify({ 'ForAnyValue:StringEquals': live })) return ' if liveAlias';
  if (JSON.stringify(s.Condition) === JSON.stringify({ 'ForAllValues:StringNotEquals': live })) return ' if notLiveAlias';
  return ` if ${JSON.stringify(s.Condition)}`;
}

/** What a function's role allows, as `<resource> <action>[ if <qualifier>]` lines. */
function grantedTo(fn: Resource): string[] {
  const name = resourceNames(fn);
  const out = new Set<string>();
  for (const s of statementsOfRole(roleOf(fn))) {
    expect(s.Effect).toBe('Allow');
    for (const action of asArray(s.Action)) for (const r of asArray(s.Resource)) out.add(`${name(text(r))} ${action}${qualifierOf(s)}`);
  }
  return [...out];
}

const minus = (a: readonly string[], b: readonly string[]) => a.filter((x) => !b.includes(x)).sort();

// ------------------------------------------------------------------ the tests
describe('grants follow calls', () => {
  it('every function names its handler module, and every handler of the table has its function', () => {
    const entries = handlerFunctions().map(([entry]) => entry);
    expect(entries.sort()).toEqual(Object.keys(USES).sort());
    // The one other function is CDK's deploy-time upload helper.
    expect(ofType('AWS::Lambda::Function').length - entries.length).toBe(1);
  });

  it.each(Object.keys(USES))('%s may make exactly the calls its adapters declare, on the resources they name', (entry) => {
    const [, fn] = handlerFunctions().find(([e]) => e === entry) as [string, Resource];
    const expected = [...grantsOf(USES[entry] ?? []), ...RUNTIME_GRANTS];
    const granted = grantedTo(fn);
    // Missing: a call AWS would refuse. Unused: a grant no code of this handler needs.
    expect({ missing: minus(expected, granted), unused: minus(granted, expected) }).toEqual({ missing: [], unused: [] });
  });

  it('each capability declares exactly what the adapter methods its comment names send, and every calling method is declared', () => {
    const calls = adapterCalls(ROOT, ADAPTERS);
    for (const adapter of ADAPTERS) {
      const methods = calls.capabilityMethods(adapter.module);
      for (const [name, capability] of Object.entries(adapter.access)) {
        const named = methods.get(name) ?? [];
        expect(named.length, `${adapter.declaration}.${name} names no method of ${adapter.module}`).toBeGreaterThan(0);
        const declared = new Set(AWS_RESOURCES.flatMap((r) => [...(capability[r] ?? [])]));
        // A part of a method that another capability names (savePatient/mergeCounters) sends for that one.
        const sent = calls.sends(adapter.module, name);
        expect([...declared].sort(), `${adapter.declaration}.${name} (${named.join(', ')})`).toEqual([...sent].sort());
      }
      // A method that sends anything belongs to a capability: a new SDK call comes with its declaration.
      const covered = new Set([...methods.values()].flat());
      expect(calls.callingMethods(adapter.module).filter((m) => !covered.has(m)), adapter.module).toEqual([]);
    }
  });

  it("a save's counter increments are `count`'s, not `save`'s: a handler whose changes carry none is not granted UpdateItem for them", () => {
    const calls = adapterCalls(ROOT, ADAPTERS);
    const module = 'functions/store/pathway-store.ts';
    // savePatient sends an Update item only in its loop over mergeCounters(counters).
    expect([...calls.reach('PathwayStore.savePatient')].sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(calls.capabilityMethods(module).get('save')).toEqual(['PathwayStore.savePatient']);
    expect(calls.capabilityMethods(module).get('count')).toEqual(['PathwayStore.savePatient/mergeCounters']);
    expect([...calls.sends(module, 'save')].sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
    expect([...calls.sends(module, 'count')]).toEqual(['dynamodb:UpdateItem']);
    // `count` rides in the save's transaction: never granted without `save`.
    for (const [entry, uses] of Object.entries(USES)) if (uses.includes(store.count)) expect(uses, entry).toContain(store.save);
  });

  it("the adapters a handler's row names are in its bundle, and the OpenAPI handler bundles none", async () => {
    for (const [entry, uses] of Object.entries(USES)) {
      const built = await build({
        entryPoints: [path.join(ROOT, entry)],
        absWorkingDir: ROOT,
        bundle: true,
        write: false,
        outdir: 'out',
        platform: 'node',
        format: 'esm',
        external: ['@aws-sdk/*'],
        logLevel: 'silent',
        metafile: true,
      });
      const bundled = Object.keys(built.metafile.inputs);
      const adapters = ADAPTERS.filter((a) => bundled.includes(a.module));
      for (const capability of uses) {
        const from = ADAPTERS.filter((a) => Object.values(a.access).includes(capability));
        expect(from.some((a) => adapters.includes(a)), `${entry}: ${JSON.stringify(capability)}`).toBe(true);
      }
      if (uses.length === 0) expect(adapters, entry).toEqual([]);
    }
  }, 60_000);
});

describe('no wildcard where AWS can name the resource', () => {
  const allRoles = () => ofType('AWS::IAM::Role').map(([id]) => id);

  it('only X-Ray, and the state machine\'s log delivery, are allowed on "*"', () => {
    const stateMachineRole = idOf('StateMachineRole', 'AWS::IAM::Role');
    for (const roleId of allRoles()) {
      const onStar = statementsOfRole(roleId).filter((s) => asArray(s.Resource).includes('*')).flatMap((s) => asArray(s.Action));
      // Neither X-Ray's trace and sampling actions nor CloudWatch Logs' log-delivery actions support resource-level permissions.
      const allowed = roleId === stateMachineRole ? /^(xray:|logs:(Create|Get|Update|Delete|List)LogDeliver|logs:(Put|Describe)ResourcePolic|logs:DescribeLogGroups$)/ : /^xray:(PutTraceSegments|PutTelemetryRecords)$/;
      expect(onStar.filter((a) => !allowed.test(a)), roleId).toEqual([]);
    }
  });

  it('the state machine invokes its four tasks by their unqualified ARNs only (the ASL names no version or alias)', () => {
    const invoked = statementsOfRole(idOf('StateMachineRole', 'AWS::IAM::Role'))
      .filter((s) => asArray(s.Action).some((a) => a.startsWith('lambda:')))
      .flatMap((s) => {
        expect(asArray(s.Action)).toEqual(['lambda:InvokeFunction']);
        return asArray(s.Resource).map(text);
      });
    expect(invoked.sort()).toEqual(['EnterStage', 'ClosePathway', 'RecordFailure', 'ContinuePathway'].map((f) => `<${idOf(`${f}Function`, 'AWS::Lambda::Function')}.Arn>`).sort());
    const asl = readFileSync(path.join(ROOT, 'statemachines', 'care-pathway.asl.json'), 'utf8');
    expect([...asl.matchAll(/"FunctionName":\s*"([^"]+)"/g)].every((m) => /^\$\{\w+FunctionArn\}$/.test(m[1] ?? ''))).toBe(true);
  });

  it('no policy allows anything on an index but Query, and no pathway function any KMS action but Decrypt', () => {
    // DynamoDB unwraps a customer-managed table key with the caller's kms:Decrypt, whatever the call.
    const functionRoles = new Set(handlerFunctions().map(([, f]) => roleOf(f)));
    for (const roleId of allRoles()) {
      for (const s of statementsOfRole(roleId)) {
        const actions = asArray(s.Action);
        if (asArray(s.Resource).some((r) => text(r).includes('/index/'))) expect(actions, roleId).toEqual(['dynamodb:Query']);
        if (functionRoles.has(roleId)) expect(actions.filter((a) => a.startsWith('kms:') && a !== 'kms:Decrypt'), roleId).toEqual([]);
      }
    }
  });

  it("the dashboard's upload function invalidates its own distribution's cache and no other", () => {
    const [[, helper]] = ofType('AWS::Lambda::Function').filter(([id]) => id.startsWith('CustomCDKBucketDeployment')) as [[string, Resource]];
    const invalidation = statementsOfRole(roleOf(helper)).filter((s) => asArray(s.Action).some((a) => a.startsWith('cloudfront:')));
    expect(invalidation).toHaveLength(1);
    expect(asArray(invalidation[0]?.Action).sort()).toEqual(['cloudfront:CreateInvalidation', 'cloudfront:GetInvalidation']);
    expect(asArray(invalidation[0]?.Resource).map(text)).toEqual([
      `arn:<AWS::Partition>:cloudfront::<AWS::AccountId>:distribution/<${idOf('DashboardDistribution', 'AWS::CloudFront::Distribution')}>`,
    ]);
  });
});

describe('the grant helper', () => {
  const aFunction = () => {
    const stack = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'HelperUnderTest');
    return new PathwayFunction(stack, 'Fn', { entry: 'functions/api/openapi.ts', logEncryptionKey: new Key(stack, 'Logs') });
  };

  it('refuses a grant on a resource the stack has not named yet, so grants sit beside their constructs', () => {
    const access = new AccessGrants('live');
    expect(() => access.grant(aFunction(), MAILER_ACCESS.send)).toThrow(/mailIdentity has not been named yet/);
  });

  it('refuses a StartExecution that does not say how it is qualified', () => {
    const access = new AccessGrants('live');
    access.name('stateMachine', { arn: 'arn:aws:states:eu-west-1:111122223333:stateMachine:m' });
    expect(() => access.grant(aFunction(), { stateMachine: ['states:StartExecution'] })).toThrow(/startQualifier/);
  });

  it('joins the actions of several capabilities on one resource into one statement, with kms:Decrypt once per table key', () => {
    const fn = aFunction();
    const access = new AccessGrants('live');
    access.name('pathwayTable', { arn: 'arn:aws:dynamodb:eu-west-1:111122223333:table/p', tableKey: new Key(fn, 'TableKey') });
    access.grant(fn, store.read, store.numberCase, team.list, subs.queue);
    const statements = Stack.of(fn).resolve(fn.role.grantsPolicy.document.toJSON()).Statement as Statement[];
    const onTable = statements.filter((s) => s.Resource === 'arn:aws:dynamodb:eu-west-1:111122223333:table/p');
    expect(onTable).toHaveLength(1);
    expect(asArray(onTable[0]?.Action).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    expect(statements.filter((s) => asArray(s.Action).includes('kms:Decrypt'))).toHaveLength(1);
  });
});
