// The app of bin/app.ts passes the AWS Solutions and HIPAA Security packs of cdk-nag: nothing
// unacknowledged, and every acknowledgement explains itself. cdk-nag 3 reports through CDK's
// validation plugins, so findings are read from the packs directly, not from annotations.
import { Validations, type App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';

let app: App;
let stack: Stack;

// CDK's singleton function behind every BucketDeployment, and the role we give it (lib/dashboard-hosting.ts).
const DEPLOY_HELPER = 'Custom::CDKBucketDeployment';
const DEPLOY_ROLE = /^Dashboard\/DeploymentRole\/Grants$/;

beforeAll(async () => {
  ({ app, stack } = await import('../../bin/app.js'));
});

const findings = (pack: AwsSolutionsChecks | HIPAASecurityChecks, severity: 'error' | 'warning') =>
  pack
    .validateScope(app)
    .violations.filter((v) => v.severity === severity)
    .flatMap((v) => v.violatingResources.map((r) => `${v.ruleName} at ${r.constructPath}`));

function acknowledgements(): { path: string; id: string; reason: string }[] {
  return app.node.findAll().flatMap((c) =>
    c.node.metadata
      .filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((m) => Object.entries(m.data as Record<string, string>).map(([id, reason]) => ({ path: c.node.path, id, reason }))),
  );
}

describe('cdk-nag', () => {
  it.each([
    ['AwsSolutions', () => new AwsSolutionsChecks()],
    ['HIPAA Security', () => new HIPAASecurityChecks()],
  ])('%s reports no unacknowledged errors and no warnings', (_name, pack) => {
    expect(findings(pack(), 'error')).toEqual([]);
    expect(findings(pack(), 'warning')).toEqual([]);
  });

  it('the app synthesizes with both packs registered, and the stack carries no error or warning annotations', () => {
    // One synth of the whole app: the registered packs run as validation plugins and throw on errors.
    let annotations: Annotations | undefined;
    expect(() => (annotations = Annotations.fromStack(stack))).not.toThrow();
    expect(annotations?.findError('*', Match.anyValue())).toEqual([]);
    expect(annotations?.findWarning('*', Match.anyValue())).toEqual([]);
  });

  it('every acknowledgement gives a specific reason', () => {
    const acks = acknowledgements();
    expect(acks.length).toBeGreaterThan(0);
    for (const ack of acks) expect(ack.reason.length, `${ack.id} at ${ack.path}`).toBeGreaterThan(20);
  });

  it('the dead-letter-queue acknowledgement says how each function is invoked: synchronously, or by the schedule', () => {
    const dlq = acknowledgements().filter((a) => a.id.replace(/^annotation::/i, '') === 'HIPAA.Security-LambdaDLQ');
    const byFunction = new Map(dlq.map((a) => [a.path.split('/')[1] ?? '', a.reason]));
    // The fifteen pathway functions (TEAM's Team and FHIR's three among them), and CDK's deploy-time helper that uploads the dashboard.
    expect(byFunction.size).toBe(16);
    for (const [fn, reason] of byFunction) {
      // The sweep is the one function invoked asynchronously (EventBridge); the rest answer their caller.
      if (fn === 'OverdueSweep') expect(reason, fn).toMatch(/asynchronously by the 15-minute EventBridge schedule/);
      else if (fn === 'DeliverNotifications') expect(reason, fn).toMatch(/asynchronously by the 1-minute EventBridge schedule/);
      else if (fn.startsWith(DEPLOY_HELPER)) expect(reason, fn).toMatch(/^Invoked by CloudFormation for one custom-resource event/);
      else expect(reason, fn).toMatch(/^Every invocation is synchronous/);
    }
  });

  it("CDK's deploy-time helper is excused only from rules about its runtime and invocation, and only it", () => {
    const helperRules = ['AwsSolutions-L1', 'HIPAA.Security-LambdaConcurrency'];
    const acks = acknowledgements().map((a) => ({ ...a, id: a.id.replace(/^annotation::/i, '') }));
    const onHelper = acks.filter((a) => a.path.split('/')[1]?.startsWith(DEPLOY_HELPER));
    expect(onHelper.map((a) => a.id).sort()).toEqual([...helperRules, 'HIPAA.Security-LambdaDLQ', 'HIPAA.Security-LambdaInsideVPC'].sort());
    expect(acks.filter((a) => helperRules.includes(a.id) && !onHelper.includes(a))).toEqual([]);
  });

  it('only the accepted kinds of finding are acknowledged, the dashboard ones only where they arise', () => {
    // [finding id, where it may be acknowledged (construct path below the stack; anywhere if omitted)]
    const accepted: [RegExp, RegExp?][] = [
      [/^HIPAA\.Security-LambdaDLQ$/], // synchronous invocations only (the deploy helper: CloudFormation's own)
      [/^HIPAA\.Security-LambdaInsideVPC$/], // only AWS regional APIs are reached
      // X-Ray and log delivery have no resource-level permissions (nothing else is granted on *: grants.test.ts).
      [/^AwsSolutions-IAM5\[Resource::\*\]$/, /^(\w+\/Role|StateMachineRole)\/Grants$/],
      [/^AwsSolutions-IAM5\[Resource::arn:.*:states:.*:execution:[\w-]+-care-pathway:\*\]$/], // per-patient executions
      [/^AwsSolutions-IAM4\[Policy::.*AWSBackupServiceRolePolicyForBackup\]$/], // AWS Backup service role
      [/^AwsSolutions-APIG4$/, /^HttpApi\/GET--(openapi\.json|fhir--R4--metadata)$/], // the two public descriptions
      // The dashboard: the log bucket does not log into itself; static, rebuildable files are not replicated.
      [/^(AwsSolutions-S1|HIPAA\.Security-S3BucketLoggingEnabled)$/, /^Dashboard\/LogBucket$/],
      [/^HIPAA\.Security-S3BucketReplicationEnabled$/, /^Dashboard\/(LogBucket|SiteBucket)$/],
      // Served worldwide, WAF only from us-east-1, default certificate: each with its reason.
      [/^AwsSolutions-CFR[124]$/, /^Dashboard\/Distribution\/Resource$/],
      // The site key's OAC grant names all distributions of the account (the bucket policy names one).
      [/^@aws-cdk\/aws-cloudfront-origins:wildcardKeyPolicyForOac$/, /^Dashboard$/],
      // CDK's BucketDeployment: its runtime and invocation, and the wildcards of its own grants.
      [/^(AwsSolutions-L1|HIPAA\.Security-LambdaConcurrency)$/, new RegExp(`^${DEPLOY_HELPER}\\w+$`)],
      [/^AwsSolutions-IAM5\[Action::(s3:(GetObject|GetBucket|List|DeleteObject|Abort)|kms:(ReEncrypt|GenerateDataKey))\*\]$/, DEPLOY_ROLE],
      [/^AwsSolutions-IAM5\[Resource::<DashboardSiteBucket\w+\.Arn>\/\*\]$/, DEPLOY_ROLE],
      [/^AwsSolutions-IAM5\[Resource::arn:(aws[\w-]*|<AWS::Partition>):s3:::cdk-\w+-assets-[^/]+\/\*\]$/, DEPLOY_ROLE],
      // The audit archive: its access-log bucket is SSE-S3 and does not log into itself (S3 server access
      // logging requires both); Object Lock copies are not replicated; the export writes under one prefix.
      [/^(AwsSolutions-S1|HIPAA\.Security-S3BucketLoggingEnabled|HIPAA\.Security-S3DefaultEncryptionKMS)$/, /^Data\/AuditArchive\/AccessLogBucket$/],
      [/^HIPAA\.Security-S3BucketReplicationEnabled$/, /^Data\/AuditArchive\/(AccessLogBucket|ExportBucket)$/],
      [/^AwsSolutions-IAM5\[Resource::<DataAuditArchiveExportBucket\w+\.Arn>\/audit-table\/\*\]$/, /^Data\/AuditArchive\/ExportRole\/Grants$/],
    ];
    const unexpected = acknowledgements()
      .map((a) => ({ ...a, id: a.id.replace(/^annotation::/i, ''), at: a.path.split('/').slice(1).join('/') }))
      .filter((a) => !accepted.some(([id, at]) => id.test(a.id) && (at === undefined || at.test(a.at))));
    expect(unexpected).toEqual([]);
  });
});
