// The FHIR subscription delivery worker of the local stack: one pass every `everyMs` (in AWS, a
// scheduled Lambda runs the same pass), never two at once, stopped with the stack.
import { deliverPending } from '../functions/fhir/subscriptions.js';
import { subscriptionDeps } from '../functions/fhir/subscription-runtime.js';

export function startSubscriptionWorker(everyMs: number): () => Promise<void> {
  let running: Promise<unknown> | undefined;
  const timer = setInterval(() => {
    running ??= subscriptionDeps()
      .then(deliverPending)
      .catch(() => 0)
      .finally(() => (running = undefined));
  }, everyMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
