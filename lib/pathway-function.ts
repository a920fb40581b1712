// The one Lambda construct of the app: every handler gets the same runtime, tracing, logging
// and bundling defaults, so a new handler is a single line in the stack.
import * as path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import {
  Effect,
  ManagedPolicy,
  PolicyStatement,
  Role,
  ServicePrincipal,
  type AddToPrincipalPolicyResult,
  type RoleProps,
} from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { ApplicationLogLevel, Architecture, CfnFunction, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The repository root: handler entries are given relative to it. */
export const PROJECT_ROOT = path.resolve(import.meta.dirname, '..');

/**
 * A role whose grants land in one customer-managed policy instead of an inline default policy
 * (HIPAA Security `IAMNoInlinePolicy`). Grant helpers (`table.grant...`, `grantInvoke`, ...) call
 * `addToPrincipalPolicy`, so they work unchanged.
 */
export class ManagedPolicyRole extends Role {
  /** The customer-managed policy holding every grant made to this role. */
  readonly grantsPolicy: ManagedPolicy;

  constructor(scope: Construct, id: string, props: RoleProps) {
    super(scope, id, props);
    this.grantsPolicy = new ManagedPolicy(this, 'Grants', { roles: [this] });
  }

  override addToPrincipalPolicy(statement: PolicyStatement): AddToPrincipalPolicyResult {
    this.grantsPolicy.addStatements(statement);
    return { statementAdded: true, policyDependable: this.grantsPolicy };
  }
}

/** Template Metadata key naming a function's handler module (project-relative), read by the local stack. */
export const HANDLER_ENTRY_METADATA = 'csf:handler-entry';

export interface PathwayFunctionProps {
  /** Handler module, relative to the project root (e.g. `functions/api/referrals.ts`); it exports `handler`. */
  readonly entry: string;
  /** Customer-managed key for the function's log group. */
  readonly logEncryptionKey: IKey;
  /** Environment variables in addition to the defaults (SCREAMING_SNAKE names). */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default 'csf-leak-pathway' */
  readonly serviceName?: string;
  /** @default Duration.seconds(10) */
  readonly timeout?: Duration;
  /** @default 512 */
  readonly memorySize?: number;
  /** Caps the function so a runaway caller cannot starve the account. @default no reservation */
  readonly reservedConcurrentExecutions?: number;
  /** @default RetentionDays.ONE_YEAR */
  readonly logRetention?: RetentionDays;
  readonly description?: string;
  /**
   * Data files the handler reads at run time (project-relative), copied beside its bundle instead
   * of bundled into it (e.g. the FHIR definitions, read on first use).
   */
  readonly files?: readonly string[];
}

export class PathwayFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: ManagedPolicyRole;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: PathwayFunctionProps) {
    super(scope, id);

    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_YEAR,
      encryptionKey: props.logEncryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Our own role instead of AWSLambdaBasicExecutionRole: log writes scoped to this log group.
    this.role = new ManagedPolicyRole(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.entry}`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );

    this.function = new NodejsFunction(this, 'Function', {
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      // The newest Node.js runtime this aws-cdk-lib knows (AwsSolutions-L1 asks for the latest).
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      timeout: props.timeout ?? Duration.seconds(10),
      memorySize: props.memorySize ?? 512,
      reservedConcurrentExecutions: props.reservedConcurrentExecutions,
      description: props.description,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName ?? 'csf-leak-pathway',
        ...props.environment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        // Some CommonJS dependencies call require(); ESM bundles need it recreated.
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
        mainFields: ['module', 'main'],
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        // The Lambda Node.js runtime ships AWS SDK v3.
        externalModules: ['@aws-sdk/*'],
        ...(props.files?.length
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (inputDir: string, outputDir: string) => (props.files ?? []).map((f) => `cp "${path.join(inputDir, f)}" "${outputDir}/"`),
              },
            }
          : {}),
      },
    });
    // The local stack runs this handler module (not the bundle) for this function, wired from the
    // synthesized template: CloudFormation ignores resource Metadata.
    (this.function.node.defaultChild as CfnFunction).addMetadata(HANDLER_ENTRY_METADATA, props.entry);
  }
}
