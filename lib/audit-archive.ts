// The audit trail's immutable copy: every day the audit table is exported (DynamoDB's
// ExportTableToPointInTime, called by EventBridge Scheduler: no code of ours runs) into an S3
// bucket with Object Lock in COMPLIANCE mode, so no principal, the root user included, can delete
// or overwrite an export until six years have passed (HIPAA 45 CFR 164.316(b)(2): documentation
// kept six years). Encrypted under its own key; every request to it is logged to a second bucket
// kept as long.
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { type ITable } from 'aws-cdk-lib/aws-dynamodb';
import { AnyPrincipal, Effect, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key, type IKey } from 'aws-cdk-lib/aws-kms';
import { BlockPublicAccess, Bucket, BucketEncryption, CfnBucket, ObjectLockRetention, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { CfnSchedule } from 'aws-cdk-lib/aws-scheduler';
import { Construct } from 'constructs';
import { nagResource } from './nag-finding.js';
import { ManagedPolicyRole } from './pathway-function.js';

/** Six years, with a day per leap year to spare. */
export const AUDIT_RETENTION_DAYS = 6 * 365 + 2;

export interface AuditArchiveProps {
  readonly auditTable: ITable;
  /** The audit table's key: the export reads the table through it. */
  readonly auditKey: IKey;
  /** How often the table is exported (default every day at 04:00 UTC). */
  readonly scheduleExpression?: string;
}

export class AuditArchive extends Construct {
  readonly bucket: Bucket;
  readonly accessLogBucket: Bucket;
  readonly key: Key;

  constructor(scope: Construct, id: string, props: AuditArchiveProps) {
    super(scope, id);
    const retention = Duration.days(AUDIT_RETENTION_DAYS);

    this.key = new Key(this, 'ArchiveKey', {
      description: 'Encrypts the immutable exports of the CSF-leak pathway audit trail and their access logs',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // S3 server access logging delivers only to a bucket with SSE-S3 default encryption and no
    // Object Lock default retention (S3 User Guide, "Enabling Amazon S3 server access logging"):
    // this bucket is kept six years by its lifecycle, and a bucket policy forbids deleting logs.
    this.accessLogBucket = new Bucket(this, 'AccessLogBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      // Log delivery is granted by bucket policy (below), so ACLs stay disabled.
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(AUDIT_RETENTION_DAYS + 1), noncurrentVersionExpiration: Duration.days(AUDIT_RETENTION_DAYS + 1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Who read or tried to change the audit copy is audit evidence too: nobody deletes it early.
    this.accessLogBucket.addToResourcePolicy(
      new PolicyStatement({
        effect: Effect.DENY,
        principals: [new AnyPrincipal()],
        actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
        resources: [this.accessLogBucket.arnForObjects('*')],
      }),
    );
    const accessLogReason =
      'This bucket receives the S3 server access logs of the audit archive; S3 delivers those only to a bucket with SSE-S3 encryption and without Object Lock default retention, so it is SSE-S3, versioned, kept six years by lifecycle and its objects cannot be deleted by any principal (bucket policy).';
    Validations.of(this.accessLogBucket).acknowledge(
      { id: 'AwsSolutions-S1', reason: `${accessLogReason} Logging it into itself would loop; CloudTrail records access to it.` },
      { id: 'HIPAA.Security-S3BucketLoggingEnabled', reason: `${accessLogReason} Logging it into itself would loop; CloudTrail records access to it.` },
      { id: 'HIPAA.Security-S3DefaultEncryptionKMS', reason: accessLogReason },
      { id: 'HIPAA.Security-S3BucketReplicationEnabled', reason: `${accessLogReason} Cross-region replication is a disaster-recovery choice made per deployment.` },
    );

    this.bucket = new Bucket(this, 'ExportBucket', {
      encryption: BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(retention),
      // Once the lock has run out, an export may go: the six years are the promise, not forever.
      lifecycleRules: [{ expiration: Duration.days(AUDIT_RETENTION_DAYS + 1), noncurrentVersionExpiration: Duration.days(AUDIT_RETENTION_DAYS + 1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });
    // Server access logging by bucket policy rather than the ACL CDK would otherwise set.
    (this.bucket.node.defaultChild as CfnBucket).loggingConfiguration = {
      destinationBucketName: this.accessLogBucket.bucketName,
      logFilePrefix: 'audit-exports/',
    };
    this.accessLogBucket.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('logging.s3.amazonaws.com')],
        actions: ['s3:PutObject'],
        resources: [this.accessLogBucket.arnForObjects('audit-exports/*')],
        conditions: { ArnLike: { 'aws:SourceArn': this.bucket.bucketArn }, StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    );
    Validations.of(this.bucket).acknowledge({
      id: 'HIPAA.Security-S3BucketReplicationEnabled',
      reason: 'Object Lock in compliance mode with versioning keeps every export for six years and the audit table itself has PITR and AWS Backup copies; cross-region replication is a disaster-recovery choice made per deployment.',
    });

    // The scheduler calls DynamoDB's export API directly (a universal target) under this role.
    const role = new ManagedPolicyRole(this, 'ExportRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler export the audit table to the audit archive',
    });
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:ExportTableToPointInTime'], resources: [props.auditTable.tableArn] }));
    // The export writes its files (and may abort a multipart upload) under the prefix.
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:AbortMultipartUpload', 's3:PutObjectAcl'],
        resources: [this.bucket.arnForObjects('audit-table/*')],
      }),
    );
    Validations.of(role.grantsPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${nagResource(this, this.bucket.arnForObjects('audit-table/*'))}]`,
      reason: 'Each daily export writes new objects with names DynamoDB chooses (an export id per run) under the audit-table/ prefix; the grant is that prefix of the one archive bucket.',
    });
    this.key.grant(role, 'kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt');
    props.auditKey.grant(role, 'kms:Decrypt', 'kms:DescribeKey');

    new CfnSchedule(this, 'DailyExport', {
      description: 'Daily full export of the audit table into the Object Lock archive',
      scheduleExpression: props.scheduleExpression ?? 'cron(0 4 * * ? *)',
      scheduleExpressionTimezone: 'UTC',
      flexibleTimeWindow: { mode: 'OFF' },
      target: {
        arn: 'arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime',
        roleArn: role.roleArn,
        input: Stack.of(this).toJsonString({
          TableArn: props.auditTable.tableArn,
          S3Bucket: this.bucket.bucketName,
          S3Prefix: 'audit-table',
          S3SseAlgorithm: 'KMS',
          S3SseKmsKeyId: this.key.keyArn,
          ExportFormat: 'DYNAMODB_JSON',
          ExportType: 'FULL_EXPORT',
        }),
        retryPolicy: { maximumRetryAttempts: 10, maximumEventAgeInSeconds: 12 * 3600 },
      },
    });
  }
}
