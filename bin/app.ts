// The CDK app: one stack, checked against the AWS Solutions and HIPAA Security rule packs on
// every synth (cdk-nag 3 runs as a CDK validation plugin; unacknowledged findings fail synth).
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { CarePathwayStack } from '../lib/care-pathway-stack.js';

export const app = new App();

const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === 'string' && value.length > 0 ? value : undefined;
};

export const stack = new CarePathwayStack(app, 'CsfLeakPathway', {
  description: 'Serverless care pathway for the spinal CSF-leak program',
  // A variant definition (`-c definitionPath=/abs/path.asl.json`); the local stack deploys the
  // variants its tests run the same way.
  ...(context('definitionPath') ? { definitionPath: context('definitionPath') } : {}),
  // Environment-agnostic unless an account/region is given: synth needs no AWS credentials.
  env: {
    account: context('account') ?? process.env.CDK_DEFAULT_ACCOUNT,
    region: context('region') ?? process.env.CDK_DEFAULT_REGION,
  },
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));
