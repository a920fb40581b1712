// Local addresses and folders, each overridable by an environment variable (CONTRACT defaults).
import { resolve } from 'node:path';

export interface LocalSettings {
  readonly host: string;
  readonly dataDir: string;
  readonly apiPort: number;
  readonly sesPort: number;
  readonly dynamodbPort: number;
  readonly sfnPort: number;
}

const port = (value: string | undefined, fallback: number): number => {
  const n = value === undefined ? fallback : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`invalid port: ${value}`);
  return n;
};

export function localSettings(env: Record<string, string | undefined> = process.env): LocalSettings {
  return {
    host: env.HOST ?? '127.0.0.1',
    dataDir: resolve(env.DATA_DIR ?? '.data'),
    apiPort: port(env.API_PORT, 3000),
    sesPort: port(env.SES_PORT, 8005),
    dynamodbPort: port(env.DYNAMODB_PORT, 8000),
    sfnPort: port(env.SFN_PORT, 8083),
  };
}
