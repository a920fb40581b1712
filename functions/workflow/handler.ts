// Workflow Lambdas parse their Step Functions payload with zod and log only ids and error names.
import type * as z from 'zod';
import { TransientError } from '../shared/errors.js';
import { logger } from '../shared/logger.js';
import { isTransient } from '../shared/transient.js';
import { runtimeDeps, type Deps } from '../shared/runtime.js';

export function workflowHandler<S extends z.ZodType, R>(name: string, schema: S, run: (deps: Deps, input: z.infer<S>) => Promise<R>) {
  return async (event: unknown): Promise<R> => {
    const input = schema.parse(event);
    try {
      return await run(await runtimeDeps(), input);
    } catch (err) {
      const e = err as Error;
      logger.warn(`${name} failed`, { errorName: e.name, errorMessage: e.message, patientId: (input as { patientId?: string }).patientId });
      // A dependency away (throttling, 5xx, timeout, dropped connection) is retried by the state machine.
      if (e.name !== 'TransientError' && isTransient(err)) throw new TransientError(`${e.name}: ${e.message}`, { cause: err });
      throw err;
    }
  };
}
