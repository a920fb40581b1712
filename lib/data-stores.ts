// DynamoDB tables of the pathway, built from functions/store/table-layout.ts so the cloud, the
// local stack and the repository share one layout, named for the stores' access declarations:
// a function reaches a table or index only through what its stores declare (lib/access-grants.ts),
// and no store declares an update or delete of an audit event (append-only by IAM).
import { Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { BackupPlan, BackupPlanRule, BackupResource, BackupVault } from 'aws-cdk-lib/aws-backup';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { Schedule } from 'aws-cdk-lib/aws-events';
import { Key } from 'aws-cdk-lib/aws-kms';
import { Construct } from 'constructs';
import { AUDIT_TABLE, PATHWAY_TABLE } from '../functions/store/table-layout.js';
import type { AccessGrants } from './access-grants.js';
import { AuditArchive } from './audit-archive.js';

export class DataStores extends Construct {
  readonly pathwayTable: Table;
  readonly auditTable: Table;
  readonly pathwayKey: Key;
  readonly auditKey: Key;
  /** The audit trail's immutable six-year copy (S3 Object Lock, compliance mode). */
  readonly auditArchive: AuditArchive;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.pathwayKey = new Key(this, 'PathwayTableKey', {
      description: 'Encrypts the CSF-leak pathway table (patients, referrals, counters)',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.auditKey = new Key(this, 'AuditTableKey', {
      description: 'Encrypts the CSF-leak pathway audit table',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });

    // Pathway table (patients and pre-aggregated counters):
    //   PK = PATIENT#<patientId>   SK = STATE                 the patient's pathway record
    //   PK = REFERRAL#<referralId> SK = REFERRAL              idempotency guard for intake
    //   PK = METRIC#<YYYY-MM>      SK = STAGE#<stage>         entered / exited / days-in-stage histogram
    //   PK = METRIC#<YYYY-MM>      SK = FUNNEL                referrals, accepted, myelographies, ...
    //   PK = METRIC#<YYYY-MM>      SK = YIELD | OUTCOMES      localisation yield, outcomes by procedure
    //   PK = CASEREF               SK = COUNTER               sequence behind human-readable case refs
    //   GSI1 (worklist): GSI1PK = STAGE#<stage>#STATUS#<status>, GSI1SK = <dueAt or "~">#<patientId>
    //     so a stage's worklist is one Query sorted by due date, and "overdue" is the same Query
    //     with GSI1SK < now. Projection: only the worklist columns.
    //
    // Audit table (append-only: the application may put, never update or delete):
    //   PK = PATIENT#<patientId> | SYSTEM   SK = <ISO time>#<ulid>
    //   GSI1 (by month): GSI1PK = MONTH#<YYYY-MM>, GSI1SK = <ISO time>#<ulid>
    this.pathwayTable = new Table(this, 'PathwayTable', {
      partitionKey: { name: PATHWAY_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: PATHWAY_TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.pathwayKey,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.pathwayTable.addGlobalSecondaryIndex({
      indexName: PATHWAY_TABLE.worklistIndex.name,
      partitionKey: { name: PATHWAY_TABLE.worklistIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: PATHWAY_TABLE.worklistIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.INCLUDE,
      nonKeyAttributes: [...PATHWAY_TABLE.worklistIndex.projection],
    });

    this.auditTable = new Table(this, 'AuditTable', {
      partitionKey: { name: AUDIT_TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: AUDIT_TABLE.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.auditKey,
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.auditTable.addGlobalSecondaryIndex({
      indexName: AUDIT_TABLE.monthIndex.name,
      partitionKey: { name: AUDIT_TABLE.monthIndex.partitionKey, type: AttributeType.STRING },
      sortKey: { name: AUDIT_TABLE.monthIndex.sortKey, type: AttributeType.STRING },
      projectionType: ProjectionType.ALL,
    });

    this.auditArchive = new AuditArchive(this, 'AuditArchive', { auditTable: this.auditTable, auditKey: this.auditKey });

    // PITR only reaches back 35 days; the pathway is the record of truth for years, so keep
    // monthly snapshots too, in a vault under its own key.
    const vaultKey = new Key(this, 'BackupVaultKey', {
      description: 'Encrypts AWS Backup recovery points of the CSF-leak pathway tables',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const vault = new BackupVault(this, 'BackupVault', { encryptionKey: vaultKey, removalPolicy: RemovalPolicy.RETAIN });
    const plan = new BackupPlan(this, 'BackupPlan', {
      backupVault: vault,
      backupPlanRules: [
        new BackupPlanRule({
          ruleName: 'Daily35Days',
          scheduleExpression: Schedule.cron({ hour: '5', minute: '0' }),
          deleteAfter: Duration.days(35),
        }),
        new BackupPlanRule({
          ruleName: 'Monthly7Years',
          scheduleExpression: Schedule.cron({ day: '1', hour: '5', minute: '0' }),
          deleteAfter: Duration.days(7 * 365),
        }),
      ],
    });
    const selection = plan.addSelection('Tables', {
      resources: [BackupResource.fromDynamoDbTable(this.pathwayTable), BackupResource.fromDynamoDbTable(this.auditTable)],
    });
    Validations.of(selection).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
      reason:
        'AWS Backup assumes this role to snapshot the two tables; AWSBackupServiceRolePolicyForBackup is the ' +
        'AWS-maintained service-role policy AWS documents for it and follows new backup features of DynamoDB.',
    });
  }

  /**
   * The tables and their indexes as the stores' access declarations name them. Each comes with its
   * table's key: DynamoDB unwraps it with the caller's permissions (kms:Decrypt).
   */
  nameIn(access: AccessGrants): void {
    const index = (table: Table, name: string) => `${table.tableArn}/index/${name}`;
    access.name('pathwayTable', { arn: this.pathwayTable.tableArn, tableKey: this.pathwayKey });
    access.name('worklistIndex', { arn: index(this.pathwayTable, PATHWAY_TABLE.worklistIndex.name), tableKey: this.pathwayKey });
    access.name('auditTable', { arn: this.auditTable.tableArn, tableKey: this.auditKey });
    access.name('auditMonthIndex', { arn: index(this.auditTable, AUDIT_TABLE.monthIndex.name), tableKey: this.auditKey });
  }
}
