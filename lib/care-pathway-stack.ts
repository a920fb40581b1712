// The cloud deployment of the CSF-leak care pathway: the Standard state machine from
// statemachines/, its Lambda tasks, the HTTP API behind Cognito, DynamoDB, SES and alarms.
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { ArnFormat, CfnOutput, Duration, Fn, RemovalPolicy, Stack, Validations, type StackProps } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { CorsHttpMethod, HttpApi, HttpMethod, HttpNoneAuthorizer, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { ALL_ROUTES, API_HANDLERS, type ApiHandler } from '../functions/api/routes.js';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  AccountRecovery,
  ClientAttributes,
  FeaturePlan,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  UserPoolClientIdentityProvider,
} from 'aws-cdk-lib/aws-cognito';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { EmailIdentity, Identity } from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import {
  CfnStateMachineAlias,
  CfnStateMachineVersion,
  DefinitionBody,
  LogLevel,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import type { Construct } from 'constructs';
import { DEFAULT_CONFIG, pathwayConfigSchema, type PathwayConfig } from '../functions/domain/config.js';
import { DEFINITIONS_SOURCE as FHIR_DEFINITIONS } from '../functions/fhir/validated-types.js';
import type { AwsAccess } from '../functions/shared/aws-access.js';
import { COGNITO_DIRECTORY_ACCESS } from '../functions/shared/cognito-directory.js';
import { MAILER_ACCESS } from '../functions/shared/mailer.js';
import { SFN_ENGINE_ACCESS } from '../functions/shared/sfn-engine.js';
import { PATHWAY_STORE_ACCESS } from '../functions/store/pathway-store.js';
import { SUBSCRIPTION_STORE_ACCESS } from '../functions/store/subscription-store.js';
import { TEAM_STORE_ACCESS } from '../functions/store/team-store.js';
import { AccessGrants } from './access-grants.js';
import { DashboardHosting } from './dashboard-hosting.js';
import { DataStores } from './data-stores.js';
import { PathwayEvents } from './pathway-events.js';
import { nagResource } from './nag-finding.js';
import { ManagedPolicyRole, PathwayFunction, PROJECT_ROOT } from './pathway-function.js';

export const DEFAULT_DEFINITION_PATH = path.join(PROJECT_ROOT, 'statemachines', 'care-pathway.asl.json');

export interface CarePathwayStackProps extends StackProps {
  /** Absolute path of the ASL definition. @default statemachines/care-pathway.asl.json */
  readonly definitionPath?: string;
  /**
   * Folder of the dashboard build (`npm run build:web`), absolute or relative to the project root.
   * Synth never builds it: when it holds no index.html, a placeholder page saying so is deployed.
   * @default context `dashboardAssetPath`, else `web/dist`
   */
  readonly dashboardAssetPath?: string;
}

/** The state machine alias new referrals start through; it routes to the newest published version. */
export const LIVE_ALIAS = 'live';

/** Every route of the product with the function that serves it (functions/api/routes.ts; GET /health is local only). */
export const API_ROUTES = ALL_ROUTES.map((r) => ({ method: HttpMethod[r.method], path: r.path, handler: r.handler, ...(r.public ? { public: true as const } : {}) }));

/**
 * Reads the ASL and checks that every `${Placeholder}` in it has a substitution, so a renamed
 * placeholder fails `cdk synth` here instead of failing the deployment in CloudFormation.
 */
export function loadDefinition(definitionPath: string, substitutions: Readonly<Record<string, string>>): string {
  if (!existsSync(definitionPath)) {
    throw new Error(`State machine definition not found at ${definitionPath}`);
  }
  const asl = readFileSync(definitionPath, 'utf8');
  try {
    JSON.parse(asl);
  } catch (error) {
    throw new Error(`State machine definition ${definitionPath} is not valid JSON: ${(error as Error).message}`);
  }
  const placeholders = new Set([...asl.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1] ?? ''));
  const missing = [...placeholders].filter((name) => !(name in substitutions));
  if (missing.length > 0) {
    throw new Error(
      `State machine definition ${definitionPath} uses placeholder(s) with no substitution: ` +
        `${missing.map((n) => '${' + n + '}').join(', ')}. Known substitutions: ${Object.keys(substitutions).join(', ')}.`,
    );
  }
  return asl;
}

/** A string from CDK context (`-c key=value` or cdk.json), or the fallback. */
function contextString(scope: Construct, key: string, fallback: string): string;
function contextString(scope: Construct, key: string): string | undefined;
function contextString(scope: Construct, key: string, fallback?: string): string | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  return typeof value === 'string' && value.length > 0 ? value : fallback;
}

/** A list from CDK context: a JSON array in cdk.json, or `a,b` on the command line. */
function contextList(scope: Construct, key: string): string[] | undefined {
  const value: unknown = scope.node.tryGetContext(key);
  const items = Array.isArray(value) ? value.map(String) : typeof value === 'string' ? value.split(',') : [];
  const list = items.map((item) => item.trim()).filter((item) => item.length > 0);
  return list.length > 0 ? list : undefined;
}

/** The configuration the functions run with: defaults, plus the addresses of this deployment. */
function deploymentConfig(scope: Construct): PathwayConfig {
  const context = (key: string, fallback: string): string => contextString(scope, key, fallback);
  return pathwayConfigSchema.parse({
    ...DEFAULT_CONFIG,
    appBaseUrl: context('appBaseUrl', 'https://csf-leak-pathway.example.org'),
    mailFrom: context('mailFrom', 'csf-leak-pathway@example.org'),
  });
}

export class CarePathwayStack extends Stack {
  readonly data: DataStores;
  readonly stateMachine: StateMachine;
  readonly api: HttpApi;
  readonly userPool: UserPool;
  readonly dashboard: DashboardHosting;
  readonly alarmTopic: Topic;
  readonly functions: Readonly<Record<string, PathwayFunction>>;

  constructor(scope: Construct, id: string, props: CarePathwayStackProps = {}) {
    super(scope, id, props);

    const config = deploymentConfig(this);
    const mailDomain = config.mailFrom.split('@')[1] ?? '';

    // ---------------------------------------------------------------- encryption keys, data
    const logsKey = new Key(this, 'LogsKey', {
      description: 'Encrypts the log groups of the CSF-leak pathway (Lambda, Step Functions, API access)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    logsKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal(`logs.${this.region}.amazonaws.com`)],
        actions: ['kms:Encrypt*', 'kms:Decrypt*', 'kms:ReEncrypt*', 'kms:GenerateDataKey*', 'kms:Describe*'],
        resources: ['*'],
        conditions: {
          ArnLike: { 'kms:EncryptionContext:aws:logs:arn': `arn:${this.partition}:logs:${this.region}:${this.account}:log-group:*` },
        },
      }),
    );
    this.data = new DataStores(this, 'Data');

    // ---------------------------------------------------------------- functions
    const environment = {
      PATHWAY_TABLE_NAME: this.data.pathwayTable.tableName,
      AUDIT_TABLE_NAME: this.data.auditTable.tableName,
      PATHWAY_CONFIG: JSON.stringify(config),
    };
    const fn = (fnId: string, entry: string, reservedConcurrentExecutions: number, timeout = Duration.seconds(10), files: readonly string[] = []) =>
      new PathwayFunction(this, fnId, { entry, logEncryptionKey: logsKey, environment, reservedConcurrentExecutions, timeout, files });

    // Reserved concurrency bounds each handler (HIPAA LambdaConcurrency) well above one program's
    // load. 100 in total: AWS keeps 100 unreserved, so the account quota must be at least 200.
    const workflow = {
      enterStage: fn('EnterStage', 'functions/workflow/enter-stage.ts', 25, Duration.seconds(30)),
      closePathway: fn('ClosePathway', 'functions/workflow/close-pathway.ts', 10, Duration.seconds(30)),
      recordFailure: fn('RecordFailure', 'functions/workflow/record-failure.ts', 5, Duration.seconds(30)),
      continuePathway: fn('ContinuePathway', 'functions/workflow/continue-pathway.ts', 5, Duration.seconds(30)),
    };
    // Not a task of the state machine: run on a schedule (below).
    const overdueSweep = fn('OverdueSweep', 'functions/workflow/overdue-sweep.ts', 1, Duration.minutes(5));
    const deliverNotifications = fn('DeliverNotifications', 'functions/workflow/deliver-notifications.ts', 1, Duration.minutes(2));
    const api = {
      referrals: fn('Referrals', API_HANDLERS.referrals, 10),
      decisions: fn('Decisions', API_HANDLERS.decisions, 10),
      patientActions: fn('PatientActions', API_HANDLERS.patientActions, 10),
      redFlags: fn('RedFlags', API_HANDLERS.redFlags, 5),
      queries: fn('Queries', API_HANDLERS.queries, 20),
      admin: fn('Admin', API_HANDLERS.admin, 5),
      team: fn('Team', API_HANDLERS.team, 10), // owners, bookings, notes, referrers' view
      // The FHIR definitions are read beside the bundle on first validation (functions/fhir/validator.ts).
      fhir: fn('Fhir', API_HANDLERS.fhir, 10, Duration.seconds(15), [FHIR_DEFINITIONS]),
      openapi: fn('OpenApi', API_HANDLERS.openapi, 2),
    } satisfies Record<ApiHandler, PathwayFunction>;
    this.functions = { ...workflow, ...api, overdueSweep, deliverNotifications };

    // ---------------------------------------------------------------- data access
    // Each function may make exactly the calls the adapters its handler reaches declare, beside
    // those calls (functions/shared/aws-access.ts), on the resources named as they are created.
    const access = new AccessGrants(LIVE_ALIAS);
    this.data.nameIn(access);
    const store = PATHWAY_STORE_ACCESS;
    const teamStore = TEAM_STORE_ACCESS;
    const subscriptions = SUBSCRIPTION_STORE_ACCESS;
    // Delivering an outbox (functions/app/outbox.ts): read and save the record, ask the team's work
    // record who was assigned the decision, and queue the FHIR subscriptions' notifications.
    const outboxDelivery = [store.read, store.save, teamStore.read, subscriptions.list, subscriptions.read, subscriptions.queue];
    // Intake records the patient with its case number and first counters, then indexes it under
    // its referring doctor.
    const intake = [store.read, store.numberCase, store.save, store.count, teamStore.linkReferrer];
    // Reading a patient record is audited (record_viewed) and shows its timeline.
    const auditedRead = [store.read, store.appendAudit, store.readTimeline];
    // A change that counts saves its counter increments with it (store.count): a decision, the
    // first stage opened, a withdrawal, a reopening, a failure. Holds, resumes, red flags,
    // continuations and deliveries save none, so their functions are not granted it.
    const dataUse: readonly (readonly [PathwayFunction, ...AwsAccess[]])[] = [
      [api.referrals, ...intake],
      [api.fhir, ...intake, ...auditedRead, store.worklist, subscriptions.register, subscriptions.read, subscriptions.list], // check-ins save (and count) as decisions do
      [api.queries, ...auditedRead, store.worklist],
      [api.decisions, store.read, store.save, store.count],
      [api.patientActions, ...outboxDelivery, store.count], // hold, resume, withdraw and reopen save; withdraw and reopen count; resume delivers
      [api.redFlags, store.read, store.save],
      [api.admin, store.metrics, store.worklist, store.readTimeline, store.searchAudit], // reads nothing it would audit
      // Team work beside the record; its bulk holds change the record itself (no counters).
      [api.team, ...auditedRead, store.save, store.worklist, teamStore.read, teamStore.list, teamStore.readMany, teamStore.save, teamStore.saveFilters],
      [workflow.enterStage, ...outboxDelivery, store.count], // the first stage opened
      [workflow.closePathway, ...outboxDelivery],
      [workflow.recordFailure, ...outboxDelivery, store.count], // the pathway failed
      [workflow.continuePathway, store.read, store.save],
      // Reminders (audited sends), the reconciler (a pathway it cannot continue fails, counted),
      // and the day-before booking reminders.
      [overdueSweep, ...outboxDelivery, store.count, store.worklist, store.appendAudit, teamStore.list, teamStore.markReminded, teamStore.appendAudit],
      [deliverNotifications, subscriptions.list, subscriptions.recordAttempts],
      // api.openapi makes no AWS call.
    ];
    for (const [f, ...uses] of dataUse) access.grant(f, ...uses);

    // ---------------------------------------------------------------- email
    const mailIdentity = new EmailIdentity(this, 'MailDomain', { identity: Identity.domain(mailDomain) });
    access.name('mailIdentity', { arn: mailIdentity.emailIdentityArn });
    // The outbox is delivered by the engine's tasks, by a resume (a stage announced after a hold)
    // and by the sweep (what a crash left undelivered, reminders, booking reminders); the red-flag
    // report emails the team and site lead at once (R11); team work emails "information received".
    for (const f of [workflow.enterStage, workflow.closePathway, workflow.recordFailure, api.patientActions, overdueSweep, api.redFlags, api.team]) {
      access.grant(f, MAILER_ACCESS.send);
    }

    // ---------------------------------------------------------------- state machine
    const definitionPath = props.definitionPath ?? DEFAULT_DEFINITION_PATH;
    const definitionSubstitutions = {
      EnterStageFunctionArn: workflow.enterStage.function.functionArn,
      ClosePathwayFunctionArn: workflow.closePathway.function.functionArn,
      RecordFailureFunctionArn: workflow.recordFailure.function.functionArn,
      ContinuePathwayFunctionArn: workflow.continuePathway.function.functionArn,
    };
    const stateMachineLogs = new LogGroup(this, 'StateMachineLogs', {
      // The vendedlogs prefix keeps CloudWatch Logs resource policies small for log delivery.
      logGroupName: `/aws/vendedlogs/states/${this.stackName}-care-pathway`,
      retention: RetentionDays.SIX_YEARS, // audit-relevant: kept as long as the audit trail
      encryptionKey: logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Named, so grants can address the machine and its executions without a reference to the
    // resource: EnterStage and ContinuePathway are its tasks, and a reference would be a cycle.
    const stateMachineName = `${this.stackName}-care-pathway`;
    const stateMachineRole = new ManagedPolicyRole(this, 'StateMachineRole', {
      assumedBy: new ServicePrincipal('states.amazonaws.com'),
      description: 'Execution role of the CSF-leak care pathway state machine',
    });
    this.stateMachine = new StateMachine(this, 'CarePathway', {
      stateMachineName,
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(loadDefinition(definitionPath, definitionSubstitutions)),
      definitionSubstitutions,
      role: stateMachineRole,
      tracingEnabled: true,
      // Execution data carries PHI: log events, never inputs and outputs.
      logs: { destination: stateMachineLogs, level: LogLevel.ALL, includeExecutionData: false },
    });
    // The ASL invokes its tasks by their unqualified ARNs, so the role names those and nothing
    // else: grantInvoke would add `<function>:*` (every version and alias) too.
    stateMachineRole.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: Object.values(workflow).map((f) => f.function.functionArn) }),
    );
    const executionsArn = this.formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    // Unqualified: Step Functions authorizes a start through a version or alias against the machine's
    // own ARN with the qualifier as a condition key (SFN_ENGINE_ACCESS), so a statement on
    // `<machine>:live` or `<machine>:*` would never match a request.
    access.name('stateMachine', { arn: StateMachine.fromStateMachineName(this, 'CarePathwayByName', stateMachineName).stateMachineArn });
    access.name('executions', { arn: executionsArn });
    const engine = SFN_ENGINE_ACCESS;
    const engineUse: readonly (readonly [PathwayFunction, ...AwsAccess[]])[] = [
      // Intake starts each pathway through the live alias (the sweep too, for a referral whose
      // intake died before starting it); a FHIR check-in hands its decision over like the API's.
      [api.referrals, engine.startOnLiveAlias],
      [api.fhir, engine.startOnLiveAlias, engine.resume],
      [api.decisions, engine.resume],
      // Withdraw hands over to the waiting task; reopen starts the next episode on the machine as
      // deployed (its STATE_MACHINE_ARN is unqualified).
      [api.patientActions, engine.resume, engine.startOnVersion],
      // A decision recorded on an earlier attempt's token is handed over on this attempt's.
      [workflow.enterStage, engine.resume],
      // Continuing a pathway near the execution limits reads the running execution's version and
      // starts the next on that same version: never the live alias, which would move a patient
      // mid-way onto the newest definition. The reconciler (in the sweep) does the same when an
      // execution is gone, and redelivers hand-offs the engine never took.
      [workflow.continuePathway, engine.describe, engine.startOnVersion],
      [overdueSweep, engine.resume, engine.describe, engine.startOnVersion, engine.startOnLiveAlias],
    ];
    for (const [f, ...uses] of engineUse) access.grant(f, ...uses);

    // Pathway versions: every deployment that changes the definition publishes a new version,
    // kept after replacement so patients mid-way finish on theirs; new referrals start through
    // the `live` alias, which points at the newest version.
    const version = new CfnStateMachineVersion(this, 'CarePathwayVersion', {
      stateMachineArn: this.stateMachine.stateMachineArn,
      stateMachineRevisionId: this.stateMachine.stateMachineRevisionId,
      description: 'Care pathway definition published by this deployment',
    });
    version.applyRemovalPolicy(RemovalPolicy.RETAIN);
    const alias = new CfnStateMachineAlias(this, 'CarePathwayLive', {
      name: LIVE_ALIAS,
      description: 'New referrals start on the newest pathway version',
      routingConfiguration: [{ stateMachineVersionArn: version.attrArn, weight: 100 }],
    });
    // Intake and the sweep's restart of a stalled referral start through the live alias.
    for (const f of [api.referrals, api.fhir, overdueSweep]) f.function.addEnvironment('STATE_MACHINE_ARN', alias.attrArn);
    // The version number new patients record (the last segment of the version ARN).
    for (const f of [api.referrals, api.fhir]) f.function.addEnvironment('PATHWAY_VERSION', Fn.select(7, Fn.split(':', version.attrArn)));
    for (const f of [api.decisions, api.patientActions]) {
      f.function.addEnvironment('STATE_MACHINE_ARN', this.stateMachine.stateMachineArn);
    }

    new Rule(this, 'OverdueSweepSchedule', {
      description: 'Overdue reminders, escalations and redelivery of recorded decisions',
      schedule: Schedule.rate(Duration.minutes(15)),
      targets: [new LambdaFunction(overdueSweep.function, { retryAttempts: 2 })],
    });
    new CfnOutput(this, 'LiveAliasArn', { value: alias.attrArn });

    // ---------------------------------------------------------------- identity
    this.userPool = new UserPool(this, 'UserPool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      // The neuroradiology site a user works at; set by administrators only (see writeAttributes).
      customAttributes: {
        site: new StringAttribute({ minLen: 1, maxLen: 64, mutable: true }),
        team: new StringAttribute({ minLen: 1, maxLen: 64, mutable: true }), // a physician's specialty team
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.PLUS,
      standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [groupId, groupName] of [
      ['Coordinators', 'coordinators'],
      ['Physicians', 'physicians'],
      ['Administrators', 'administrators'],
      ['Referrers', 'referrers'], // referring doctors
    ] as const) {
      this.userPool.addGroup(groupId, { groupName });
    }
    // the clinician directory of the team handler is the pool's groups and attributes.
    api.team.function.addEnvironment('TEAM_DIRECTORY_USER_POOL_ID', this.userPool.userPoolId);
    access.name('userPool', { arn: this.userPool.userPoolArn });
    access.grant(api.team, COGNITO_DIRECTORY_ACCESS.members);
    // The hosted UI, where the dashboard sends users to sign in (authorization code with PKCE).
    const authDomain = this.userPool.addDomain('HostedUiDomain', {
      cognitoDomain: { domainPrefix: contextString(this, 'authDomainPrefix', 'csf-leak-pathway-example') },
    });
    const authHost = `${authDomain.domainName}.auth.${this.region}.amazoncognito.com`;

    // ---------------------------------------------------------------- dashboard
    this.dashboard = new DashboardHosting(this, 'Dashboard', {
      assetPath: props.dashboardAssetPath ?? contextString(this, 'dashboardAssetPath', 'web/dist'),
      connectOrigins: [
        // Not the API's own origin: its CORS allow-list names this distribution, and CloudFormation
        // cannot create two resources that each reference the other. The region's execute-api
        // hosts are as narrow as the template can say.
        `https://*.execute-api.${this.region}.${this.urlSuffix}`,
        // The hosted UI's token endpoint, and the Cognito API for SRP sign-in and token refresh.
        `https://${authHost}`,
        `https://cognito-idp.${this.region}.${this.urlSuffix}`,
      ],
      logEncryptionKey: logsKey,
      allowedCountries: contextList(this, 'dashboardAllowedCountries'),
      webAclArn: contextString(this, 'dashboardWebAclArn'),
    });

    const client = this.userPool.addClient('DashboardClient', {
      authFlows: { userSrp: true },
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [`${this.dashboard.url}/`],
        logoutUrls: [`${this.dashboard.url}/signed-out`],
      },
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      generateSecret: false,
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      readAttributes: new ClientAttributes()
        .withStandardAttributes({ email: true, emailVerified: true, givenName: true, familyName: true })
        .withCustomAttributes('site', 'team'),
      // Users may not change their own email or site: both drive routing and authorisation.
      writeAttributes: new ClientAttributes().withStandardAttributes({ givenName: true, familyName: true }),
    });

    // ---------------------------------------------------------------- HTTP API
    const authorizer = new HttpJwtAuthorizer('CognitoJwt', this.userPool.userPoolProviderUrl, {
      authorizerName: 'cognito-jwt',
      jwtAudience: [client.userPoolClientId],
    });
    this.api = new HttpApi(this, 'HttpApi', {
      apiName: `${this.stackName}-api`,
      description: 'CSF-leak care pathway API',
      createDefaultStage: false,
      defaultAuthorizer: authorizer,
      corsPreflight: {
        allowOrigins: [config.appBaseUrl.replace(/\/$/, ''), this.dashboard.url],
        allowMethods: [CorsHttpMethod.GET, CorsHttpMethod.POST, CorsHttpMethod.PUT, CorsHttpMethod.DELETE], // PUT, DELETE
        allowHeaders: ['authorization', 'content-type'],
        maxAge: Duration.hours(1),
      },
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: RetentionDays.SIX_YEARS, // audit-relevant: kept as long as the audit trail
      encryptionKey: logsKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        // Route keys, not paths, so patient ids stay out of the access log.
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            sourceIp: '$context.identity.sourceIp',
            routeKey: '$context.routeKey',
            status: '$context.status',
            sub: '$context.authorizer.claims.sub',
            latencyMs: '$context.responseLatency',
            integrationError: '$context.integrationErrorMessage',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });
    const integrations = Object.fromEntries(
      Object.entries(api).map(([name, f]) => [name, new HttpLambdaIntegration(`${name}Integration`, f.function)]),
    ) as Record<keyof typeof api, HttpLambdaIntegration>;
    for (const route of API_ROUTES) {
      // Public routes (the API description, the FHIR CapabilityStatement) are read before sign-in.
      const isPublic = 'public' in route && route.public;
      const added = this.api.addRoutes({ path: route.path, methods: [route.method], integration: integrations[route.handler], ...(isPublic ? { authorizer: new HttpNoneAuthorizer() } : {}) });
      for (const r of isPublic ? added : []) {
        Validations.of(r).acknowledge({
          id: 'AwsSolutions-APIG4',
          reason: 'Public by design: a static description of the API (OpenAPI, or the FHIR CapabilityStatement), read before sign-in; it carries no patient data and touches no table.',
        });
      }
    }

    // ---------------------------------------------------------------- alarms
    const alarmsKey = new Key(this, 'AlarmTopicKey', {
      description: 'Encrypts the CSF-leak pathway administrator alarm topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudWatch publishes alarm notifications to the encrypted topic.
    alarmsKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.alarmTopic = new Topic(this, 'AdministratorAlarms', {
      displayName: 'CSF-leak pathway alarms',
      masterKey: alarmsKey,
      enforceSSL: true,
    });
    for (const address of config.teamDirectory.administrators) {
      this.alarmTopic.addSubscription(new EmailSubscription(address));
    }
    const alarmAction = new SnsAction(this.alarmTopic);
    const alarm = (alarmId: string, metric: IMetric, description: string) => {
      const a = new Alarm(this, alarmId, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      a.addAlarmAction(alarmAction);
      return a;
    };
    const fiveMinutes = { period: Duration.minutes(5), statistic: 'Sum' };
    alarm(
      'ExecutionsFailedAlarm',
      this.stateMachine.metricFailed(fiveMinutes),
      'A care-pathway execution failed: a patient pathway may have stopped. Check the execution history and the patient status "failed".',
    );
    alarm(
      'ExecutionsTimedOutAlarm',
      this.stateMachine.metricTimedOut(fiveMinutes),
      'A care-pathway execution timed out: the patient pathway must be continued in a new execution.',
    );
    for (const [name, f] of Object.entries(this.functions)) {
      alarm(`${name}ErrorsAlarm`, f.function.metricErrors(fiveMinutes), `The ${name} function reported errors.`);
    }
    for (const metricName of ['Bounce', 'Reject']) {
      alarm(
        `Ses${metricName}Alarm`,
        new Metric({ namespace: 'AWS/SES', metricName, ...fiveMinutes }),
        `SES reported ${metricName.toLowerCase()}s: pathway notifications are not reaching the care team.`,
      );
    }

    // The dashboard and the addresses it discovers from /config.json, once the API stage exists.
    this.dashboard.deploy({
      apiUrl: stage.url,
      userPoolId: this.userPool.userPoolId,
      clientId: client.userPoolClientId,
      authDomain: authHost,
      region: this.region,
    });

    const events = new PathwayEvents(this, 'PathwayEvents', {
      publishers: [workflow.enterStage, workflow.closePathway, workflow.recordFailure, api.patientActions, overdueSweep],
      deliveryWorker: deliverNotifications,
      fhirPublicBaseUrl: stage.url,
      access,
    });
    this.acknowledgeNagFindings(stateMachineRole, [overdueSweep, deliverNotifications], executionsArn, access.granteesOf('executions'));
    new CfnOutput(this, 'PathwayEventBusName', { value: events.bus.eventBusName });
    new CfnOutput(this, 'ApiUrl', { value: stage.url });
    new CfnOutput(this, 'DashboardUrl', { value: `${this.dashboard.url}/` });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'UserPoolClientId', { value: client.userPoolClientId });
    new CfnOutput(this, 'AuthDomain', { value: authHost });
    new CfnOutput(this, 'StateMachineArn', { value: this.stateMachine.stateMachineArn });
  }

  /**
   * The cdk-nag findings this design accepts, each acknowledged on the narrowest construct with
   * its reason. Everything else the AwsSolutions and HIPAA Security packs report is fixed.
   */
  private acknowledgeNagFindings(
    stateMachineRole: ManagedPolicyRole,
    scheduledFunctions: readonly PathwayFunction[],
    executionsArn: string,
    executionGrantees: readonly PathwayFunction[],
  ): void {
    for (const f of Object.values(this.functions)) {
      Validations.of(f.function).acknowledge(
        {
          id: 'HIPAA.Security-LambdaDLQ',
          reason:
            f === scheduledFunctions[1]
              ? 'Invoked asynchronously by the 1-minute EventBridge schedule with an empty scheduled event: there is no ' +
                'payload a dead-letter queue could keep or replay. Each run re-reads the due notifications from the pathway ' +
                'table, where every attempt, its error and the next attempt time are recorded, so the next run retries ' +
                'whatever a failed one missed, and a failure raises the function\'s Errors alarm.'
              : f === scheduledFunctions[0]
              ? 'Invoked asynchronously by the 15-minute EventBridge schedule with an empty scheduled event: there is no ' +
                'payload a dead-letter queue could keep or replay. Each run re-derives its work (overdue reminders, ' +
                'escalations, undelivered decisions) from the pathway table through idempotent claims, so the next run ' +
                'repeats whatever a failed one missed, and a failure raises the overdueSweep Errors alarm.'
              : 'Every invocation is synchronous (API Gateway, or Step Functions lambda:invoke with RequestResponse), so a ' +
                'failure returns to the caller: the API answers with an error and the state machine retries, then catches ' +
                'into RecordPathwayFailure. A dead-letter queue only receives failed asynchronous events and would stay empty.',
        },
        {
          id: 'HIPAA.Security-LambdaInsideVPC',
          reason:
            'The functions reach only AWS regional APIs (DynamoDB, SES, Step Functions, X-Ray) over TLS with SigV4; there ' +
            'is no resource inside a VPC to protect or reach. Data in transit is encrypted either way, and IAM, not ' +
            'network placement, limits what each function can touch.',
        },
      );
      Validations.of(f.role.grantsPolicy).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'Active X-Ray tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level ' +
          'permissions; every other statement of this policy names its resource (table, index, key, log group, identity, ' +
          'state machine, bus or user pool).',
      });
    }
    for (const f of executionGrantees) {
      Validations.of(f.role.grantsPolicy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${nagResource(this, executionsArn)}]`,
        reason:
          'Executions are named per patient (and per continuation) at run time, so a call on one (DescribeExecution) can ' +
          'only be scoped to the executions of this one state machine, which is what the wildcard after its name does.',
      });
    }
    Validations.of(stateMachineRole.grantsPolicy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery, logs:PutResourcePolicy, ...) and X-Ray tracing ' +
        '(xray:PutTraceSegments, xray:GetSamplingRules, ...) support no resource-level permissions.',
    });
  }
}
