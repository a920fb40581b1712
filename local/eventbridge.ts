// A local EventBridge, just big enough for the pathway event bus: the JSON 1.1 API's PutEvents.
// With PATHWAY_EVENT_BUS_NAME set and AWS_ENDPOINT_URL_EVENTBRIDGE pointing here, the handlers'
// EventBridgePublisher (functions/fhir/subscription-runtime.ts) publishes exactly as in AWS, and
// every accepted event is kept: in memory for in-process readers, and as one JSON line in
// `dataFile` for tests and people. The events are pathway transitions (ids, stage, status, time;
// no PHI by design, lib/pathway-events.ts); nothing here prints them.
//
// Deliberately stricter than AWS: an entry for a bus that does not exist fails (ErrorCode
// InvalidArgument). AWS has been seen to accept such events and drop them silently, which is
// exactly the mistake a local run should show. The default bus exists only when `buses` names it.
//
// Known gaps versus EventBridge: no rules, targets or archives (events are recorded, not
// delivered); no size quota per entry; no throttling; no global endpoints (EndpointId).
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { authorizeCall, AwsJsonError, startJson11Endpoint, type AuthorizationRequest, type AuthorizeHook } from './aws-endpoint.js';

export interface LocalEventBridgeOptions {
  readonly host: string;
  readonly port: number;
  readonly region: string;
  readonly accountId: string;
  /** Names of the buses that exist (the template's buses; add `default` to accept events sent without a bus). */
  readonly buses: readonly string[];
  /** Accepted events are appended here, one JSON line each. */
  readonly dataFile?: string;
  readonly authorize?: AuthorizeHook;
}

/** An accepted event, in the envelope EventBridge delivers to targets, plus the bus it was put on. */
export interface RecordedEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': string;
  readonly source: string;
  readonly account: string;
  /** ISO 8601 to the second, as in EventBridge envelopes. */
  readonly time: string;
  readonly region: string;
  readonly resources: readonly string[];
  readonly detail: Readonly<Record<string, unknown>>;
  /** Not part of EventBridge's envelope: which bus took the event. */
  readonly eventBusName: string;
}

export interface LocalEventBridge {
  readonly url: string;
  /** The events this server accepted since it started, oldest first. */
  events(): readonly RecordedEvent[];
  stop(): Promise<void>;
}

/** PutEvents takes 1 to 10 entries per call. */
const MAX_ENTRIES = 10;
const BUS_ARN = /^arn:aws[\w-]*:events:([^:]*):(\d{12}):event-bus\/([/.\-_A-Za-z0-9]+)$/;
const BUS_NAME = /^[/.\-_A-Za-z0-9]{1,256}$/;

type EntryResult = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

const failed = (code: string, message: string): EntryResult => ({ ErrorCode: code, ErrorMessage: message });

/** The ARN IAM evaluates for an entry's bus, and the local bus it names when it is one of ours. */
function busOf(opts: LocalEventBridgeOptions, eventBusName: unknown): { arn: string; name: string | null } | null {
  const given = eventBusName === undefined || eventBusName === '' ? 'default' : eventBusName;
  if (typeof given !== 'string') return null;
  const arn = BUS_ARN.exec(given);
  if (arn) {
    // An ARN is checked by IAM as written; it names a local bus only in our region and account.
    const [, region, account, name] = arn;
    return { arn: given, name: region === opts.region && account === opts.accountId && name !== undefined ? name : null };
  }
  if (!BUS_NAME.test(given)) return null;
  return { arn: `arn:aws:events:${opts.region}:${opts.accountId}:event-bus/${given}`, name: given };
}

/** The entry's Time (the SDK sends epoch seconds; ISO strings are accepted too), or now. */
function timeOf(time: unknown): Date | null {
  if (time === undefined || time === null) return new Date();
  const date = typeof time === 'number' ? new Date(time * 1000) : typeof time === 'string' ? new Date(time) : null;
  return date && Number.isFinite(date.getTime()) ? date : null;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export async function startLocalEventBridge(opts: LocalEventBridgeOptions): Promise<LocalEventBridge> {
  const buses = new Set(opts.buses);
  const recorded: RecordedEvent[] = [];
  if (opts.dataFile) await mkdir(dirname(opts.dataFile), { recursive: true });
  // One append at a time, so the lines of concurrent calls never interleave.
  let writes: Promise<void> = Promise.resolve();
  const append = (lines: string): Promise<void> => {
    const file = opts.dataFile;
    if (!file) return Promise.resolve();
    const next = writes.then(() => appendFile(file, lines, 'utf8'));
    writes = next.catch(() => undefined);
    return next;
  };

  async function putEvents(input: Record<string, unknown>, accessKeyId: string | undefined): Promise<unknown> {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_ENTRIES || !entries.every(isRecord)) {
      throw new AwsJsonError('ValidationException', `Entries must be a list of 1 to ${MAX_ENTRIES} entries.`);
    }
    if (input.EndpointId !== undefined) throw new AwsJsonError('ValidationException', 'Global endpoints (EndpointId) are not served locally.');

    // IAM first, for every entry's bus, before anything is recorded (as AWS checks the call).
    const requests = new Map<string, AuthorizationRequest>();
    for (const entry of entries) {
      const bus = busOf(opts, entry.EventBusName);
      if (!bus) continue; // an invalid bus name fails its entry below; there is nothing to authorize
      const context: Record<string, string> = {
        ...(typeof entry.Source === 'string' ? { 'events:source': entry.Source } : {}),
        ...(typeof entry.DetailType === 'string' ? { 'events:detail-type': entry.DetailType } : {}),
      };
      const request: AuthorizationRequest = { action: 'events:PutEvents', resource: bus.arn, ...(Object.keys(context).length ? { context } : {}) };
      requests.set(JSON.stringify(request), request);
    }
    await authorizeCall(opts.authorize, accessKeyId, [...requests.values()]);

    const results: EntryResult[] = [];
    const accepted: RecordedEvent[] = [];
    for (const entry of entries) {
      const { Source: source, DetailType: detailType, Detail: detailText, Resources: resources } = entry;
      const bus = busOf(opts, entry.EventBusName);
      const time = timeOf(entry.Time);
      if (typeof source !== 'string' || !source) {
        results.push(failed('InvalidArgument', 'Parameter Source is not valid. Reason: Source is a required argument.'));
        continue;
      }
      if (typeof detailType !== 'string' || !detailType) {
        results.push(failed('InvalidArgument', 'Parameter DetailType is not valid. Reason: DetailType is a required argument.'));
        continue;
      }
      if (typeof detailText !== 'string' || !detailText) {
        results.push(failed('InvalidArgument', 'Parameter Detail is not valid. Reason: Detail is a required argument.'));
        continue;
      }
      let detail: unknown;
      try {
        detail = JSON.parse(detailText);
      } catch {
        detail = undefined;
      }
      // AWS requires a JSON object here, not any JSON value.
      if (!isRecord(detail)) {
        results.push(failed('MalformedDetail', 'Detail is malformed.'));
        continue;
      }
      if (resources !== undefined && (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string'))) {
        results.push(failed('InvalidArgument', 'Parameter Resources is not valid. Reason: Resources must be a list of strings.'));
        continue;
      }
      if (!time) {
        results.push(failed('InvalidArgument', 'Parameter Time is not valid.'));
        continue;
      }
      if (!bus) {
        results.push(failed('InvalidArgument', 'Parameter EventBusName is not valid.'));
        continue;
      }
      if (bus.name === null || !buses.has(bus.name)) {
        results.push(failed('InvalidArgument', `Event bus ${bus.name ?? bus.arn} does not exist.`));
        continue;
      }
      const id = randomUUID();
      accepted.push({
        version: '0',
        id,
        'detail-type': detailType,
        source,
        account: opts.accountId,
        time: time.toISOString().replace(/\.\d{3}Z$/, 'Z'),
        region: opts.region,
        resources: (resources as string[] | undefined) ?? [],
        detail,
        eventBusName: bus.name,
      });
      results.push({ EventId: id });
    }
    // Answer only once the events are on disk, so whoever reads the file after the call sees them.
    if (accepted.length > 0) await append(accepted.map((e) => `${JSON.stringify(e)}\n`).join(''));
    recorded.push(...accepted);
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  const endpoint = await startJson11Endpoint({
    host: opts.host,
    port: opts.port,
    name: 'local-eventbridge',
    targetPrefix: 'AWSEvents.',
    // Ten entries of EventBridge's 256 KB plus JSON escaping; anything larger is not a real call.
    maxBodyBytes: 4 * 1024 * 1024,
    handle: async (action, input, accessKeyId) => {
      if (action === 'PutEvents') return putEvents(input, accessKeyId);
      throw new AwsJsonError('UnknownOperationException', `The local event bus does not answer ${action}.`);
    },
  });
  return { url: endpoint.url, events: () => recorded.slice(), stop: () => endpoint.stop() };
}
