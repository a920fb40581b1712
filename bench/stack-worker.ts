// The local stack as the bench runs it: exactly what `npm start` runs (local/stack.ts,
// settings from the same environment variables), in a child process of the bench, plus the
// DynamoDB capacity meter (see capacity.ts), whose figures the parent asks for over IPC.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { CapacityMeter, capacityObserver } from './capacity.js';

const meter = new CapacityMeter();
const { startStack, OPERATOR_ACCESS_KEY } = await import('../local/stack.js');
const { localSettings } = await import('../local/settings.js');

const retryIntervalMs = process.env.LOCAL_RETRY_INTERVAL_MS ? Number(process.env.LOCAL_RETRY_INTERVAL_MS) : undefined;
const stack = await startStack({ settings: localSettings(), observeDynamo: capacityObserver(meter, OPERATOR_ACCESS_KEY), ...(retryIntervalMs === undefined ? {} : { retryIntervalMs }) });

let stopping = false;
const shutdown = async () => {
  if (stopping) return;
  stopping = true;
  await stack.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
process.on('disconnect', () => void shutdown());
process.on('message', (message: { type?: string; id?: number }) => {
  if (message.type === 'usage') process.send?.({ type: 'usage', id: message.id, usage: meter.snapshot() });
});
process.send?.({ type: 'ready', urls: stack.urls });
