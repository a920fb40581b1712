// Bad input, property-based: malformed, oversized, wrong-typed and hostile requests against every
// endpoint of one running stack, 16 in flight. Every refusal must be a 4xx with the contract's
// error body (field-level issues for a 400), nothing may be a 5xx, and nothing may be written.
//
// More: FUZZ_SCALE=5 FUZZ_SEED=42 npx vitest run tests/security/fuzz.test.ts
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DECISION_STAGES, type DecisionStage } from '../../functions/domain/vocabulary.js';
import { acceptTriage, referralBody } from '../support/fixtures.js';
import { LocalStackUnderTest } from '../support/local-stack.js';
import { craftedCursor, junkId, junkQuery, refusedBody, type BodyCase, type BodySpec, type Json } from './arbitraries.js';
import { contractViolation, pool, send, writeSnapshot, type RawResponse, type WriteSnapshot } from './http.js';

const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const IN_FLIGHT = 16;

let stack: LocalStackUnderTest;
let before: WriteSnapshot;
/** P1 waits on TRIAGE (decisions, hold, withdraw aim at it); P2 is on hold (resume aims at it). */
let active: string;
let held: string;
const tokens: Record<string, string> = {};
const tally = new Map<number, number>();
let total = 0;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start();
  for (const role of ['coordinator', 'physician', 'administrator'] as const) tokens[role] = await stack.token(role);
  const refer = async () => (await stack.api('POST', '/referrals', { role: 'coordinator', body: referralBody() })).body.patientId as string;
  active = await refer();
  held = await refer();
  await stack.waitForPending(active, 'TRIAGE');
  await stack.waitForPending(held, 'TRIAGE');
  expect((await stack.api('POST', `/patients/${held}/hold`, { role: 'coordinator', body: { reason: 'travel' } })).status).toBe(202);
  before = await writeSnapshot(stack);
});

afterAll(async () => {
  const by = [...tally.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}:${n}`).join(' ');
  console.log(`FUZZ requests=${total} by status ${by} 5xx=${[...tally.entries()].filter(([s]) => s >= 500).reduce((n, [, c]) => n + c, 0)} seed=${SEED}`);
  await stack?.stop();
});

interface Case {
  readonly method: string;
  readonly path: string;
  readonly role: 'coordinator' | 'physician' | 'administrator';
  readonly body?: BodyCase;
  /** Statuses this case may answer with. */
  readonly allowed: readonly number[];
  /** Extra check of a 2xx answer. */
  readonly ok?: (res: RawResponse) => string | undefined;
}

/** Send every case (16 in flight); return the ones answered outside the contract. */
async function run(cases: readonly Case[]): Promise<string[]> {
  const failures: string[] = [];
  await pool(cases, IN_FLIGHT, async (c) => {
    let res: RawResponse;
    try {
      res = await send(stack.apiUrl, {
        method: c.method,
        path: c.path,
        token: tokens[c.role],
        ...(c.body?.body === undefined ? {} : { body: c.body.body }),
        contentType: c.body ? c.body.contentType : null,
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      failures.push(`${c.method} ${c.path.slice(0, 120)} [${c.body?.how.slice(0, 160) ?? ''}]: no answer (${(err as Error).message}: ${cause?.code ?? ''} ${cause?.message ?? ''})`);
      return;
    }
    total += 1;
    tally.set(res.status, (tally.get(res.status) ?? 0) + 1);
    const problem =
      (!c.allowed.includes(res.status) ? `status ${res.status} not in ${c.allowed.join('/')}` : undefined) ??
      contractViolation(res) ??
      (res.status < 300 ? c.ok?.(res) : undefined) ??
      (res.status === 400 ? namesTheField(res, c.body) : undefined);
    if (problem) failures.push(`${c.method} ${c.path.slice(0, 120)} [${c.body?.how.slice(0, 160) ?? ''}] -> ${problem}: ${res.text.slice(0, 300)}`);
  });
  return failures;
}

/** A 400 for a mutated field names that field or an object that holds it. */
function namesTheField(res: RawResponse, body: BodyCase | undefined): string | undefined {
  if (!body?.touched?.length) return undefined;
  const issues = (res.json as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path);
  const covers = body.touched.some((t) => issues.some((p) => p === '' || t === p || t.startsWith(`${p}.`)));
  return covers ? undefined : `issues ${JSON.stringify(issues)} name none of ${JSON.stringify(body.touched)}`;
}

const sample = <T>(arb: fc.Arbitrary<T>, n: number, salt: number): T[] => fc.sample(arb, { numRuns: Math.max(1, Math.round(n * SCALE)), seed: SEED + salt });
const ulidShaped = fc.stringMatching(/^[0-9A-HJKMNP-TV-Z]{26}$/);

// ---------------------------------------------------------------------------------------
// Bodies of the contract, valid, with what each always requires.

const referralSpec: BodySpec = {
  valid: { ...referralBody({ referralId: 'REF-FUZZ-1' }), notes: 'Synthetic notes' } as Json,
  required: [
    ['referralId'],
    ['patient'],
    ['patient', 'mrn'],
    ['patient', 'givenName'],
    ['patient', 'familyName'],
    ['patient', 'birthDate'],
    ['patient', 'sex'],
    ['referringPhysician'],
    ['referringPhysician', 'name'],
    ['referringPhysician', 'email'],
    ['site'],
    ['symptomOnset'],
    ['orthostaticPattern'],
    ['duralPunctureWithin30Days'],
    ['priorSpinalProcedure'],
    ['urgency'],
  ],
};

const decisionSpecs: Record<DecisionStage, BodySpec> = {
  TRIAGE: {
    valid: { ...acceptTriage('present'), reason: 'Classic history' } as Json,
    required: [['stage'], ['outcome'], ['brainMri'], ['spineMri'], ['ichd3'], ['brainMri', 'subduralFluid'], ['brainMri', 'suprasellarCisternMm'], ['spineMri', 'slec']],
  },
  IMAGING_SELECTION: {
    valid: { stage: 'IMAGING_SELECTION', outcome: 'override', technique: 'decubitus_ctm', reason: 'Scanner availability' },
    required: [['stage'], ['outcome'], ['technique'], ['reason']],
  },
  MYELOGRAPHY: {
    valid: { stage: 'MYELOGRAPHY', outcome: 'leak_found', technique: 'decubitus_ctm', performedOn: '2026-01-20', leak: { type: 'csf_venous_fistula', level: 'T10', side: 'left', speed: 'slow' } },
    required: [['stage'], ['outcome'], ['technique'], ['performedOn'], ['leak'], ['leak', 'type'], ['leak', 'level'], ['leak', 'side']],
  },
  TREATMENT_PLANNING: {
    valid: { stage: 'TREATMENT_PLANNING', outcome: 'discharge', reason: 'Conservative care' },
    required: [['stage'], ['outcome']],
  },
  TARGETED_PATCH: {
    valid: { stage: 'TARGETED_PATCH', outcome: 'performed', procedure: 'fibrin_cvf_ct', levels: ['T10'], volumeMl: 3, technicalSuccess: true, performedOn: '2026-01-21' },
    required: [['stage'], ['outcome'], ['procedure'], ['levels'], ['levels', 0], ['performedOn']],
  },
  NEUROSURGICAL_ESCALATION: {
    valid: { stage: 'NEUROSURGICAL_ESCALATION', outcome: 'operated', procedure: 'cvf_ligation', performedOn: '2026-01-22', reason: 'x' },
    required: [['stage'], ['outcome'], ['procedure'], ['performedOn']],
  },
  FOLLOW_UP: {
    valid: { stage: 'FOLLOW_UP', outcome: 'improved', visit: 'day1', hit6: 44, pgic: 6, reason: 'Better' },
    required: [['stage'], ['outcome'], ['visit']],
  },
};

const holdSpec: BodySpec = { valid: { reason: 'travel', note: 'Abroad' }, required: [['reason']] };
const resumeSpec: BodySpec = { valid: {}, required: [] };
const withdrawSpec: BodySpec = { valid: { reason: 'Moved away' }, required: [['reason']] };

const REFUSED_BODY = [400, 413, 415];

describe(`every endpoint refuses bad input with a 4xx and the contract error body, and writes nothing (about ${Math.round(10_500 * SCALE)} requests)`, () => {
  it('POST /referrals refuses malformed, wrong-typed, oversized and hostile referrals', async () => {
    const cases = sample(refusedBody(referralSpec), 2400, 1).map(
      (body, i): Case => ({ method: 'POST', path: '/referrals', role: i % 2 ? 'coordinator' : 'physician', body, allowed: REFUSED_BODY }),
    );
    expect(await run(cases)).toEqual([]);
  });

  it('POST /patients/{id}/decisions refuses malformed decisions of every stage, for a real patient and for junk ids', async () => {
    const cases: Case[] = [];
    DECISION_STAGES.forEach((stage, s) => {
      const role = stage === 'FOLLOW_UP' ? 'coordinator' : 'physician';
      for (const body of sample(refusedBody(decisionSpecs[stage]), 350, 10 + s)) {
        cases.push({ method: 'POST', path: `/patients/${active}/decisions`, role, body, allowed: REFUSED_BODY });
      }
      for (const [id, body] of sample(fc.tuple(junkId, refusedBody(decisionSpecs[stage])), 100, 20 + s)) {
        cases.push({ method: 'POST', path: `/patients/${id}/decisions`, role, body, allowed: [...REFUSED_BODY, 404] });
      }
      // A valid decision for nobody: 404, nothing written.
      for (const id of sample(fc.oneof(junkId, ulidShaped), 40, 30 + s)) {
        cases.push({ method: 'POST', path: `/patients/${id}/decisions`, role, body: { body: JSON.stringify(decisionSpecs[stage].valid), contentType: 'application/json', how: 'valid, unknown patient' }, allowed: [404] });
      }
    });
    expect(cases.length).toBeGreaterThanOrEqual(3000 * SCALE);
    expect(await run(cases)).toEqual([]);
  });

  it('hold, resume and withdraw refuse malformed bodies and unknown patients', async () => {
    const cases: Case[] = [];
    const actions: [string, BodySpec, string][] = [
      ['hold', holdSpec, active],
      ['resume', resumeSpec, held],
      ['withdraw', withdrawSpec, active],
    ];
    actions.forEach(([action, spec, target], a) => {
      const refused = refusedBody(spec, { allowEmpty: action !== 'resume' });
      for (const body of sample(refused, 500, 40 + a)) cases.push({ method: 'POST', path: `/patients/${target}/${action}`, role: 'coordinator', body, allowed: REFUSED_BODY });
      for (const [id, body] of sample(fc.tuple(junkId, refused), 120, 50 + a)) {
        cases.push({ method: 'POST', path: `/patients/${id}/${action}`, role: 'coordinator', body, allowed: [...REFUSED_BODY, 404] });
      }
      for (const id of sample(fc.oneof(junkId, ulidShaped), 80, 60 + a)) {
        cases.push({ method: 'POST', path: `/patients/${id}/${action}`, role: 'coordinator', body: { body: JSON.stringify(spec.valid), contentType: 'application/json', how: 'valid, unknown patient' }, allowed: [404] });
      }
    });
    expect(await run(cases)).toEqual([]);
  });

  it('GET /patients answers junk queries with 200 and a page, or 400 naming the parameter', async () => {
    const q = junkQuery(['stage', 'status', 'site', 'overdue', 'limit', 'nextToken'], {
      stage: fc.constantFrom('TRIAGE', 'FOLLOW_UP', 'triage', 'TRIAGE,MYELOGRAPHY'),
      status: fc.constantFrom('active', 'on_hold', 'ACTIVE'),
      site: fc.constantFrom('santa-clara', 'atlantis'),
      overdue: fc.constantFrom('true', 'false', 'yes'),
      limit: fc.constantFrom('1', '200', '201', '0'),
      nextToken: fc.oneof(craftedCursor, fc.constantFrom('!!', 'eyJ9', 'A'.repeat(2100))),
    });
    const page = (res: RawResponse) => (Array.isArray((res.json as { items?: unknown })?.items) ? undefined : 'no items array');
    const cases = sample(q, 900, 70).map((query, i): Case => ({ method: 'GET', path: `/patients?${query}`, role: i % 2 ? 'coordinator' : 'physician', allowed: [200, 400], ok: page }));
    expect(await run(cases)).toEqual([]);
  });

  it('GET /patients/{id} answers junk and unknown ids with 404 and audits no read', async () => {
    const cases = sample(fc.oneof(junkId, ulidShaped), 900, 80).map((id, i): Case => ({ method: 'GET', path: `/patients/${id}`, role: i % 2 ? 'coordinator' : 'physician', allowed: [404] }));
    expect(await run(cases)).toEqual([]);
  });

  it('GET /metrics/throughput and GET /audit answer junk queries with 200 or a 400 naming the parameter', async () => {
    const month = fc.constantFrom('2026-01', '2026-11', '2021-11', '1999-12', '2026-1', '2026-13', '0000-00');
    const throughput = junkQuery(['from', 'to', 'format'], { from: month, to: month, format: fc.constantFrom('csv', 'json', 'xml', 'CSV') });
    const instant = fc.constantFrom('2026-11-01', '2026-11-26T00:00:00Z', '2026-02-30', '2026-11-01T25:00', '0000-01-01', '2026-11-01junk');
    const audit = junkQuery(['patientId', 'from', 'to', 'limit', 'nextToken'], {
      patientId: fc.oneof(ulidShaped, fc.constant('x'.repeat(26))),
      from: instant,
      to: instant,
      limit: fc.constantFrom('1', '200', '201', '0', '-1', '1.5'),
      nextToken: fc.oneof(craftedCursor, fc.constantFrom('!!', 'eyJ9')),
    });
    const cases: Case[] = [
      ...sample(throughput, 500, 90).map((query): Case => ({ method: 'GET', path: `/metrics/throughput?${query}`, role: 'administrator', allowed: [200, 400] })),
      ...sample(audit, 600, 91).map((query): Case => ({
        method: 'GET',
        path: `/audit?${query}`,
        role: 'administrator',
        allowed: [200, 400],
        ok: (res) => (Array.isArray((res.json as { items?: unknown })?.items) ? undefined : 'no items array'),
      })),
    ];
    expect(await run(cases)).toEqual([]);
  });

  it('answers unknown routes and methods with 404 and the contract error body', async () => {
    const cases = sample(
      fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'), fc.constantFrom('/referrals', '/patients', `/patients/${active}`, `/patients/${active}/decisions`, `/patients/${active}/hold`, '/audit', '/metrics/throughput', '/patients/x/y/z', '/admin', '/referrals/')),
      150,
      100,
    )
      .filter(([m, p]) => !((m === 'GET' && ['/patients', `/patients/${active}`, '/audit', '/metrics/throughput'].includes(p)) || (m === 'POST' && ['/referrals', `/patients/${active}/decisions`, `/patients/${active}/hold`].includes(p))))
      .map(([method, path]): Case => ({ method, path, role: 'coordinator', allowed: [404] }));
    expect(await run(cases)).toEqual([]);
  });

  it('refuses a resume whose body is JSON null (not an empty object), leaving the patient on hold', async () => {
    // Found by this suite: `null ?? {}` once turned a null body into a valid resume.
    for (const body of ['null', ' null ']) {
      const res = await send(stack.apiUrl, { method: 'POST', path: `/patients/${held}/resume`, token: tokens.coordinator, body });
      expect(res.status, res.text).toBe(400);
      expect(contractViolation(res)).toBeUndefined();
      total += 1;
    }
    expect((await stack.store().getPatient(held))?.status).toBe('on_hold');
  });

  it('wrote nothing for any of the refused requests: no audit event, referral, patient, counter or email', async () => {
    expect(total).toBeGreaterThanOrEqual(10_000 * SCALE);
    const after = await writeSnapshot(stack);
    expect(after.auditEvents).toBe(before.auditEvents);
    expect(after.referralGuards).toBe(before.referralGuards);
    expect(after.patients).toBe(before.patients);
    expect(after.emails).toBe(before.emails);
    expect(after.counters).toBe(before.counters);
    const a = await stack.store().getPatient(active);
    const h = await stack.store().getPatient(held);
    expect([a?.status, a?.pendingDecision?.stage, a?.decidedAt]).toEqual(['active', 'TRIAGE', null]);
    expect(h?.status).toBe('on_hold');
  });
});
