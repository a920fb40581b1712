// The local Cognito and EventBridge endpoints, reached by the unchanged SDK v3 clients (and by the
// handlers' own code paths), as the local stack will reach them once it sets every variable the
// synthesized template sets: TEAM_DIRECTORY_USER_POOL_ID and PATHWAY_EVENT_BUS_NAME.
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { AdminGetUserCommand, CognitoIdentityProviderClient, ListUsersInGroupCommand } from '@aws-sdk/client-cognito-identity-provider';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { listDirectory } from '../../functions/app/team-work.js';
import { teamDepsOf } from '../../functions/app/team-runtime.js';
import { ConfiguredDirectory, type Member } from '../../functions/domain/directory.js';
import { loadTeamConfig } from '../../functions/domain/team-work.js';
import { EventBridgePublisher } from '../../functions/fhir/subscription-runtime.js';
import { systemClock, ulidIds } from '../../functions/shared/clock.js';
import { CognitoDirectory, cognitoDirectory } from '../../functions/shared/cognito-directory.js';
import type { Deps } from '../../functions/shared/runtime.js';
import { issueToken } from '../../local/auth.js';
import { accessKeyIdOf, type AuthorizeHook } from '../../local/aws-endpoint.js';
import { localSubjectOf, startLocalCognito, type LocalCognito } from '../../local/cognito.js';
import { startLocalEventBridge, type LocalEventBridge } from '../../local/eventbridge.js';

const HOST = '127.0.0.1';
const REGION = 'us-west-2';
const ACCOUNT = '123456789012';
const POOL = 'us-west-2_LocalPool1';
const BUS = 'CarePathwayStack-PathwayEventsBus-LOCAL';
const KEY = 'AKIALOCALTEAMFUNC001';
const credentials = { accessKeyId: KEY, secretAccessKey: 'local-secret-not-checked' };
const defaults = loadTeamConfig({}).directory;

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'aws-endpoints-'));
  dirs.push(dir);
  return dir;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cognitoAt = (url: string) => new CognitoIdentityProviderClient({ endpoint: url, region: REGION, credentials });
const eventsAt = (url: string) => new EventBridgeClient({ endpoint: url, region: REGION, credentials });
const withoutSub = ({ sub: _sub, ...rest }: Member) => rest;
const byEmail = (a: Member, b: Member) => a.email.localeCompare(b.email);
const transition = (patientId: string, step: number) => ({ patientId, step, stage: 'TRIAGE', status: 'awaiting_decision', at: '2026-12-08T09:30:00.000Z' });

/** What the SDK throws, to assert on its name and message. */
async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail');
}

/** A hook that records what it was asked and answers with `decide`. */
function recordingHook(decide: Awaited<ReturnType<AuthorizeHook>>) {
  const calls: { key: string | undefined; requests: unknown[] }[] = [];
  const hook: AuthorizeHook = async (key, requests) => {
    calls.push({ key, requests: [...requests] });
    return decide;
  };
  return { hook, calls };
}

describe('the local Cognito user pool', () => {
  let cognito: LocalCognito;
  beforeAll(async () => {
    cognito = await startLocalCognito({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, userPoolId: POOL, members: defaults });
  });
  afterAll(() => cognito.stop());

  it('pages a group with Limit and NextToken, each user enabled and carrying the pool attributes', async () => {
    const client = cognitoAt(cognito.url);
    const first = await client.send(new ListUsersInGroupCommand({ UserPoolId: POOL, GroupName: 'coordinators', Limit: 2 }));
    expect(first.Users?.map((u) => u.Attributes?.find((a) => a.Name === 'email')?.Value)).toEqual(['coordinator@example.org', 'coordinator.two@example.org']);
    expect(first.NextToken).toBeTruthy();
    const second = await client.send(new ListUsersInGroupCommand({ UserPoolId: POOL, GroupName: 'coordinators', Limit: 2, NextToken: first.NextToken }));
    expect(second.Users?.map((u) => u.Attributes?.find((a) => a.Name === 'email')?.Value)).toEqual(['coordinator.three@example.org']);
    expect(second.NextToken).toBeUndefined();

    const physicians = await client.send(new ListUsersInGroupCommand({ UserPoolId: POOL, GroupName: 'physicians' }));
    expect(physicians.Users).toHaveLength(8);
    const ada = physicians.Users?.[0];
    expect(ada?.Enabled).toBe(true);
    expect(ada?.UserStatus).toBe('CONFIRMED');
    expect(ada?.UserCreateDate).toBeInstanceOf(Date);
    expect(ada?.Username).toBe('local-physician-nr1.santa-clara@example.org');
    expect(Object.fromEntries((ada?.Attributes ?? []).map((a) => [a.Name, a.Value]))).toEqual({
      sub: 'local-physician-nr1.santa-clara@example.org',
      email: 'nr1.santa-clara@example.org',
      email_verified: 'true',
      given_name: 'Dr.',
      family_name: 'Ada Axial',
      'custom:team': 'neuroradiology',
      'custom:site': 'santa-clara',
    });
  });

  it('answers the empty administrators and referrers groups, and refuses a Limit over 60', async () => {
    const client = cognitoAt(cognito.url);
    for (const GroupName of ['administrators', 'referrers']) {
      const page = await client.send(new ListUsersInGroupCommand({ UserPoolId: POOL, GroupName }));
      expect(page.Users).toEqual([]);
      expect(page.NextToken).toBeUndefined();
    }
    expect((await failure(client.send(new ListUsersInGroupCommand({ UserPoolId: POOL, GroupName: 'physicians', Limit: 61 })))).name).toBe('InvalidParameterException');
    expect((await failure(client.send(new ListUsersInGroupCommand({ UserPoolId: POOL, GroupName: 'physicians', NextToken: 'not-a-token' })))).name).toBe('InvalidParameterException');
  });

  it('answers ResourceNotFoundException for an unknown pool or group, and UnknownOperationException for any other action', async () => {
    const client = cognitoAt(cognito.url);
    const pool = await failure(client.send(new ListUsersInGroupCommand({ UserPoolId: 'us-west-2_Other', GroupName: 'physicians' })));
    expect(pool.name).toBe('ResourceNotFoundException');
    expect(pool.message).toBe('User pool us-west-2_Other does not exist.');
    expect((await failure(client.send(new ListUsersInGroupCommand({ UserPoolId: POOL, GroupName: 'nurses' })))).name).toBe('ResourceNotFoundException');
    const other = await failure(client.send(new AdminGetUserCommand({ UserPoolId: POOL, Username: 'coordinator@example.org' })));
    expect(other.name).toBe('UnknownOperationException');
    expect((other as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(400);
  });

  it('gives the CognitoDirectory the same clinicians as the ConfiguredDirectory over the default team configuration', async () => {
    const configured = await new ConfiguredDirectory(defaults).members();
    const fromCognito = await new CognitoDirectory(cognitoAt(cognito.url), ListUsersInGroupCommand, POOL).members();
    // Email, name, role, team and site, in the same order.
    expect(fromCognito.map(withoutSub)).toEqual(configured.map(withoutSub));
    // The one field Cognito always fills: the sub, which a local token for that person also carries.
    const dataDir = tempDir();
    for (const [i, member] of fromCognito.entries()) {
      const person = configured[i] as Member;
      expect(member.sub).toBe(localSubjectOf(person));
      const token = await issueToken(dataDir, { role: person.role, email: person.email });
      const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string };
      expect(member.sub).toBe(claims.sub);
    }
  });

  it('keeps configured subs, names without a space and a directory larger than one page unchanged', async () => {
    const many = Array.from({ length: 65 }, (_, i) => ({ email: `coordinator${i}@example.org`, name: `Coordinator ${i}`, role: 'coordinator' }));
    const directory = loadTeamConfig({
      TEAM_CONFIG: JSON.stringify({
        directory: [
          { email: 'ns3.redwood-city@example.org', name: 'Dr. Ida  Inlay', role: 'physician', team: 'neurosurgery', site: 'redwood-city', sub: '0b3c4d5e-0000-4000-8000-000000000001' },
          { email: 'mononym@example.org', name: 'Cher', role: 'coordinator', sub: '0b3c4d5e-0000-4000-8000-000000000002' },
          { email: 'trailing@example.org', name: 'Trailing ', role: 'coordinator' },
          { email: 'nosite@example.org', name: 'Dr. Jo Nosite', role: 'physician', team: 'neuroradiology' },
          ...many,
        ],
      }),
    }).directory;
    const pool = await startLocalCognito({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, userPoolId: POOL, members: directory });
    try {
      const fromCognito = await new CognitoDirectory(cognitoAt(pool.url), ListUsersInGroupCommand, POOL).members();
      const configured = await new ConfiguredDirectory(directory).members();
      // Cognito lists coordinators, then physicians: compare as sets, then the configured subs in full.
      expect([...fromCognito].map(withoutSub).sort(byEmail)).toEqual([...configured].map(withoutSub).sort(byEmail));
      for (const person of configured.filter((m) => m.sub)) expect(fromCognito.find((m) => m.email === person.email)).toEqual(person);
    } finally {
      await pool.stop();
    }
  });

  it('refuses at start a directory Cognito could not hold', async () => {
    const twice = [defaults[0] as Member, { ...(defaults[0] as Member), name: 'Someone Else' }];
    await expect(startLocalCognito({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, userPoolId: POOL, members: twice })).rejects.toThrow(/share the email/);
    const longSite = [{ ...(defaults[3] as Member), site: 'x'.repeat(65) }];
    await expect(startLocalCognito({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, userPoolId: POOL, members: longSite })).rejects.toThrow(/custom:site/);
  });
});

describe('the local EventBridge', () => {
  let bridge: LocalEventBridge;
  let dataFile: string;
  beforeAll(async () => {
    dataFile = join(tempDir(), 'events', 'put-events.jsonl');
    bridge = await startLocalEventBridge({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, buses: [BUS], dataFile });
  });
  afterAll(() => bridge.stop());

  it('records accepted events in the data file and fails each bad entry with an error code', async () => {
    const before = bridge.events().length;
    const entries: PutEventsRequestEntry[] = [
      { EventBusName: BUS, Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Time: new Date('2026-12-08T09:30:00Z'), Detail: JSON.stringify(transition('01JEXAMPLEPATIENT0000000001', 1)) },
      { EventBusName: 'no-such-bus', Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Detail: '{}' },
      { EventBusName: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${BUS}`, Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Detail: JSON.stringify(transition('01JEXAMPLEPATIENT0000000002', 2)) },
      { EventBusName: BUS, DetailType: 'PathwayTransition', Detail: '{}' },
      { EventBusName: BUS, Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Detail: '{not json' },
      { EventBusName: BUS, Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Detail: '[1,2]' },
      { Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Detail: '{}' },
    ];
    const out = await eventsAt(bridge.url).send(new PutEventsCommand({ Entries: entries }));
    expect(out.FailedEntryCount).toBe(5);
    const e = out.Entries ?? [];
    expect(e).toHaveLength(7);
    expect(e[0]?.EventId).toMatch(/^[0-9a-f-]{36}$/);
    expect(e[1]).toEqual({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Event bus no-such-bus does not exist.' });
    expect(e[2]?.EventId).toBeTruthy();
    expect(e[3]?.ErrorCode).toBe('InvalidArgument');
    expect(e[4]?.ErrorCode).toBe('MalformedDetail');
    expect(e[5]?.ErrorCode).toBe('MalformedDetail');
    // No EventBusName is the default bus, which exists only when the options name it.
    expect(e[6]).toEqual({ ErrorCode: 'InvalidArgument', ErrorMessage: 'Event bus default does not exist.' });

    const lines = readFileSync(dataFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.slice(before)).toEqual(bridge.events().slice(before));
    expect(lines.slice(before)).toEqual([
      {
        version: '0',
        id: e[0]?.EventId,
        'detail-type': 'PathwayTransition',
        source: 'csf-leak-pathway',
        account: ACCOUNT,
        time: '2026-12-08T09:30:00Z',
        region: REGION,
        resources: [],
        detail: transition('01JEXAMPLEPATIENT0000000001', 1),
        eventBusName: BUS,
      },
      expect.objectContaining({ id: e[2]?.EventId, detail: transition('01JEXAMPLEPATIENT0000000002', 2), eventBusName: BUS }),
    ]);
  });

  it('refuses a call with more than ten entries, or none, and records nothing', async () => {
    const before = bridge.events().length;
    const entry = { EventBusName: BUS, Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Detail: '{}' };
    const client = eventsAt(bridge.url);
    expect((await failure(client.send(new PutEventsCommand({ Entries: Array.from({ length: 11 }, () => entry) })))).name).toBe('ValidationException');
    expect((await failure(client.send(new PutEventsCommand({ Entries: [] })))).name).toBe('ValidationException');
    expect(bridge.events()).toHaveLength(before);
  });

  it('answers any other action with UnknownOperationException and the x-amzn-errortype header', async () => {
    const res = await fetch(bridge.url, { method: 'POST', headers: { 'x-amz-target': 'AWSEvents.ListRules', 'content-type': 'application/x-amz-json-1.1' }, body: '{}' });
    expect(res.status).toBe(400);
    expect(res.headers.get('x-amzn-errortype')).toBe('UnknownOperationException');
    expect(((await res.json()) as { __type: string }).__type).toBe('UnknownOperationException');
  });
});

describe('authorization of each call', () => {
  it('hands the hook the access key id, the IAM action and the resource ARN the template grants on', async () => {
    const { hook, calls } = recordingHook({ allowed: true });
    const cognito = await startLocalCognito({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, userPoolId: POOL, members: defaults, authorize: hook });
    const bridge = await startLocalEventBridge({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, buses: [BUS, 'default'], authorize: hook });
    try {
      await cognitoAt(cognito.url).send(new ListUsersInGroupCommand({ UserPoolId: POOL, GroupName: 'physicians' }));
      const detail = JSON.stringify(transition('01JEXAMPLEPATIENT0000000003', 1));
      const out = await eventsAt(bridge.url).send(
        new PutEventsCommand({
          Entries: [
            { EventBusName: BUS, Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Detail: detail },
            { EventBusName: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${BUS}`, Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Detail: detail },
            { Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Detail: detail },
          ],
        }),
      );
      expect(out.FailedEntryCount).toBe(0);
      const context = { 'events:source': 'csf-leak-pathway', 'events:detail-type': 'PathwayTransition' };
      expect(calls).toEqual([
        { key: KEY, requests: [{ action: 'cognito-idp:ListUsersInGroup', resource: `arn:aws:cognito-idp:${REGION}:${ACCOUNT}:userpool/${POOL}` }] },
        {
          key: KEY,
          requests: [
            // The name and the ARN of one bus are one question.
            { action: 'events:PutEvents', resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/${BUS}`, context },
            { action: 'events:PutEvents', resource: `arn:aws:events:${REGION}:${ACCOUNT}:event-bus/default`, context },
          ],
        },
      ]);
      expect(bridge.events().map((e) => e.eventBusName)).toEqual([BUS, BUS, 'default']);
    } finally {
      await cognito.stop();
      await bridge.stop();
    }
  });

  it('gives the SDK an AccessDeniedException from a refusing hook, and records nothing', async () => {
    const message = `User: arn:aws:sts::${ACCOUNT}:assumed-role/TeamFn/local is not authorized to perform this action`;
    const { hook } = recordingHook({ allowed: false, message });
    const dataFile = join(tempDir(), 'put-events.jsonl');
    const cognito = await startLocalCognito({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, userPoolId: POOL, members: defaults, authorize: hook });
    const bridge = await startLocalEventBridge({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, buses: [BUS], dataFile, authorize: hook });
    try {
      const denied = await failure(cognitoAt(cognito.url).send(new ListUsersInGroupCommand({ UserPoolId: POOL, GroupName: 'physicians' })));
      expect(denied.name).toBe('AccessDeniedException');
      expect(denied.message).toBe(message);
      // Refused before existence is checked: an unknown pool is not revealed either.
      expect((await failure(cognitoAt(cognito.url).send(new ListUsersInGroupCommand({ UserPoolId: 'us-west-2_Other', GroupName: 'physicians' })))).name).toBe('AccessDeniedException');
      const put = await failure(eventsAt(bridge.url).send(new PutEventsCommand({ Entries: [{ EventBusName: BUS, Source: 'csf-leak-pathway', DetailType: 'PathwayTransition', Detail: '{}' }] })));
      expect(put.name).toBe('AccessDeniedException');
      expect((put as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(400);
      expect(bridge.events()).toEqual([]);
      expect(existsSync(dataFile)).toBe(false);
    } finally {
      await cognito.stop();
      await bridge.stop();
    }
  });

  it('answers UnrecognizedClientException for an access key the hook does not know', async () => {
    const { hook } = recordingHook({ allowed: false, message: 'The security token included in the request is invalid.', unknownKey: true });
    const bridge = await startLocalEventBridge({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, buses: [BUS], authorize: hook });
    try {
      const err = await failure(eventsAt(bridge.url).send(new PutEventsCommand({ Entries: [{ EventBusName: BUS, Source: 's', DetailType: 'd', Detail: '{}' }] })));
      expect(err.name).toBe('UnrecognizedClientException');
      expect(bridge.events()).toEqual([]);
    } finally {
      await bridge.stop();
    }
  });

  it('reads the access key id from a SigV4 Authorization header', () => {
    const header = `AWS4-HMAC-SHA256 Credential=${KEY}/20261208/${REGION}/events/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc`;
    expect(accessKeyIdOf(header)).toBe(KEY);
    expect(accessKeyIdOf([header])).toBe(KEY);
    expect(accessKeyIdOf(undefined)).toBeUndefined();
    expect(accessKeyIdOf('Bearer token')).toBeUndefined();
  });
});

describe('the handlers, unchanged, through the standard endpoint variables', () => {
  const VARS = [
    'AWS_ENDPOINT_URL',
    'AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER',
    'AWS_ENDPOINT_URL_EVENTBRIDGE',
    'AWS_REGION',
    'AWS_ACCESS_KEY_ID',
    'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN',
    'AWS_PROFILE',
    'AWS_CONFIG_FILE',
    'AWS_SHARED_CREDENTIALS_FILE',
    'TEAM_DIRECTORY_USER_POOL_ID',
    'TEAM_CONFIG',
  ] as const;
  const saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  let cognito: LocalCognito;
  let bridge: LocalEventBridge;
  const seen: (string | undefined)[] = [];

  beforeAll(async () => {
    const allow: AuthorizeHook = async (key) => {
      seen.push(key);
      return { allowed: true };
    };
    cognito = await startLocalCognito({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, userPoolId: POOL, members: defaults, authorize: allow });
    bridge = await startLocalEventBridge({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, buses: [BUS], authorize: allow });
    for (const v of VARS) delete process.env[v];
    // Nothing else may name an endpoint: no shared config file, no generic AWS_ENDPOINT_URL.
    const none = join(tempDir(), 'absent');
    Object.assign(process.env, {
      AWS_CONFIG_FILE: none,
      AWS_SHARED_CREDENTIALS_FILE: none,
      AWS_REGION: REGION,
      AWS_ACCESS_KEY_ID: KEY,
      AWS_SECRET_ACCESS_KEY: 'local-secret-not-checked',
      AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER: cognito.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: bridge.url,
    });
  });
  afterEach(() => {
    delete process.env.TEAM_DIRECTORY_USER_POOL_ID;
  });
  afterAll(async () => {
    for (const v of VARS) {
      if (saved[v] === undefined) delete process.env[v];
      else process.env[v] = saved[v];
    }
    await cognito.stop();
    await bridge.stop();
  });

  it('derive the variable names from the clients’ service ids', () => {
    const name = (serviceId: string) => `AWS_ENDPOINT_URL_${serviceId.toUpperCase().replaceAll(' ', '_')}`;
    expect(name(new CognitoIdentityProviderClient({}).config.serviceId)).toBe('AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER');
    expect(name(new EventBridgeClient({}).config.serviceId)).toBe('AWS_ENDPOINT_URL_EVENTBRIDGE');
  });

  it('reach the local user pool from the Team function’s own cognitoDirectory', async () => {
    const directory = await cognitoDirectory(POOL);
    expect((await directory.members()).map(withoutSub)).toEqual(defaults.map(withoutSub));
    expect(seen).toContain(KEY);
  });

  it('list the same directory in the Team API whether it reads the configuration or the user pool', async () => {
    const deps = () => ({ clock: systemClock, ids: ulidIds }) as unknown as Deps;
    const caller = { sub: 'local-coordinator-coordinator@example.org', email: 'coordinator@example.org', roles: ['coordinator' as const] };
    const configured = await listDirectory(deps(), caller);
    process.env.TEAM_DIRECTORY_USER_POOL_ID = POOL;
    const fromPool = await listDirectory(deps(), caller);
    expect((await teamDepsOf(deps())).directory).toBeInstanceOf(CognitoDirectory);
    expect(fromPool).toEqual(configured);
    expect((configured.body as { items: unknown[] }).items).toHaveLength(defaults.length);
  });

  it('reach the local bus from the handlers’ EventBridgePublisher, twelve events in two calls', async () => {
    const before = bridge.events().length;
    const events = Array.from({ length: 12 }, (_, i) => transition(`01JEXAMPLEPATIENT00000000${String(i).padStart(2, '0')}`, i + 1)) as never[];
    await new EventBridgePublisher(BUS).publish(events);
    const got = bridge.events().slice(before);
    expect(got.map((e) => e.detail)).toEqual(events);
    expect(got.every((e) => e.source === 'csf-leak-pathway' && e['detail-type'] === 'PathwayTransition' && e.time === '2026-12-08T09:30:00Z')).toBe(true);
  });
});

describe('where the servers listen', () => {
  const external = Object.values(networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

  it.skipIf(!external)('binds only the given host, not every interface', async () => {
    const bridge = await startLocalEventBridge({ host: HOST, port: 0, region: REGION, accountId: ACCOUNT, buses: [BUS] });
    try {
      const port = Number(new URL(bridge.url).port);
      expect((await fetch(bridge.url)).status).toBe(200);
      const outcome = await new Promise<string>((resolve) => {
        const socket = connect(port, external as string, () => {
          socket.destroy();
          resolve('connected');
        });
        socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? 'error'));
      });
      expect(outcome).toBe('ECONNREFUSED');
    } finally {
      await bridge.stop();
    }
  });
});
