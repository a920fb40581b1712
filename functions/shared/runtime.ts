// Wires real AWS clients from the environment, once per Lambda container. Locally the same
// clients reach the local servers through the SDK's AWS_ENDPOINT_URL_<SERVICE> variables.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SESClient } from '@aws-sdk/client-ses';
import { SFNClient } from '@aws-sdk/client-sfn';
import { loadConfig, type PathwayConfig } from '../domain/config.js';
import { PathwayStore } from '../store/pathway-store.js';
import { systemClock, ulidIds, type Clock, type Ids } from './clock.js';
import { SesMailer, type Mailer } from './mailer.js';

export interface Deps {
  readonly store: PathwayStore;
  readonly mailer: Mailer;
  readonly sfn: SFNClient;
  readonly clock: Clock;
  readonly ids: Ids;
  readonly config: PathwayConfig;
  readonly stateMachineArn: string;
  readonly pathwayVersion: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is required`);
  return value;
}

let cached: Deps | undefined;

export function runtimeDeps(): Deps {
  if (cached) return cached;
  const clock = systemClock;
  const ids = ulidIds;
  const config = loadConfig();
  cached = {
    store: new PathwayStore(
      new DynamoDBClient({}),
      { pathway: required('PATHWAY_TABLE_NAME'), audit: required('AUDIT_TABLE_NAME') },
      clock,
      ids,
    ),
    mailer: new SesMailer(new SESClient({}), config.mailFrom),
    sfn: new SFNClient({}),
    clock,
    ids,
    config,
    stateMachineArn: process.env.STATE_MACHINE_ARN ?? '',
    pathwayVersion: process.env.PATHWAY_VERSION ?? '1',
  };
  return cached;
}
