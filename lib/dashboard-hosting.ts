// The dashboard in the cloud: the Vite build of web/ in a private, KMS-encrypted bucket that only
// CloudFront can read (Origin Access Control), served over HTTPS with strict security headers,
// plus a config.json that tells the single-page app where the API and Cognito are.
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AllowedMethods,
  CachePolicy,
  Distribution,
  GeoRestriction,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  HttpVersion,
  ResponseHeadersPolicy,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { PolicyStatement, ServicePrincipal, type AddToPrincipalPolicyResult, type RoleProps } from 'aws-cdk-lib/aws-iam';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY } from 'aws-cdk-lib/cx-api';
import { Construct } from 'constructs';
import { nagResource } from './nag-finding.js';
import { ManagedPolicyRole, PROJECT_ROOT } from './pathway-function.js';

interface DeploymentRoleProps extends RoleProps {
  /** The one distribution the deployment invalidates. */
  readonly distributionArn: string;
}

/**
 * The BucketDeployment function's role. BucketDeployment grants its CloudFront invalidation on
 * `*` (aws-s3-deployment adds that statement itself and has no prop to narrow it), though
 * CreateInvalidation and GetInvalidation take a distribution ARN: this role names the one it serves.
 */
class DeploymentRole extends ManagedPolicyRole {
  private readonly distributionArn: string;

  constructor(scope: Construct, id: string, props: DeploymentRoleProps) {
    const { distributionArn, ...roleProps } = props;
    super(scope, id, roleProps);
    this.distributionArn = distributionArn;
  }

  override addToPrincipalPolicy(statement: PolicyStatement): AddToPrincipalPolicyResult {
    const invalidation = statement.actions.length > 0 && statement.actions.every((a) => a.startsWith('cloudfront:')) && statement.resources.includes('*');
    return super.addToPrincipalPolicy(invalidation ? statement.copy({ resources: [this.distributionArn] }) : statement);
  }
}

/** Deployed instead of the dashboard when no build is found (see `dashboardAssetDirectory`). */
export const DASHBOARD_PLACEHOLDER_PATH = path.join(PROJECT_ROOT, 'lib', 'dashboard-placeholder');

/**
 * The folder to upload: the dashboard build when it holds an index.html, else the placeholder page.
 * Synth must work from a clean checkout and CDK must not build anything (no side effects), so a
 * missing build deploys a page saying "run npm run build:web before cdk deploy" rather than
 * failing synth, or deploying an empty folder that `prune` would turn into an empty site.
 */
export function dashboardAssetDirectory(assetPath: string): string {
  const resolved = path.resolve(PROJECT_ROOT, assetPath);
  return existsSync(path.join(resolved, 'index.html')) ? resolved : DASHBOARD_PLACEHOLDER_PATH;
}

/** What the single-page app reads from /config.json to find its backend in the cloud. */
export interface DashboardRuntimeConfig {
  /** Base URL of the HTTP API stage. */
  readonly apiUrl: string;
  readonly userPoolId: string;
  /** The dashboard's user pool app client (public, no secret). */
  readonly clientId: string;
  /** Host of the Cognito hosted UI, e.g. `<prefix>.auth.<region>.amazoncognito.com`. */
  readonly authDomain: string;
  readonly region: string;
}

export interface DashboardHostingProps {
  /** Folder of the dashboard build, absolute or relative to the project root; see `dashboardAssetDirectory`. */
  readonly assetPath: string;
  /** Origins the app may call besides its own (`connect-src` of the Content-Security-Policy). */
  readonly connectOrigins: readonly string[];
  /** Customer-managed key for the log group of the deploy-time upload function. */
  readonly logEncryptionKey: IKey;
  /** ISO 3166-1 alpha-2 codes of the only countries served. @default every country */
  readonly allowedCountries?: readonly string[];
  /** ARN of a WAFv2 web ACL of CLOUDFRONT scope (those live in us-east-1). @default no web ACL */
  readonly webAclArn?: string;
}

/**
 * The Content-Security-Policy of every dashboard response. Scripts only from the distribution itself;
 * styles also inline, because Mantine writes its theme variables into `<style>` elements at run time
 * and a static site has no per-response nonce to allow them by.
 */
export function contentSecurityPolicy(connectOrigins: readonly string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    ["connect-src 'self'", ...connectOrigins].join(' '),
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "object-src 'none'",
  ].join('; ');
}

export class DashboardHosting extends Construct {
  /** Holds the dashboard files; private, readable only by the distribution. */
  readonly bucket: Bucket;
  /** Server access logs of the site bucket and the distribution's standard logs. */
  readonly logBucket: Bucket;
  readonly distribution: Distribution;
  /** `https://<distribution domain>`, without a trailing slash: the dashboard's origin. */
  readonly url: string;
  /** The folder that is uploaded: the build, or the placeholder page. */
  readonly assetDirectory: string;
  private readonly logEncryptionKey: IKey;

  constructor(scope: Construct, id: string, props: DashboardHostingProps) {
    super(scope, id);
    // S3 delivers the site bucket's access logs by bucket policy (what S3 recommends), not by the
    // legacy LogDeliveryWrite ACL, whatever feature flags the app runs with (tests read no cdk.json).
    this.node.setContext(S3_SERVER_ACCESS_LOGS_USE_BUCKET_POLICY, true);
    this.assetDirectory = dashboardAssetDirectory(props.assetPath);
    this.logEncryptionKey = props.logEncryptionKey;

    // ---------------------------------------------------------------- logs
    // CloudFront's standard logs record the request path, so a reload of /patients/<id> puts a
    // patient id here: the bucket is treated like the other logs (customer-managed key, retained).
    const logsKey = new Key(this, 'LogBucketKey', {
      description: 'Encrypts the access logs of the CSF-leak pathway dashboard (S3 and CloudFront)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // CloudFront standard logging writes as delivery.logs.amazonaws.com and needs this grant to
    // write into an SSE-KMS bucket (CloudFront Developer Guide, standard logging permissions).
    logsKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('delivery.logs.amazonaws.com')],
        actions: ['kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.logBucket = new Bucket(this, 'LogBucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: logsKey,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      // CloudFront standard logging delivers through a bucket ACL grant, so ACLs stay enabled here.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_PREFERRED,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---------------------------------------------------------------- site bucket
    const siteKey = new Key(this, 'SiteBucketKey', {
      description: 'Encrypts the CSF-leak pathway dashboard files',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.bucket = new Bucket(this, 'SiteBucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: siteKey,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.logBucket,
      serverAccessLogsPrefix: 's3-access/site/',
      // Every deployment replaces the files; older builds stay restorable for a quarter.
      lifecycleRules: [{ noncurrentVersionExpiration: Duration.days(90) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // ---------------------------------------------------------------- distribution
    const securityHeaders = new ResponseHeadersPolicy(this, 'SecurityHeaders', {
      comment: 'CSF-leak pathway dashboard: HSTS, CSP, nosniff, no framing, no referrer',
      securityHeadersBehavior: {
        strictTransportSecurity: { accessControlMaxAge: Duration.days(730), includeSubdomains: true, override: true },
        contentSecurityPolicy: { contentSecurityPolicy: contentSecurityPolicy(props.connectOrigins), override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
      },
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'CSF-leak pathway dashboard',
      defaultRootObject: 'index.html',
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        allowedMethods: AllowedMethods.ALLOW_GET_HEAD,
        cachePolicy: CachePolicy.CACHING_OPTIMIZED,
        responseHeadersPolicy: securityHeaders,
        compress: true,
      },
      // The app routes in the browser (/patients/<id>, /signed-out, ...): a path with no file is
      // the app. S3 answers 403, not 404, for a missing key when the reader may not list the bucket.
      errorResponses: [403, 404].map((httpStatus) => ({
        httpStatus,
        responseHttpStatus: 200,
        responsePagePath: '/index.html',
        ttl: Duration.seconds(10),
      })),
      httpVersion: HttpVersion.HTTP2_AND_3,
      enableLogging: true,
      logBucket: this.logBucket,
      logFilePrefix: 'cloudfront/',
      logIncludesCookies: false,
      geoRestriction: props.allowedCountries ? GeoRestriction.allowlist(...props.allowedCountries) : undefined,
      webAclId: props.webAclArn,
    });
    this.url = `https://${this.distribution.distributionDomainName}`;

    this.acknowledgeNagFindings(props);
  }

  /**
   * Uploads the dashboard and its config.json, then invalidates the distribution's cache. Separate
   * from the constructor because the configuration names the user pool client, whose callback URLs
   * name this distribution.
   */
  deploy(config: DashboardRuntimeConfig): BucketDeployment {
    const logGroup = new LogGroup(this, 'DeploymentLogs', {
      retention: RetentionDays.ONE_YEAR,
      encryptionKey: this.logEncryptionKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Our role instead of CDK's default one: grants land in a managed policy, logs in our log group,
    // and the cache invalidation names this distribution.
    const role = new DeploymentRole(this, 'DeploymentRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Execution role of the CDK BucketDeployment that uploads the CSF-leak pathway dashboard',
      distributionArn: this.distribution.distributionArn,
    });
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['logs:CreateLogStream', 'logs:PutLogEvents'], resources: [logGroup.logGroupArn] }),
    );
    // An explicit asset (rather than Source.asset) so the grants on its bucket can be named below.
    const build = new Asset(this, 'Build', { path: this.assetDirectory });
    const deployment = new BucketDeployment(this, 'Deployment', {
      // The local stack serves no config.json: the app only looks for it in the cloud.
      sources: [Source.bucket(build.bucket, build.s3ObjectKey), Source.jsonData('config.json', config)],
      destinationBucket: this.bucket,
      distribution: this.distribution,
      distributionPaths: ['/*'],
      role,
      logGroup,
    });

    const handler = Stack.of(this)
      .node.children.filter((c): c is LambdaFunction => c instanceof LambdaFunction)
      .find((f) => f.role === role);
    if (!handler) throw new Error('The BucketDeployment function of the dashboard was not found');
    this.acknowledgeDeploymentFindings(handler, role, build);
    return deployment;
  }

  /** Findings of the hosting itself, each acknowledged on the narrowest construct with its reason. */
  private acknowledgeNagFindings(props: DashboardHostingProps): void {
    const logBucketLogs =
      'This is the log bucket: it receives the server access logs of the site bucket and the standard logs of the ' +
      'distribution. Logging its own access into itself would log every log delivery, endlessly.';
    Validations.of(this.logBucket).acknowledge(
      { id: 'AwsSolutions-S1', reason: logBucketLogs },
      { id: 'HIPAA.Security-S3BucketLoggingEnabled', reason: logBucketLogs },
      {
        id: 'HIPAA.Security-S3BucketReplicationEnabled',
        reason:
          'Access logs of a static site, kept versioned and retained in this account; cross-region replication would ' +
          'add a second bucket and key in another region for records that are not the system of record.',
      },
    );
    Validations.of(this.bucket).acknowledge({
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason:
        'Holds only the build of web/, which every deployment uploads again from the repository; versioning keeps ' +
        'earlier builds. A replica in another region would protect nothing that a redeployment cannot restore.',
    });
    // The wildcard of the key policy is bounded twice: by this account, and by the bucket policy,
    // which lets only this distribution (AWS:SourceArn) read objects.
    Validations.of(this).acknowledge({
      id: '@aws-cdk/aws-cloudfront-origins:wildcardKeyPolicyForOac',
      reason:
        'The site key lets CloudFront distributions of this account decrypt (a distribution ARN would be a ' +
        'key-bucket-distribution cycle), but the bucket policy lets only this distribution read objects, so no other ' +
        'distribution can serve them.',
    });
    const distribution = this.distribution.node.defaultChild as Construct;
    if (!props.allowedCountries) {
      Validations.of(distribution).acknowledge({
        id: 'AwsSolutions-CFR1',
        reason:
          'Clinicians and coordinators sign in from wherever they work (on call, travelling, partner sites). The ' +
          'distribution serves only the static app; every patient record comes from the API behind Cognito with MFA. ' +
          'Set context dashboardAllowedCountries to serve listed countries only.',
      });
    }
    if (!props.webAclArn) {
      Validations.of(distribution).acknowledge({
        id: 'AwsSolutions-CFR2',
        reason:
          'A web ACL for CloudFront must be created in us-east-1, outside this regional stack. The distribution serves ' +
          'only static files (GET and HEAD, no forms, no PHI); the API is throttled and behind Cognito. Set context ' +
          'dashboardWebAclArn to attach one.',
      });
    }
    Validations.of(distribution).acknowledge({
      id: 'AwsSolutions-CFR4',
      reason:
        'The distribution uses its default *.cloudfront.net certificate, whose security policy CloudFront fixes at ' +
        'TLSv1 (raising it needs a custom domain and an ACM certificate); browsers negotiate TLS 1.2 or 1.3, and the ' +
        'origin is reached over TLS 1.2+ (the buckets deny older TLS).',
    });
  }

  /**
   * Findings of CDK's own deploy-time helper (the Custom::CDKBucketDeployment function): it runs
   * only while CloudFormation deploys, copying the build from the CDK asset bucket to the site bucket.
   */
  private acknowledgeDeploymentFindings(handler: LambdaFunction, role: ManagedPolicyRole, build: Asset): void {
    Validations.of(handler).acknowledge(
      {
        id: 'AwsSolutions-L1',
        reason:
          'aws-cdk-lib picks the runtime of its BucketDeployment handler (Python with the AWS CLI layer) and moves it ' +
          'forward on upgrades; the function runs only during deployments and handles no requests or patient data.',
      },
      {
        id: 'HIPAA.Security-LambdaConcurrency',
        reason:
          'Invoked only by CloudFormation, once per create, update or delete of the dashboard deployment; no caller can ' +
          'run it away, and BucketDeployment exposes no reserved-concurrency setting.',
      },
      {
        id: 'HIPAA.Security-LambdaDLQ',
        reason:
          'Invoked by CloudFormation for one custom-resource event at a time; the handler reports success or failure ' +
          'back to CloudFormation, which fails and rolls back the deployment, so no failure goes unseen. A queued event ' +
          'could not be replayed: its pre-signed response URL expires with the deployment.',
      },
      {
        id: 'HIPAA.Security-LambdaInsideVPC',
        reason:
          'Copies files between two S3 buckets and invalidates the CloudFront cache through public AWS APIs, over TLS ' +
          'with SigV4. There is nothing in a VPC for it to reach, and CloudFront has no VPC endpoint.',
      },
    );
    const wildcard = (subject: string, what: string) => ({
      id: `AwsSolutions-IAM5[${subject}]`,
      reason: `Written by CDK's BucketDeployment grants: ${what}. The role belongs to the deploy-time upload function only.`,
    });
    Validations.of(role.grantsPolicy).acknowledge(
      wildcard('Action::s3:GetObject*', 'read the zipped build from the CDK asset bucket, and the site bucket to compare'),
      wildcard('Action::s3:GetBucket*', 'read the location and settings of those two buckets'),
      wildcard('Action::s3:List*', 'list both buckets to copy and prune (aws s3 sync)'),
      wildcard('Action::s3:DeleteObject*', 'prune the files of earlier builds from the site bucket'),
      wildcard('Action::s3:Abort*', 'abort its own failed multipart uploads to the site bucket'),
      wildcard('Action::kms:ReEncrypt*', 'use the site bucket key, and only that key, for the uploads'),
      wildcard('Action::kms:GenerateDataKey*', 'encrypt the uploads with the site bucket key, and only that key'),
      wildcard(
        `Resource::${nagResource(this, this.bucket.arnForObjects('*'))}`,
        'every object of the site bucket, which holds nothing but the dashboard',
      ),
      wildcard(
        `Resource::${nagResource(this, build.bucket.arnForObjects('*'))}`,
        'objects of the CDK bootstrap asset bucket, where the CLI stages the zipped build under its content hash',
      ),
    );
  }
}
