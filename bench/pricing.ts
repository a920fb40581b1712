// Public AWS list prices used by the cost model, us-east-1, without free tiers.
// Written down on 2026-11-26 from the figures issue #6 gives, which are AWS's published list
// prices on these pricing pages (not re-checked live: this machine has no route to them):
//   - "AWS Step Functions Pricing" (aws.amazon.com/step-functions/pricing): Standard workflows,
//     $0.025 per 1,000 state transitions.
//   - "AWS Lambda Pricing" (aws.amazon.com/lambda/pricing): $0.20 per 1M requests;
//     $0.0000166667 per GB-second on x86, $0.0000133334 per GB-second on Arm.
//   - "Amazon DynamoDB Pricing for On-Demand Capacity" (aws.amazon.com/dynamodb/pricing/on-demand):
//     $0.625 per million write request units, $0.125 per million read request units (the
//     November 2024 price reduction), Standard table class.
//   - "Amazon SES Pricing" (aws.amazon.com/ses/pricing): $0.10 per 1,000 outbound emails.
export const PRICES = {
  writtenOn: '2026-11-26',
  region: 'us-east-1',
  pages: [
    'AWS Step Functions Pricing (Standard workflows)',
    'AWS Lambda Pricing',
    'Amazon DynamoDB Pricing for On-Demand Capacity',
    'Amazon SES Pricing',
  ],
  stepFunctionsPerStateTransition: 0.025 / 1_000,
  lambdaPerRequest: 0.2 / 1_000_000,
  lambdaPerGbSecondArm: 0.0000133334,
  lambdaPerGbSecondX86: 0.0000166667,
  dynamoPerWriteRequestUnit: 0.625 / 1_000_000,
  dynamoPerReadRequestUnit: 0.125 / 1_000_000,
  sesPerEmail: 0.1 / 1_000,
} as const;

export const ASSUMPTIONS = {
  lambdaMemoryMb: 256,
  lambdaArchitecture: 'arm64',
  patientsPerYear: 10_000,
  notes: [
    'Lambda memory 256 MB on Arm (Graviton); durations are those measured on the local stack, a proxy for Lambda billed duration.',
    'Workflow Lambda durations come from the local Step Functions execution history (TaskStarted to TaskSucceeded or TaskSubmitted); API Lambda durations are the HTTP round trips the bench measured (an upper bound).',
    'State transitions are the states entered in the execution history, plus task retries.',
    'DynamoDB request units are the consumed capacity DynamoDB Local reports for every call the product made (on-demand: 1 WRU per 1 KB written, doubled in transactions, GSI writes included; 1 RRU per 4 KB strongly consistent read, half for eventually consistent).',
    'Emails are those in the SES inbox for the run\'s case references.',
    'One pathway per patient per year, the scripted happy path (10 transitions, 9 decisions, 11 API requests). Free tiers, API Gateway, Cognito, CloudWatch, KMS, storage, backups and the scheduled overdue sweep are not included.',
  ],
} as const;
