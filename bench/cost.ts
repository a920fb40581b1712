// Figure 4, the cost model: billable units counted per completed pathway in a real run of the
// engine (the same run as figure 1), times AWS list prices (pricing.ts).
//   - Step Functions state transitions: GetExecutionHistory of each patient's execution on the
//     local Step Functions service (states entered, plus task retries).
//   - Lambda: workflow invocations and durations from the same histories; API invocations and
//     durations from the HTTP requests the bench made.
//   - DynamoDB: the request units the product consumed (capacity.ts meter inside the stack).
//   - SES: the emails in the local SES inbox for the run's case references.
import { GetExecutionHistoryCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { lambdaFunctionName } from '../local/sfn-service.js';
import type { EngineRep } from './engine.js';
import { ASSUMPTIONS, PRICES } from './pricing.js';
import type { BenchStack } from './stack.js';
import { mapLimit } from './stats.js';

export interface FunctionUsage {
  invocations: number;
  totalMs: number;
}

export interface PathwayUnits {
  readonly stateTransitions: number;
  readonly lambdaInvocations: number;
  readonly lambdaGbSeconds: number;
  readonly writeRequestUnits: number;
  readonly readRequestUnits: number;
  readonly emails: number;
}

export interface CostResult {
  readonly pathways: number;
  /** Per completed pathway. */
  readonly units: PathwayUnits;
  readonly lambdaByFunction: Record<string, { invocations: number; meanMs: number }>;
  readonly dollars: {
    readonly stepFunctions: number;
    readonly lambdaRequests: number;
    readonly lambdaCompute: number;
    readonly dynamoWrites: number;
    readonly dynamoReads: number;
    readonly ses: number;
    readonly total: number;
  };
  readonly perYear: { readonly patients: number; readonly dollars: number };
  /** The same pathway with 512 MB functions (what lib/pathway-function.ts configures today). */
  readonly totalAt512Mb: number;
  readonly prices: typeof PRICES;
  readonly assumptions: typeof ASSUMPTIONS;
}

async function history(stack: BenchStack, executionArn: string): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await stack.sfn().send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000, nextToken, includeExecutionData: true }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

const TASK_END = new Set(['TaskSucceeded', 'TaskSubmitted', 'TaskFailed', 'TaskTimedOut']);

/** State transitions and Lambda invocations of one execution. */
export function countExecution(events: readonly HistoryEvent[], byFunction: Map<string, FunctionUsage>): { transitions: number } {
  let entered = 0;
  let taskEntries = 0;
  let scheduled = 0;
  let running: { fn: string; startedAt: number } | undefined;
  let lastFn = 'unknown';
  for (const e of events) {
    const type = String(e.type);
    if (type.endsWith('StateEntered')) {
      entered += 1;
      if (type === 'TaskStateEntered') taskEntries += 1;
    } else if (type === 'TaskScheduled') {
      scheduled += 1;
      const params = e.taskScheduledEventDetails?.parameters;
      try {
        const fn = (JSON.parse(params ?? '{}') as { FunctionName?: string }).FunctionName;
        lastFn = fn ? lambdaFunctionName(fn) : 'unknown';
      } catch {
        lastFn = 'unknown';
      }
    } else if (type === 'TaskStarted') {
      running = { fn: lastFn, startedAt: e.timestamp ? new Date(e.timestamp).getTime() : 0 };
    } else if (TASK_END.has(type) && running) {
      const end = e.timestamp ? new Date(e.timestamp).getTime() : running.startedAt;
      const usage = byFunction.get(running.fn) ?? { invocations: 0, totalMs: 0 };
      usage.invocations += 1;
      // Lambda bills whole milliseconds, at least 1 ms; history timestamps have ms resolution.
      usage.totalMs += Math.max(1, end - running.startedAt);
      byFunction.set(running.fn, usage);
      running = undefined;
    }
  }
  // A retried task is scheduled again without entering its state again: AWS bills the retry.
  return { transitions: entered + Math.max(0, scheduled - taskEntries) };
}

export function priceUnits(units: PathwayUnits): CostResult['dollars'] {
  const dollars = {
    stepFunctions: units.stateTransitions * PRICES.stepFunctionsPerStateTransition,
    lambdaRequests: units.lambdaInvocations * PRICES.lambdaPerRequest,
    lambdaCompute: units.lambdaGbSeconds * PRICES.lambdaPerGbSecondArm,
    dynamoWrites: units.writeRequestUnits * PRICES.dynamoPerWriteRequestUnit,
    dynamoReads: units.readRequestUnits * PRICES.dynamoPerReadRequestUnit,
    ses: units.emails * PRICES.sesPerEmail,
  };
  return { ...dollars, total: Object.values(dollars).reduce((a, b) => a + b, 0) };
}

export async function costOfRep(stack: BenchStack, rep: EngineRep): Promise<CostResult> {
  const byFunction = new Map<string, FunctionUsage>();
  const transitions = await mapLimit(rep.driven, 8, async (d) => countExecution(await history(stack, d.executionArn), byFunction).transitions);
  for (const [route, calls] of Object.entries(rep.apiCalls)) byFunction.set(`api ${route}`, { invocations: calls.count, totalMs: calls.totalMs });
  const caseRefs = new Set(rep.driven.map((d) => d.caseRef));
  const emails = (await stack.inbox()).filter((e) => [...caseRefs].some((ref) => e.subject.includes(ref))).length;

  const n = rep.driven.length;
  let invocations = 0;
  let totalMs = 0;
  for (const u of byFunction.values()) {
    invocations += u.invocations;
    totalMs += u.totalMs;
  }
  const gbSeconds = (ms: number, mb: number) => (ms / 1000) * (mb / 1024);
  const units: PathwayUnits = {
    stateTransitions: transitions.reduce((a, b) => a + b, 0) / n,
    lambdaInvocations: invocations / n,
    lambdaGbSeconds: gbSeconds(totalMs, ASSUMPTIONS.lambdaMemoryMb) / n,
    writeRequestUnits: rep.usage.writeUnits / n,
    readRequestUnits: rep.usage.readUnits / n,
    emails: emails / n,
  };
  const dollars = priceUnits(units);
  const at512 = priceUnits({ ...units, lambdaGbSeconds: gbSeconds(totalMs, 512) / n }).total;
  return {
    pathways: n,
    units,
    lambdaByFunction: Object.fromEntries([...byFunction].map(([fn, u]) => [fn, { invocations: u.invocations / n, meanMs: u.totalMs / Math.max(1, u.invocations) }])),
    dollars,
    perYear: { patients: ASSUMPTIONS.patientsPerYear, dollars: dollars.total * ASSUMPTIONS.patientsPerYear },
    totalAt512Mb: at512,
    prices: PRICES,
    assumptions: ASSUMPTIONS,
  };
}
