// Access: every endpoint against every role of the contract's table (coordinators,
// physicians, administrators, and a valid token with no group), every defect of a bearer token,
// and the audit of every read of a patient record.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair, importJWK, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../local/auth.js';
import { API_ROUTES } from '../../local/stack.js';
import { acceptTriage, leakFound, patchPerformed, referralBody } from '../support/fixtures.js';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { contractViolation, send, type RawResponse } from './http.js';

type Who = 'coordinator' | 'physician' | 'administrator' | 'no group';
const EVERYONE: readonly Who[] = ['coordinator', 'physician', 'administrator', 'no group'];

let stack: LocalStackUnderTest;
let key: { kid: string; privateJwk: JWK };
const tokens = {} as Record<Who, string>;
/** A patient waiting on triage that every refused request aims at: it must never change. */
let victim: string;
/** A patient on hold (resume aims at it). */
let heldVictim: string;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
  key = JSON.parse(readFileSync(join(stack.dataDir, 'auth', 'signing-key.json'), 'utf8')) as { kid: string; privateJwk: JWK };
  for (const role of ['coordinator', 'physician', 'administrator'] as const) tokens[role] = await token({ email: `${role}.access@example.org`, 'cognito:groups': [`${role}s`] });
  tokens['no group'] = await token({ email: 'nobody@example.org' });
  victim = await fresh();
  heldVictim = await fresh();
  expect((await call('coordinator', 'POST', `/patients/${heldVictim}/hold`, { reason: 'travel' })).status).toBe(202);
});
afterAll(async () => {
  await stack?.stop();
});

/** A token signed with the local key: claims and header as given (defaults: valid, 1 h). */
async function token(claims: JWTPayload, opts: { sub?: string | null; exp?: string | number | null; iss?: string; aud?: string; nbf?: string | number; jwk?: JWK; kid?: string } = {}): Promise<string> {
  const jwt = new SignJWT({ token_use: 'id', ...claims }).setProtectedHeader({ alg: 'ES256', kid: opts.kid ?? key.kid, typ: 'JWT' }).setIssuedAt();
  if (opts.sub !== null) jwt.setSubject(opts.sub ?? `sub-${String(claims.email ?? 'x')}`);
  jwt.setIssuer(opts.iss ?? LOCAL_ISSUER).setAudience(opts.aud ?? LOCAL_AUDIENCE);
  if (opts.exp !== null) jwt.setExpirationTime(opts.exp ?? '1h');
  if (opts.nbf !== undefined) jwt.setNotBefore(opts.nbf);
  return jwt.sign(await importJWK(opts.jwk ?? key.privateJwk, 'ES256'));
}

async function call(who: Who | { token: string | null; raw?: string }, method: string, path: string, body?: unknown): Promise<RawResponse> {
  const t = typeof who === 'string' ? tokens[who] : who.token;
  const auth: Record<string, string> = typeof who === 'object' && who.raw !== undefined ? { authorization: who.raw } : {};
  return send(stack.apiUrl, { method, path, token: t, headers: auth, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
}

async function fresh(): Promise<string> {
  const res = await call('coordinator', 'POST', '/referrals', referralBody());
  expect(res.status).toBe(201);
  const id = (res.json as { patientId: string }).patientId;
  await stack.waitForPending(id, 'TRIAGE');
  return id;
}

async function toFollowUp(): Promise<string> {
  const id = await fresh();
  const decide = async (stage: string, body: Record<string, unknown>) => {
    await stack.waitForPending(id, stage);
    expect((await call('physician', 'POST', `/patients/${id}/decisions`, body)).status).toBe(202);
  };
  await decide('TRIAGE', acceptTriage());
  await stack.waitForPending(id, 'IMAGING_SELECTION');
  const technique = ((await call('physician', 'GET', `/patients/${id}`)).json as { recommendation: { recommended: string } }).recommendation.recommended;
  await decide('IMAGING_SELECTION', { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique });
  await decide('MYELOGRAPHY', leakFound(technique));
  await decide('TREATMENT_PLANNING', { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch', reason: 'Localised leak' });
  await decide('TARGETED_PATCH', patchPerformed);
  await stack.waitForPending(id, 'FOLLOW_UP');
  return id;
}

const month = new Date().toISOString().slice(0, 7);
const clinical = (stage: string): Record<string, unknown> =>
  ({
    TRIAGE: acceptTriage(),
    IMAGING_SELECTION: { stage: 'IMAGING_SELECTION', outcome: 'override', technique: 'decubitus_ctm', reason: 'x' },
    MYELOGRAPHY: leakFound('decubitus_ctm'),
    TREATMENT_PLANNING: { stage: 'TREATMENT_PLANNING', outcome: 'discharge', reason: 'x' },
    TARGETED_PATCH: patchPerformed,
    NEUROSURGICAL_ESCALATION: { stage: 'NEUROSURGICAL_ESCALATION', outcome: 'not_candidate', reason: 'x' },
  })[stage] as Record<string, unknown>;

interface Row {
  /** API route key, as in local/stack.ts. */
  readonly route: string;
  readonly name: string;
  readonly allowed: readonly Who[];
  /** The request `who` makes; `allowed` says whether it is one of the permitted roles. */
  readonly request: (who: Who, allowed: boolean) => Promise<{ method: string; path: string; body?: unknown; patientId?: string }>;
  /** What a permitted role gets (after the role check, the request is judged on its merits). */
  readonly success: number;
}

const ROWS: Row[] = [
  { route: 'POST /referrals', name: 'create a referral', allowed: ['coordinator', 'physician'], success: 201, request: async () => ({ method: 'POST', path: '/referrals', body: referralBody() }) },
  { route: 'GET /patients', name: 'list patients', allowed: ['coordinator', 'physician'], success: 200, request: async () => ({ method: 'GET', path: '/patients?stage=TRIAGE' }) },
  {
    route: 'GET /patients/{patientId}',
    name: 'read a patient record',
    allowed: ['coordinator', 'physician'],
    success: 200,
    request: async () => ({ method: 'GET', path: `/patients/${victim}`, patientId: victim }),
  },
  ...['TRIAGE', 'IMAGING_SELECTION', 'MYELOGRAPHY', 'TREATMENT_PLANNING', 'TARGETED_PATCH', 'NEUROSURGICAL_ESCALATION'].map(
    (stage): Row => ({
      route: 'POST /patients/{patientId}/decisions',
      name: `record a ${stage} decision`,
      allowed: ['physician'],
      // The patient waits on triage: a physician's triage decision is recorded; any other
      // clinical stage passes the role check and is then refused as not pending (409).
      success: stage === 'TRIAGE' ? 202 : 409,
      request: async (_who, allowed) => {
        const id = allowed && stage === 'TRIAGE' ? await fresh() : victim;
        return { method: 'POST', path: `/patients/${id}/decisions`, body: clinical(stage), patientId: id };
      },
    }),
  ),
  {
    route: 'POST /patients/{patientId}/decisions',
    name: 'record a FOLLOW_UP check-in',
    allowed: ['coordinator', 'physician'],
    success: 202,
    request: async (_who, allowed) => {
      const id = allowed ? await toFollowUp() : victim;
      return { method: 'POST', path: `/patients/${id}/decisions`, body: { stage: 'FOLLOW_UP', outcome: 'improved', visit: 'day1' }, patientId: id };
    },
  },
  {
    route: 'POST /patients/{patientId}/hold',
    name: 'put a patient on hold',
    allowed: ['coordinator'],
    success: 202,
    request: async (_who, allowed) => {
      const id = allowed ? await fresh() : victim;
      return { method: 'POST', path: `/patients/${id}/hold`, body: { reason: 'travel' }, patientId: id };
    },
  },
  {
    route: 'POST /patients/{patientId}/resume',
    name: 'resume a patient',
    allowed: ['coordinator'],
    success: 202,
    request: async (_who, allowed) => {
      let id = heldVictim;
      if (allowed) {
        id = await fresh();
        expect((await call('coordinator', 'POST', `/patients/${id}/hold`, { reason: 'travel' })).status).toBe(202);
      }
      return { method: 'POST', path: `/patients/${id}/resume`, body: {}, patientId: id };
    },
  },
  {
    route: 'POST /patients/{patientId}/withdraw',
    name: 'withdraw a patient',
    allowed: ['coordinator'],
    success: 202,
    request: async (_who, allowed) => {
      const id = allowed ? await fresh() : victim;
      return { method: 'POST', path: `/patients/${id}/withdraw`, body: { reason: 'Moved away' }, patientId: id };
    },
  },
  {
    route: 'POST /patients/{patientId}/reopen',
    name: 'reopen a completed pathway',
    allowed: ['coordinator', 'physician'],
    // A fresh patient is not completed: an allowed role gets past the role check to the rule's 409.
    success: 409,
    request: async (_who, allowed) => {
      const id = allowed ? await fresh() : victim;
      return { method: 'POST', path: `/patients/${id}/reopen`, body: { recurrence: 'recurrence_same_site' }, patientId: id };
    },
  },
  {
    route: 'POST /patients/{patientId}/red-flags',
    name: 'record an urgent complication',
    allowed: ['coordinator', 'physician'],
    success: 201,
    request: async (_who, allowed) => {
      const id = allowed ? await fresh() : victim;
      return { method: 'POST', path: `/patients/${id}/red-flags`, body: { complications: ['reduced_consciousness'] }, patientId: id };
    },
  },
  { route: 'GET /metrics/throughput', name: 'read throughput metrics', allowed: ['administrator'], success: 200, request: async () => ({ method: 'GET', path: `/metrics/throughput?from=${month}&to=${month}` }) },
  { route: 'GET /metrics/sla', name: 'read the service-level report', allowed: ['administrator'], success: 200, request: async () => ({ method: 'GET', path: `/metrics/sla?from=${month}&to=${month}` }) },
  { route: 'GET /audit', name: 'read the audit trail', allowed: ['administrator'], success: 200, request: async () => ({ method: 'GET', path: '/audit?limit=5' }) },
  { route: 'GET /audit/verify', name: "verify a patient's audit chain", allowed: ['administrator'], success: 200, request: async () => ({ method: 'GET', path: `/audit/verify?patientId=${victim}` }) },
  { route: 'GET /openapi.json', name: 'read the API description', allowed: EVERYONE, success: 200, request: async () => ({ method: 'GET', path: '/openapi.json' }) },
];
/** The FHIR endpoint answers with OperationOutcomes: its roles are tested in tests/e2e/fhir*.test.ts. */
const isRestRoute = (r: { path: string }) => !r.path.startsWith('/fhir/');

const routeKey = (r: { method: string; path: string }) => `${r.method} ${r.path}`;
/** One concrete request per route, for the token defects. */
const anyRequestOf = (route: string) => {
  const [method, path] = route.split(' ') as [string, string];
  const concrete = path.replace('{patientId}', () => victim);
  const body = method === 'POST' ? (path.endsWith('/decisions') ? acceptTriage() : path.endsWith('/hold') ? { reason: 'travel' } : path.endsWith('/withdraw') ? { reason: 'x' } : path.endsWith('/resume') ? {} : path.endsWith('/red-flags') ? { complications: ['reduced_consciousness'] } : path.endsWith('/reopen') ? { recurrence: 'recurrence_same_site' } : referralBody()) : undefined;
  const query = path.startsWith('/metrics/') ? `?from=${month}&to=${month}` : '';
  return { method, path: `${concrete}${query}`, body };
};

describe('the role table of the contract, endpoint by endpoint', () => {
  it('has expectations for every route the API serves', () => {
    const covered = new Set(ROWS.map((r) => r.route));
    expect(API_ROUTES.filter(isRestRoute).map(routeKey).filter((k) => !covered.has(k))).toEqual([]);
  });

  it.each(ROWS.map((r) => [r.name, r] as const))('lets exactly the permitted roles %s; every other role gets 403 and changes nothing', async (_name, row) => {
    if (!API_ROUTES.some((r) => routeKey(r) === row.route)) return; // a route this build does not serve
    for (const who of EVERYONE) {
      const allowed = row.allowed.includes(who);
      const req = await row.request(who, allowed);
      const before = req.patientId ? await stack.store().getPatient(req.patientId) : undefined;
      const beforeEvents = req.patientId ? (await stack.store().patientTimeline(req.patientId)).length : 0;
      const res = await call(who, req.method, req.path, req.body);
      if (allowed) {
        expect(res.status, `${who}: ${res.text}`).toBe(row.success);
        expect(contractViolation(res)).toBeUndefined();
      } else {
        expect(res.status, `${who}: ${res.text}`).toBe(403);
        expect((res.json as { error: { code: string } }).error.code).toBe('Forbidden');
        expect(contractViolation(res)).toBeUndefined();
        if (req.patientId) {
          const after = await stack.store().getPatient(req.patientId);
          expect(after?.rev).toBe(before?.rev);
          expect((await stack.store().patientTimeline(req.patientId)).length).toBe(beforeEvents);
        }
      }
    }
  });
});

describe('bearer token defects: 401 on every endpoint, before anything is read or written', () => {
  const defects: [string, () => Promise<{ token: string | null; raw?: string }>][] = [
    ['no Authorization header', async () => ({ token: null })],
    ['an empty bearer token', async () => ({ token: null, raw: 'Bearer ' })],
    ['a scheme other than Bearer', async () => ({ token: null, raw: `Basic ${Buffer.from('coordinator:secret').toString('base64')}` })],
    ['a lower-case scheme with a space inside the token', async () => ({ token: null, raw: `bearer ${tokens.coordinator.slice(0, 20)} ${tokens.coordinator.slice(20)}` })],
    ['a malformed token', async () => ({ token: 'not.a.jwt' })],
    ['random base64 in three parts', async () => ({ token: `${Buffer.from('{"alg":"ES256"}').toString('base64url')}.e30.AAAA` })],
    ['an expired token', async () => ({ token: await token({ email: 'c@example.org', 'cognito:groups': ['coordinators'] }, { exp: Math.floor(Date.now() / 1000) - 60 }) })],
    ['a token not valid yet', async () => ({ token: await token({ email: 'c@example.org', 'cognito:groups': ['coordinators'] }, { nbf: Math.floor(Date.now() / 1000) + 3600 }) })],
    ['a token without an expiry', async () => ({ token: await token({ email: 'c@example.org', 'cognito:groups': ['coordinators'] }, { exp: null }) })],
    ['a token without a subject', async () => ({ token: await token({ email: 'c@example.org', 'cognito:groups': ['coordinators'] }, { sub: null }) })],
    [
      'a token signed by another key (claiming the local key id)',
      async () => {
        const { privateKey } = await generateKeyPair('ES256', { extractable: true });
        return { token: await token({ email: 'c@example.org', 'cognito:groups': ['coordinators'] }, { jwk: await exportJWK(privateKey) }) };
      },
    ],
    ['a token whose signature was altered', async () => ({ token: tokens.coordinator.replace(/.{4}$/, (s) => (s === 'AAAA' ? 'BBBB' : 'AAAA')) })],
    ['a token whose claims were altered after signing', async () => {
      const [h, , s] = tokens.physician.split('.');
      const claims = Buffer.from(JSON.stringify({ sub: 'x', email: 'x@example.org', 'cognito:groups': ['administrators'], iss: LOCAL_ISSUER, aud: LOCAL_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })).toString('base64url');
      return { token: `${h}.${claims}.${s}` };
    }],
    ['a token from the wrong issuer', async () => ({ token: await token({ email: 'c@example.org', 'cognito:groups': ['coordinators'] }, { iss: 'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_attacker' }) })],
    ['a token for the wrong audience', async () => ({ token: await token({ email: 'c@example.org', 'cognito:groups': ['coordinators'] }, { aud: 'another-app' }) })],
    [
      'an unsigned token (alg: none)',
      async () => ({
        token: new UnsecuredJWT({ email: 'c@example.org', 'cognito:groups': ['coordinators', 'administrators'] }).setSubject('x').setIssuer(LOCAL_ISSUER).setAudience(LOCAL_AUDIENCE).setIssuedAt().setExpirationTime('1h').encode(),
      }),
    ],
    [
      'an HS256 token keyed with the public key (algorithm confusion)',
      async () => {
        const pub = JSON.parse(readFileSync(join(stack.dataDir, 'auth', 'signing-key.json'), 'utf8')).publicJwk as JWK;
        const secret = new TextEncoder().encode(JSON.stringify(pub));
        const t = await new SignJWT({ email: 'c@example.org', 'cognito:groups': ['administrators'] })
          .setProtectedHeader({ alg: 'HS256', kid: key.kid })
          .setSubject('x')
          .setIssuer(LOCAL_ISSUER)
          .setAudience(LOCAL_AUDIENCE)
          .setIssuedAt()
          .setExpirationTime('1h')
          .sign(secret);
        return { token: t };
      },
    ],
  ];

  it.each(defects)('answers 401 to %s on every endpoint', async (_name, make) => {
    const who = await make();
    const auditBefore = (await stack.store().patientTimeline(victim)).length;
    const guardsBefore = (await stack.inbox()).length;
    // Public routes (the API description, the FHIR CapabilityStatement) answer without a token.
    for (const route of API_ROUTES.filter((r) => !r.public).map(routeKey)) {
      const req = anyRequestOf(route);
      const res = await call(who, req.method, req.path, req.body);
      expect(res.status, `${route}: ${res.text}`).toBe(401);
      expect((res.json as { error: { code: string } }).error.code).toBe('Unauthorized');
      expect(contractViolation(res)).toBeUndefined();
    }
    expect((await stack.store().patientTimeline(victim)).length).toBe(auditBefore);
    expect((await stack.inbox()).length).toBe(guardsBefore);
  });
});

describe('reads of patient records', () => {
  it('audits every read of a patient record with who read it, in which role, and when; refused reads leave no trace', async () => {
    const id = await fresh();
    const reader = await token({ email: 'dr.reader@example.org', 'cognito:groups': ['physicians'] }, { sub: 'reader-sub-1' });
    const coordinator = await token({ email: 'desk@example.org', 'cognito:groups': ['coordinators'] }, { sub: 'desk-sub-1' });
    const t0 = new Date().toISOString();
    expect((await call({ token: reader }, 'GET', `/patients/${id}`)).status).toBe(200);
    expect((await call({ token: coordinator }, 'GET', `/patients/${id}`)).status).toBe(200);
    const t1 = new Date().toISOString();
    expect((await call('administrator', 'GET', `/patients/${id}`)).status).toBe(403);
    expect((await call('no group', 'GET', `/patients/${id}`)).status).toBe(403);
    expect((await call({ token: null }, 'GET', `/patients/${id}`)).status).toBe(401);
    const audit = await call('administrator', 'GET', `/audit?patientId=${id}`);
    expect(audit.status).toBe(200);
    const views = (audit.json as { items: { action: string; at: string; actor: Record<string, string>; patientId: string }[] }).items
      .filter((e) => e.action === 'record_viewed')
      // The audit trail lists newest first; read in the order they happened.
      .reverse();
    expect(views.map((v) => v.actor)).toEqual([
      { sub: 'reader-sub-1', email: 'dr.reader@example.org', role: 'physician' },
      { sub: 'desk-sub-1', email: 'desk@example.org', role: 'coordinator' },
    ]);
    for (const v of views) {
      expect(v.patientId).toBe(id);
      expect(v.at >= t0 && v.at <= t1, `${v.at} not within ${t0}..${t1}`).toBe(true);
    }
    // The reader sees the same read in the patient's own timeline.
    const detail = await call('physician', 'GET', `/patients/${id}`);
    const timeline = (detail.json as { timeline: { action: string; actor: { email: string } }[] }).timeline;
    expect(timeline.filter((e) => e.action === 'record_viewed').map((e) => e.actor.email)).toEqual(['dr.reader@example.org', 'desk@example.org', 'physician.access@example.org']);
  });
});
