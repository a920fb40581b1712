// The app of bin/app.ts passes the AWS Solutions and HIPAA Security packs of cdk-nag: nothing
// unacknowledged, and every acknowledgement explains itself. cdk-nag 3 reports through CDK's
// validation plugins, so findings are read from the packs directly, not from annotations.
import { Validations, type App, type Stack } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';

let app: App;
let stack: Stack;

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
    expect(byFunction.size).toBe(11);
    for (const [fn, reason] of byFunction) {
      // The sweep is the one function invoked asynchronously (EventBridge); the rest answer their caller.
      if (fn === 'OverdueSweep') expect(reason, fn).toMatch(/asynchronously by the 15-minute EventBridge schedule/);
      else expect(reason, fn).toMatch(/^Every invocation is synchronous/);
    }
  });

  it('only the accepted kinds of finding are acknowledged', () => {
    const accepted = [
      /^HIPAA\.Security-LambdaDLQ$/, // synchronous invocations only
      /^HIPAA\.Security-LambdaInsideVPC$/, // only AWS regional APIs are reached
      /^AwsSolutions-IAM5\[Resource::\*\]$/, // X-Ray and log delivery have no resource-level permissions
      /^AwsSolutions-IAM5\[Resource::<\w+Function\w+\.Arn>:\*\]$/, // versions/aliases of one workflow function
      /^AwsSolutions-IAM5\[Resource::arn:.*:states:.*:execution:[\w-]+-care-pathway:\*\]$/, // per-patient executions
      /^AwsSolutions-IAM4\[Policy::.*AWSBackupServiceRolePolicyForBackup\]$/, // AWS Backup service role
    ];
    const unexpected = acknowledgements()
      .map((a) => ({ ...a, id: a.id.replace(/^annotation::/i, '') }))
      .filter((a) => !accepted.some((pattern) => pattern.test(a.id)));
    expect(unexpected).toEqual([]);
  });
});
