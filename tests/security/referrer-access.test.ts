// Access of the referrers row, and of every team-work route: each route against every role
// (coordinators, physicians, administrators, referrers, a valid token with no group); a referring
// doctor's reach limited to their own patients (404 for any other, indistinguishable from a
// patient that does not exist); token defects on every team route; referrer reads audited.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, importJWK, type JWK, type JWTPayload } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEAM_ROUTE_KEYS } from '../../functions/api/team-routes.js';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../local/auth.js';
import { API_ROUTES, TEAM_API_ROUTES } from '../../local/stack.js';
import { acceptTriage, referralBody } from '../support/fixtures.js';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { contractViolation, send, type RawResponse } from './http.js';

type Who = 'coordinator' | 'physician' | 'administrator' | 'referrer' | 'no group';
const EVERYONE: readonly Who[] = ['coordinator', 'physician', 'administrator', 'referrer', 'no group'];
const REFERRER_EMAIL = 'referrer.access@example.org';

let stack: LocalStackUnderTest;
let key: { kid: string; privateJwk: JWK };
const tokens = {} as Record<Who, string>;
/** Referred by another doctor: every refused request aims at it, and it must never change. */
let victim: string;
/** Referred by the referrer under test. */
let own: string;

async function token(claims: JWTPayload, opts: { sub?: string; exp?: string | number } = {}): Promise<string> {
  return new SignJWT({ token_use: 'id', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuedAt()
    .setSubject(opts.sub ?? `sub-${String(claims.email ?? 'x')}`)
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setExpirationTime(opts.exp ?? '1h')
    .sign(await importJWK(key.privateJwk, 'ES256'));
}

const call = (who: Who | { token: string | null }, method: string, path: string, body?: unknown): Promise<RawResponse> =>
  send(stack.apiUrl, { method, path, token: typeof who === 'string' ? tokens[who] : who.token, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

async function fresh(referrer = 'victim.referrer@example.org'): Promise<string> {
  const res = await call('coordinator', 'POST', '/referrals', referralBody({ site: 'santa-clara', referringPhysician: { name: 'Dr. R', email: referrer } }));
  expect(res.status, res.text).toBe(201);
  const id = (res.json as { patientId: string }).patientId;
  await stack.waitForPending(id, 'TRIAGE');
  return id;
}

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
  key = JSON.parse(readFileSync(join(stack.dataDir, 'auth', 'signing-key.json'), 'utf8')) as { kid: string; privateJwk: JWK };
  tokens.coordinator = await token({ email: 'coordinator@example.org', 'cognito:groups': ['coordinators'] });
  tokens.physician = await token({ email: 'nr1.santa-clara@example.org', 'cognito:groups': ['physicians'], 'custom:team': 'neuroradiology', 'custom:site': 'santa-clara' });
  tokens.administrator = await token({ email: 'administrator.access@example.org', 'cognito:groups': ['administrators'] });
  tokens.referrer = await token({ email: REFERRER_EMAIL, 'cognito:groups': ['referrers'] }, { sub: 'referrer-access-sub' });
  tokens['no group'] = await token({ email: 'nobody@example.org' });
  victim = await fresh();
  own = await fresh(REFERRER_EMAIL);
});
afterAll(async () => {
  await stack?.stop();
});

interface Row {
  readonly route: string;
  readonly allowed: readonly Who[];
  readonly success: number;
  /** The request `who` makes; an allowed caller may get its own fresh patient or item. */
  readonly request: (who: Who, allowed: boolean) => Promise<{ method: string; path: string; body?: unknown; patientId?: string }>;
}

const CLINICIANS: readonly Who[] = ['coordinator', 'physician'];
const at = (path: string) => path.replace('{patientId}', victim);

async function bookingOf(who: Who, patientId: string) {
  const res = await call(who, 'POST', `/patients/${patientId}/bookings`, { kind: 'myelography' });
  expect(res.status, res.text).toBe(201);
  return res.json as { bookingId: string; rev: number };
}

const ROWS: Row[] = [
  { route: 'GET /work/mine', allowed: CLINICIANS, success: 200, request: async () => ({ method: 'GET', path: '/work/mine' }) },
  { route: 'GET /directory', allowed: CLINICIANS, success: 200, request: async () => ({ method: 'GET', path: '/directory' }) },
  { route: 'GET /patients/{patientId}/work', allowed: CLINICIANS, success: 200, request: async () => ({ method: 'GET', path: at('/patients/{patientId}/work'), patientId: victim }) },
  {
    route: 'POST /patients/{patientId}/claim',
    allowed: CLINICIANS,
    success: 200,
    request: async (_w, allowed) => {
      const id = allowed ? await fresh() : victim;
      return { method: 'POST', path: `/patients/${id}/claim`, patientId: id };
    },
  },
  { route: 'POST /patients/{patientId}/owner', allowed: ['coordinator'], success: 200, request: async (_w, allowed) => { const id = allowed ? await fresh() : victim; return { method: 'POST', path: `/patients/${id}/owner`, body: { coordinator: 'coordinator.two@example.org' }, patientId: id }; } },
  { route: 'POST /patients/{patientId}/assignee', allowed: CLINICIANS, success: 200, request: async (_w, allowed) => { const id = allowed ? await fresh() : victim; return { method: 'POST', path: `/patients/${id}/assignee`, body: { clinician: 'nr2.santa-clara@example.org' }, patientId: id }; } },
  { route: 'POST /patients/{patientId}/follow-up', allowed: CLINICIANS, success: 200, request: async (_w, allowed) => { const id = allowed ? await fresh() : victim; return { method: 'POST', path: `/patients/${id}/follow-up`, body: { on: '2026-12-10' }, patientId: id }; } },
  { route: 'GET /bookings', allowed: CLINICIANS, success: 200, request: async () => ({ method: 'GET', path: '/bookings?view=needs_booking' }) },
  { route: 'POST /patients/{patientId}/bookings', allowed: CLINICIANS, success: 201, request: async (_w, allowed) => { const id = allowed ? await fresh() : victim; return { method: 'POST', path: `/patients/${id}/bookings`, body: { kind: 'myelography' }, patientId: id }; } },
  {
    route: 'PUT /patients/{patientId}/bookings/{bookingId}',
    allowed: CLINICIANS,
    success: 200,
    request: async (who, allowed) => {
      const id = allowed ? await fresh() : victim;
      const b = await bookingOf(allowed ? who : 'coordinator', id);
      return { method: 'PUT', path: `/patients/${id}/bookings/${b.bookingId}`, body: { status: 'cancelled', rev: b.rev }, patientId: allowed ? id : undefined };
    },
  },
  { route: 'GET /patients/{patientId}/notes', allowed: CLINICIANS, success: 200, request: async () => ({ method: 'GET', path: at('/patients/{patientId}/notes'), patientId: victim }) },
  { route: 'POST /patients/{patientId}/notes', allowed: CLINICIANS, success: 201, request: async () => ({ method: 'POST', path: at('/patients/{patientId}/notes'), body: { text: 'Access check note.' }, patientId: victim }) },
  {
    route: 'PUT /patients/{patientId}/notes/{noteId}',
    allowed: CLINICIANS,
    success: 200,
    request: async (who, allowed) => {
      const author: Who = allowed ? who : 'coordinator';
      const note = (await call(author, 'POST', `/patients/${victim}/notes`, { text: 'To be corrected.' })).json as { noteId: string };
      return { method: 'PUT', path: `/patients/${victim}/notes/${note.noteId}`, body: { text: 'Corrected.', rev: 1 }, ...(allowed ? {} : { patientId: victim }) };
    },
  },
  { route: 'POST /bulk', allowed: ['coordinator'], success: 200, request: async (_w, allowed) => ({ method: 'POST', path: '/bulk', body: { action: 'reassign_owner', patientIds: [allowed ? await fresh() : victim], coordinator: 'coordinator@example.org' }, ...(allowed ? {} : { patientId: victim }) }) },
  { route: 'GET /filters', allowed: [...CLINICIANS, 'administrator'], success: 200, request: async () => ({ method: 'GET', path: '/filters' }) },
  { route: 'POST /filters', allowed: [...CLINICIANS, 'administrator'], success: 201, request: async () => ({ method: 'POST', path: '/filters', body: { name: 'Mine', view: 'board', query: { site: 'santa-clara' } } }) },
  {
    route: 'PUT /filters/{filterId}',
    allowed: [...CLINICIANS, 'administrator'],
    success: 200,
    request: async (who, allowed) => {
      const owner: Who = allowed ? who : 'coordinator';
      const f = (await call(owner, 'POST', '/filters', { name: 'Before', view: 'board', query: {} })).json as { filterId: string };
      return { method: 'PUT', path: `/filters/${f.filterId}`, body: { name: 'After', view: 'board', query: {} } };
    },
  },
  {
    route: 'DELETE /filters/{filterId}',
    allowed: [...CLINICIANS, 'administrator'],
    success: 204,
    request: async (who, allowed) => {
      const owner: Who = allowed ? who : 'coordinator';
      const f = (await call(owner, 'POST', '/filters', { name: 'Doomed', view: 'board', query: {} })).json as { filterId: string };
      return { method: 'DELETE', path: `/filters/${f.filterId}` };
    },
  },
  { route: 'GET /metrics/team', allowed: ['administrator'], success: 200, request: async () => ({ method: 'GET', path: '/metrics/team' }) },
  { route: 'GET /referrer/patients', allowed: ['referrer'], success: 200, request: async () => ({ method: 'GET', path: '/referrer/patients' }) },
  { route: 'GET /referrer/patients/{patientId}', allowed: ['referrer'], success: 200, request: async () => ({ method: 'GET', path: `/referrer/patients/${own}` }) },
  // The referrer's own patient has no open request for information: past the role check, 409.
  { route: 'POST /patients/{patientId}/information', allowed: ['referrer'], success: 409, request: async () => ({ method: 'POST', path: `/patients/${own}/information`, body: { text: 'Report attached.' }, patientId: own }) },
];

describe('the team routes, role by role', () => {
  it('has expectations for every team route the API serves, and the stack serves exactly those', () => {
    expect(ROWS.map((r) => r.route).sort()).toEqual([...TEAM_ROUTE_KEYS].sort());
    expect(TEAM_API_ROUTES.map((r) => `${r.method} ${r.path}`).sort()).toEqual([...TEAM_ROUTE_KEYS].sort());
  });

  it.each(ROWS.map((r) => [r.route, r] as const))('%s: exactly the permitted roles get through; every other gets 403 and changes nothing', async (_name, row) => {
    for (const who of EVERYONE) {
      const allowed = row.allowed.includes(who);
      const req = await row.request(who, allowed);
      const before = req.patientId ? (await stack.store().patientTimeline(req.patientId)).length : 0;
      const res = await call(who, req.method, req.path, req.body);
      if (allowed) {
        expect(res.status, `${who}: ${res.text}`).toBe(row.success);
      } else {
        expect(res.status, `${who}: ${res.text}`).toBe(403);
        expect(contractViolation(res)).toBeUndefined();
        if (req.patientId) expect((await stack.store().patientTimeline(req.patientId)).length, who).toBe(before);
      }
    }
  });
});

describe('the referrers row of the contract routes', () => {
  it('lets a referrer create a referral naming themselves, and nothing else of the contract routes', async () => {
    const created = await call('referrer', 'POST', '/referrals', referralBody({ referringPhysician: { name: 'Dr. Access', email: REFERRER_EMAIL } }));
    expect(created.status, created.text).toBe(201);
    const month = new Date().toISOString().slice(0, 7);
    const refused: [string, string, unknown?][] = [
      ['GET', '/patients?stage=TRIAGE'],
      ['GET', `/patients/${own}`],
      ['GET', `/patients/${victim}`],
      ['POST', `/patients/${own}/decisions`, acceptTriage()],
      ['POST', `/patients/${own}/hold`, { reason: 'travel' }],
      ['POST', `/patients/${own}/resume`, {}],
      ['POST', `/patients/${own}/withdraw`, { reason: 'x' }],
      ['GET', `/metrics/throughput?from=${month}&to=${month}`],
      ['GET', `/metrics/sla?from=${month}&to=${month}`],
      ['GET', '/audit?limit=5'],
      ['GET', `/audit/verify?patientId=${own}`],
      ['POST', `/patients/${own}/red-flags`, { complications: ['reduced_consciousness'] }],
      ['POST', `/patients/${own}/reopen`, { recurrence: 'recurrence_same_site' }],
    ];
    const rev = (await stack.store().getPatient(own))?.rev;
    for (const [method, path, body] of refused) {
      const res = await call('referrer', method, path, body);
      expect(res.status, `${method} ${path}: ${res.text}`).toBe(403);
    }
    expect((await stack.store().getPatient(own))?.rev).toBe(rev);
    // Every contract route of the REST API is covered above (plus POST /referrals); the FHIR
    // routes answer OperationOutcomes and are covered by tests/e2e/fhir*.test.ts.
    const rest = API_ROUTES.filter((r) => !r.path.startsWith('/fhir/') && r.path !== '/openapi.json');
    expect(new Set([...refused.map(([m, p]) => `${m} ${p.split('?')[0]?.replace(own, '{patientId}').replace(victim, '{patientId}')}`), 'POST /referrals'])).toEqual(new Set(rest.map((r) => `${r.method} ${r.path}`)));
  });

  it("answers 404 for another doctor's patient on every referrer route, with the body of a patient that does not exist", async () => {
    const missing = '01HZZZZZZZZZZZZZZZZZZZZZZZ';
    for (const [method, path, body] of [
      ['GET', '/referrer/patients/{id}', undefined],
      ['POST', '/patients/{id}/information', { text: 'x' }],
    ] as const) {
      const theirs = await call('referrer', method, path.replace('{id}', victim), body);
      const nobody = await call('referrer', method, path.replace('{id}', missing), body);
      expect(theirs.status, theirs.text).toBe(404);
      expect(theirs.text).toBe(nobody.text);
    }
    const list = (await call('referrer', 'GET', '/referrer/patients')).json as { items: { patientId: string }[] };
    expect(list.items.map((i) => i.patientId)).toContain(own);
    expect(list.items.map((i) => i.patientId)).not.toContain(victim);
  });

  it('matches a referrer on their sub as well as their email', async () => {
    const sameSubOtherEmail = await token({ email: 'referrer.renamed@example.org', 'cognito:groups': ['referrers'] }, { sub: 'referrer-access-sub' });
    const mine = await call({ token: tokens.referrer }, 'POST', '/referrals', referralBody({ referringPhysician: { name: 'Dr. Access', email: REFERRER_EMAIL } }));
    const id = (mine.json as { patientId: string }).patientId;
    expect((await call({ token: sameSubOtherEmail }, 'GET', `/referrer/patients/${id}`)).status).toBe(200);
    // Matched on email alone, a patient a coordinator referred for them is not theirs under another address.
    expect((await call({ token: sameSubOtherEmail }, 'GET', `/referrer/patients/${own}`)).status).toBe(404);
  });

  it("audits a referrer's read of their patient as record_viewed in the referrer role", async () => {
    expect((await call('referrer', 'GET', `/referrer/patients/${own}`)).status).toBe(200);
    const views = (await stack.store().patientTimeline(own)).filter((e) => e.action === 'record_viewed' && e.actor.role === 'referrer');
    expect(views.at(-1)?.actor).toEqual({ sub: 'referrer-access-sub', email: REFERRER_EMAIL, role: 'referrer' });
  });
});

describe('bearer token defects on the team routes', () => {
  it('answers 401 on every team route with no token, an expired token or a forged signature, writing nothing', async () => {
    const expired = await token({ email: REFERRER_EMAIL, 'cognito:groups': ['referrers'] }, { exp: Math.floor(Date.now() / 1000) - 60 });
    const forged = tokens.referrer.replace(/.{4}$/, (s) => (s === 'AAAA' ? 'BBBB' : 'AAAA'));
    const before = (await stack.store().patientTimeline(victim)).length;
    for (const bad of [null, expired, forged]) {
      for (const route of TEAM_ROUTE_KEYS) {
        const [method, path] = route.split(' ') as [string, string];
        const concrete = path.replace('{patientId}', victim).replace('{bookingId}', '01HZZZZZZZZZZZZZZZZZZZZZZZ').replace('{noteId}', '01HZZZZZZZZZZZZZZZZZZZZZZZ').replace('{filterId}', '01HZZZZZZZZZZZZZZZZZZZZZZZ');
        const res = await call({ token: bad }, method, concrete, method === 'GET' || method === 'DELETE' ? undefined : { text: 'x' });
        expect(res.status, `${route}`).toBe(401);
      }
    }
    expect((await stack.store().patientTimeline(victim)).length).toBe(before);
  });
});
