// The audit trail's six-year immutable copy, asserted on a stack holding only the data stores
// (no handler bundling): Object Lock in compliance mode, its own key, access logs kept six years, a daily
// export of the audit table, and both cdk-nag packs satisfied.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { AUDIT_RETENTION_DAYS } from '../../lib/audit-archive.js';
import { CarePathwayStack } from '../../lib/care-pathway-stack.js';
import { DataStores } from '../../lib/data-stores.js';

let app: App;
let template: Template;
let data: DataStores;

beforeAll(() => {
  app = new App();
  const stack = new Stack(app, 'AuditArchiveUnderTest', { env: { account: '111111111111', region: 'us-east-1' } });
  data = new DataStores(stack, 'Data');
  template = Template.fromStack(stack);
});

const logicalId = (construct: { node: { defaultChild?: unknown } }) => Stack.of(data).getLogicalId((construct.node.defaultChild ?? construct) as never);

describe('the audit archive', () => {
  it('keeps at least six years of exports under Object Lock in compliance mode', () => {
    expect(AUDIT_RETENTION_DAYS).toBeGreaterThanOrEqual(6 * 365);
    const bucket = template.toJSON().Resources[logicalId(data.auditArchive.bucket)];
    expect(bucket.Properties.ObjectLockEnabled).toBe(true);
    expect(bucket.Properties.ObjectLockConfiguration).toEqual({
      ObjectLockEnabled: 'Enabled',
      Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: AUDIT_RETENTION_DAYS } },
    });
    expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(bucket.DeletionPolicy).toBe('Retain');
  });

  it('encrypts the exports under its own customer-managed key and logs every request to them', () => {
    const bucket = template.toJSON().Resources[logicalId(data.auditArchive.bucket)];
    expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault).toEqual({
      SSEAlgorithm: 'aws:kms',
      KMSMasterKeyID: { 'Fn::GetAtt': [logicalId(data.auditArchive.key), 'Arn'] },
    });
    expect(bucket.Properties.LoggingConfiguration.DestinationBucketName).toEqual({ Ref: logicalId(data.auditArchive.accessLogBucket) });
    const logs = template.toJSON().Resources[logicalId(data.auditArchive.accessLogBucket)];
    expect(logs.Properties.LifecycleConfiguration.Rules[0].ExpirationInDays).toBeGreaterThan(AUDIT_RETENTION_DAYS);
    expect(logs.DeletionPolicy).toBe('Retain');
  });

  it('exports the audit table into it every day, encrypted with the archive key', () => {
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: Match.stringLikeRegexp('^cron\\('),
      Target: {
        Arn: 'arn:aws:scheduler:::aws-sdk:dynamodb:exportTableToPointInTime',
        Input: Match.anyValue(),
      },
    });
    const schedule = Object.values(template.findResources('AWS::Scheduler::Schedule'))[0] as { Properties: { Target: { Input: unknown } } };
    const input = JSON.stringify(schedule.Properties.Target.Input);
    expect(input).toContain(logicalId(data.auditTable));
    expect(input).toContain(logicalId(data.auditArchive.bucket));
    expect(input).toContain('FULL_EXPORT');
    expect(input).toContain('KMS');
  });

  it('lets the export role only export the audit table and write under the archive prefix', () => {
    const policies = Object.values(template.findResources('AWS::IAM::ManagedPolicy')) as { Properties: { PolicyDocument: { Statement: { Action: string | string[] }[] } } }[];
    const actions = policies.flatMap((p) => p.Properties.PolicyDocument.Statement.flatMap((s) => [s.Action].flat()));
    expect(actions).toContain('dynamodb:ExportTableToPointInTime');
    expect(actions).not.toContain('s3:DeleteObject');
    expect(actions).not.toContain('s3:PutObjectRetention');
    expect(actions).not.toContain('s3:BypassGovernanceRetention');
  });

  it.each([
    ['AwsSolutions', () => new AwsSolutionsChecks()],
    ['HIPAA Security', () => new HIPAASecurityChecks()],
  ])('passes the %s pack with nothing unacknowledged', (_, pack) => {
    const violations = pack()
      .validateScope(data.auditArchive)
      .violations.flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} (${v.severity}) at ${r.constructPath}`));
    expect(violations).toEqual([]);
  });
});

describe('audit-relevant logs', () => {
  it('keep the API access log and the state machine log six years, like the audit trail', () => {
    const dashboard = mkdtempSync(join(tmpdir(), 'dashboard-build-'));
    writeFileSync(join(dashboard, 'index.html'), '<!doctype html><title>dashboard under test</title>');
    const whole = new App({ context: { appBaseUrl: 'https://pathway.test.example.org', mailFrom: 'pathway@mail.example.org', 'aws:cdk:bundling-stacks': [] } });
    const stack = new CarePathwayStack(whole, 'LogRetentionUnderTest', { dashboardAssetPath: dashboard });
    const groups = Template.fromStack(stack).findResources('AWS::Logs::LogGroup');
    const retentionOf = (idPrefix: string) => Object.entries(groups).find(([id]) => id.startsWith(idPrefix))?.[1]?.Properties?.RetentionInDays;
    expect(retentionOf('ApiAccessLogs')).toBeGreaterThanOrEqual(6 * 365);
    expect(retentionOf('StateMachineLogs')).toBeGreaterThanOrEqual(6 * 365);
  });
});
