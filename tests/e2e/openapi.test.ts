// The OpenAPI 3.1 document over HTTP against the real local servers: a standard validator accepts
// it, it names every route and error of the contract, and real answers of every route validate
// against the schemas it gives for them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Validator } from '@seriousme/openapi-schema-validator';
import { acceptTriage } from '../support/fixtures.js';
import { LocalStackUnderTest, type ApiResponse } from '../support/local-stack.js';
import { conformanceOf, type Conformance } from '../support/openapi-conformance.js';

let stack: LocalStackUnderTest;
let doc: any;
let openapi: Conformance;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
  doc = await (await fetch(`${stack.apiUrl}/openapi.json`)).json();
  openapi = await conformanceOf(stack.apiUrl);
});
afterAll(async () => {
  await stack?.stop();
});

// ../shared/CONTRACT.md, "Endpoints" and "Errors".
const CONTRACT_ROUTES = [
  'post /referrals',
  'get /patients',
  'get /patients/{patientId}',
  'post /patients/{patientId}/decisions',
  'post /patients/{patientId}/hold',
  'post /patients/{patientId}/resume',
  'post /patients/{patientId}/withdraw',
  'get /metrics/throughput',
  'get /audit',
  'get /health',
];
const CONTRACT_ERRORS: Record<string, number> = {
  ValidationError: 400,
  Unauthorized: 401,
  Forbidden: 403,
  NotFound: 404,
  Conflict: 409,
  PayloadTooLarge: 413,
  UnsupportedMediaType: 415,
  ServiceUnavailable: 503,
};

function expectConforms(method: string, path: string, res: ApiResponse) {
  expect(openapi.errors(method, path, res.status, res.body), `${method} ${path} ${res.status}`).toEqual([]);
}

describe('the OpenAPI description', () => {
  it('is served without a token at /openapi.json and is a valid OpenAPI 3.1 document', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('names every route of the contract and every error code with its status', () => {
    const routes = Object.entries(doc.paths as Record<string, Record<string, unknown>>).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m} ${path}`));
    expect(routes).toEqual(expect.arrayContaining(CONTRACT_ROUTES));
    expect(doc.components.schemas.Error.properties.error.properties.code.enum).toEqual(expect.arrayContaining(Object.keys(CONTRACT_ERRORS)));
    const statuses = new Set(Object.values(doc.paths as Record<string, Record<string, { responses: Record<string, unknown> }>>).flatMap((ops) => Object.values(ops).flatMap((o) => Object.keys(o.responses))));
    for (const status of Object.values(CONTRACT_ERRORS)) expect(statuses.has(String(status)), String(status)).toBe(true);
  });

  it('describes each decision stage\'s body from the decision schemas', () => {
    const body = doc.paths['/patients/{patientId}/decisions'].post.requestBody.content['application/json'].schema;
    expect(body.discriminator.propertyName).toBe('stage');
    expect(body.oneOf.map((s: any) => s.properties.stage.const)).toEqual(['TRIAGE', 'IMAGING_SELECTION', 'MYELOGRAPHY', 'TREATMENT_PLANNING', 'TARGETED_PATCH', 'NEUROSURGICAL_ESCALATION', 'FOLLOW_UP']);
  });

  it('has a readable reference page in the local stack that needs no CDN', async () => {
    const page = await fetch(`${stack.apiUrl}/api-docs`, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('spec-url="/openapi.json"');
    expect(html).not.toMatch(/https?:\/\//);
    const script = await fetch(`${stack.apiUrl}/api-docs/redoc.standalone.js`);
    expect(script.status).toBe(200);
    expect((await script.text()).length).toBeGreaterThan(100_000);
  });

  it('validates the real answers of every route, successes and errors alike', async () => {
    const referral = await stack.refer();
    const created = await stack.api('POST', '/referrals', { role: 'coordinator', body: referral.body });
    expectConforms('post', '/referrals', created);
    const invalid = await stack.api('POST', '/referrals', { role: 'coordinator', body: { ...referral.body, site: 'nowhere' } });
    expect(invalid.status).toBe(400);
    expectConforms('post', '/referrals', invalid);
    const unsupported = await stack.api('POST', '/referrals', { role: 'coordinator', raw: 'x=1', contentType: 'text/plain' });
    expect(unsupported.status).toBe(415);
    expectConforms('post', '/referrals', unsupported);

    const id = referral.patientId;
    await stack.waitForPending(id, 'TRIAGE');
    expectConforms('get', '/patients', await stack.api('GET', '/patients?limit=5', { role: 'coordinator' }));
    expectConforms('get', '/patients/{patientId}', await stack.api('GET', `/patients/${id}`, { role: 'physician' }));
    const forbidden = await stack.api('GET', `/patients/${id}`, { role: 'administrator' });
    expect(forbidden.status).toBe(403);
    expectConforms('get', '/patients/{patientId}', forbidden);
    const unauthorized = await stack.api('GET', `/patients/${id}`, { token: null });
    expect(unauthorized.status).toBe(401);
    expectConforms('get', '/patients/{patientId}', unauthorized);
    const missing = await stack.api('GET', '/patients/01ARZ3NDEKTSV4RRFFQ69G5FAV', { role: 'physician' });
    expect(missing.status).toBe(404);
    expectConforms('get', '/patients/{patientId}', missing);

    const decided = await stack.api('POST', `/patients/${id}/decisions`, { role: 'physician', body: acceptTriage() });
    expect(decided.status).toBe(202);
    expectConforms('post', '/patients/{patientId}/decisions', decided);
    const again = await stack.api('POST', `/patients/${id}/decisions`, { role: 'physician', body: acceptTriage() });
    expect(again.status).toBe(409);
    expectConforms('post', '/patients/{patientId}/decisions', again);

    await stack.waitForPending(id, 'IMAGING_SELECTION');
    const held = await stack.api('POST', `/patients/${id}/hold`, { role: 'coordinator', body: { reason: 'travel' } });
    expectConforms('post', '/patients/{patientId}/hold', held);
    expectConforms('post', '/patients/{patientId}/resume', await stack.api('POST', `/patients/${id}/resume`, { role: 'coordinator', body: {} }));
    expectConforms('post', '/patients/{patientId}/withdraw', await stack.api('POST', `/patients/${id}/withdraw`, { role: 'coordinator', body: { reason: 'Moved away' } }));

    const month = new Date().toISOString().slice(0, 7);
    expectConforms('get', '/metrics/throughput', await stack.api('GET', `/metrics/throughput?from=${month}&to=${month}`, { role: 'administrator' }));
    expectConforms('get', '/metrics/sla', await stack.api('GET', `/metrics/sla?from=${month}&to=${month}`, { role: 'administrator' }));
    expectConforms('get', '/audit', await stack.api('GET', `/audit?patientId=${id}`, { role: 'administrator' }));
    const badQuery = await stack.api('GET', '/audit?limit=0', { role: 'administrator' });
    expect(badQuery.status).toBe(400);
    expectConforms('get', '/audit', badQuery);
    expectConforms('get', '/health', await stack.api('GET', '/health', { token: null }));
  });
});
