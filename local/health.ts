// GET /health: each part the API depends on, asked directly. 200 only when every part answers;
// otherwise 503 naming the parts that do not (CONTRACT: "GET /health answers 503 naming the part").
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';

export type DependencyName = 'dynamodb' | 'ses' | 'stepfunctions';

export interface DependencyCheck {
  readonly name: DependencyName;
  /** Resolves when the part answers; rejects (or times out) when it does not. */
  readonly check: () => Promise<void>;
}

export interface HealthReport {
  readonly status: 'ok' | 'unavailable';
  readonly parts: Record<string, 'ok' | 'down'>;
  readonly down: DependencyName[];
}

const CHECK_TIMEOUT_MS = 2_000;

async function answers(url: string): Promise<void> {
  const res = await fetch(url, { signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
  await res.body?.cancel();
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
}

export function localDependencyChecks(urls: { dynamodb: string; ses: string; sfn: string }): DependencyCheck[] {
  const ddb = new DynamoDBClient({
    endpoint: urls.dynamodb,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return [
    { name: 'dynamodb', check: async () => void (await ddb.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(CHECK_TIMEOUT_MS) })) },
    { name: 'ses', check: () => answers(`${urls.ses}/health-check`) },
    { name: 'stepfunctions', check: () => answers(`${urls.sfn}/health`) },
  ];
}

export async function checkHealth(checks: readonly DependencyCheck[]): Promise<HealthReport> {
  const results = await Promise.all(checks.map(async (c) => ({ name: c.name, ok: await c.check().then(() => true, () => false) })));
  const down = results.filter((r) => !r.ok).map((r) => r.name);
  return {
    status: down.length === 0 ? 'ok' : 'unavailable',
    parts: Object.fromEntries(results.map((r) => [r.name, r.ok ? 'ok' : 'down'])),
    down,
  };
}
