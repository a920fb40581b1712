// Workflow Lambdas parse their Step Functions payload with zod and log only ids and error names.
import type * as z from 'zod';
import { logger } from '../shared/logger.js';
import { runtimeDeps, type Deps } from '../shared/runtime.js';

export function workflowHandler<S extends z.ZodType, R>(name: string, schema: S, run: (deps: Deps, input: z.infer<S>) => Promise<R>) {
  return async (event: unknown): Promise<R> => {
    const input = schema.parse(event);
    try {
      return await run(await runtimeDeps(), input);
    } catch (err) {
      const e = err as Error;
      logger.warn(`${name} failed`, { errorName: e.name, errorMessage: e.message, patientId: (input as { patientId?: string }).patientId });
      throw err;
    }
  };
}
