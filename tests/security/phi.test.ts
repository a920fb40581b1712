// PHI stays in the record of truth: patients with distinctive synthetic names, MRNs, birth dates
// and free text go through several stages (with failing mail and a failing transition, so the
// error paths log too); none of it may appear in an email, in the stack's logs, in an execution
// name, ARN, input or history of the engine, in any other file the stack writes outside
// DynamoDB, or in any URL the API returns.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DescribeExecutionCommand, ListExecutionsCommand, ListStateMachinesCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acceptTriage, leakFound, patchPerformed, referralBody } from '../support/fixtures.js';
import { LocalStackUnderTest, type Email } from '../support/local-stack.js';

/** Synthetic people: every value is invented and distinctive enough to search for. */
const PEOPLE = [
  { givenName: 'Zephyrine', familyName: 'Quillfeather-Okonkwo', mrn: 'MRN7Q4ZX91PHI', birthDate: '1971-07-29', sex: 'female' },
  { givenName: 'Bartholomew', familyName: 'Nakamura-Ellsworth', mrn: 'MRNB88QW22PHI', birthDate: '1958-02-14', sex: 'male' },
  { givenName: 'Ysolde', familyName: 'Marchetti-Farrow', mrn: 'MRNC31UU07PHI', birthDate: '1990-12-03', sex: 'female' },
  { givenName: 'Thaddeus', familyName: 'Oyelaran-Pemberton', mrn: 'MRND55KP43PHI', birthDate: '1966-09-17', sex: 'other' },
] as const;
const REFERRER = 'Dr. Ignatius Vantablack';
const NOTE = 'Lives at 42 Wallaby Way with Oriel Quillfeather';
/** Free text a clinician might write about the patient by name. */
const FREE_TEXT = (p: (typeof PEOPLE)[number]) => `${p.givenName} ${p.familyName} asked to pause`;

/** Every form a birth date might be printed in, plus the names, MRNs and free text. */
const MARKERS = [
  ...PEOPLE.flatMap((p) => {
    const [y, m, d] = p.birthDate.split('-') as [string, string, string];
    return [p.givenName, p.familyName, p.mrn, p.birthDate, `${m}/${d}/${y}`, `${d}/${m}/${y}`, `${y}${m}${d}`, `${d}.${m}.${y}`];
  }),
  REFERRER,
  'Vantablack',
  'Wallaby',
  'Oriel',
];
const PHI_KEYS = new Set(['mrn', 'givenName', 'familyName', 'birthDate', 'referringPhysician', 'notes', 'patient']);

let stack: LocalStackUnderTest;
const ids: string[] = [];
/** Every response body the API gave during the run. */
const responses: string[] = [];

const found = (text: string) => MARKERS.filter((m) => text.toLowerCase().includes(m.toLowerCase()));

beforeAll(async () => {
  stack = await LocalStackUnderTest.start({
    LOCAL_FAULTS: JSON.stringify([
      // Transient trouble in every engine task (retried, logged). An email SES refuses for good is
      // covered without servers (tests/unit/engine.test.ts): the engine sends mail inside its tasks.
      { function: 'enter-stage', error: 'TransientError', probability: 0.2 },
      { function: 'close-pathway', error: 'TransientError', probability: 0.2 },
      // Entering neurosurgery cannot be persisted: the pathway fails and admins are alerted.
      { function: 'enter-stage', error: 'CorruptRecordError', match: { stage: 'NEUROSURGICAL_ESCALATION' } },
    ]),
  });
  const api = async (role: 'coordinator' | 'physician' | 'administrator', method: string, path: string, body?: unknown) => {
    const res = await stack.api(method, path, { role, ...(body === undefined ? {} : { body }) });
    responses.push(res.text);
    return res;
  };
  const decide = async (id: string, body: Record<string, unknown>, role: 'physician' | 'coordinator' = 'physician') => {
    await stack.waitForPending(id, String(body.stage));
    const res = await api(role, 'POST', `/patients/${id}/decisions`, body);
    expect(res.status, res.text).toBe(202);
  };

  for (const p of PEOPLE) {
    const res = await api('coordinator', 'POST', '/referrals', referralBody({ patient: p, referringPhysician: { name: REFERRER, email: 'referrer@example.org' }, notes: NOTE }));
    expect(res.status, res.text).toBe(201);
    ids.push(res.body.patientId as string);
  }
  // An invalid referral carrying the same PHI: refused, and nothing of it may be logged.
  await api('coordinator', 'POST', '/referrals', referralBody({ patient: { ...PEOPLE[0], birthDate: '2999-01-01' }, site: 'atlantis', notes: NOTE }));
  const [a, b, c, d] = ids as [string, string, string, string];

  // A: triage to follow-up, through every clinical stage.
  await decide(a, { ...acceptTriage('present'), reason: FREE_TEXT(PEOPLE[0]) });
  await stack.waitForPending(a, 'IMAGING_SELECTION');
  const technique = (await api('physician', 'GET', `/patients/${a}`)).body.recommendation.recommended as string;
  await decide(a, { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique, reason: FREE_TEXT(PEOPLE[0]) });
  await decide(a, leakFound(technique));
  await decide(a, { stage: 'TREATMENT_PLANNING', outcome: 'targeted_patch', reason: FREE_TEXT(PEOPLE[0]) });
  await decide(a, patchPerformed);
  await decide(a, { stage: 'FOLLOW_UP', outcome: 'improved', visit: 'day1', reason: FREE_TEXT(PEOPLE[0]) }, 'coordinator');
  await stack.waitForPending(a, 'FOLLOW_UP');

  // B: more information asked of the referring physician, then declined (milestone emails).
  await decide(b, { stage: 'TRIAGE', outcome: 'request_info', reason: FREE_TEXT(PEOPLE[1]) });
  await decide(b, { stage: 'TRIAGE', outcome: 'decline', reason: FREE_TEXT(PEOPLE[1]) });
  await stack.waitForStatus(b, 'discharged');

  // C: on hold with a note naming the patient, resumed, then withdrawn with a reason naming them.
  await stack.waitForPending(c, 'TRIAGE');
  expect((await api('coordinator', 'POST', `/patients/${c}/hold`, { reason: 'patient_request', note: FREE_TEXT(PEOPLE[2]) })).status).toBe(202);
  expect((await api('coordinator', 'POST', `/patients/${c}/resume`, {})).status).toBe(202);
  expect((await api('coordinator', 'POST', `/patients/${c}/withdraw`, { reason: FREE_TEXT(PEOPLE[2]) })).status).toBe(202);
  await stack.waitForStatus(c, 'withdrawn');

  // D: planning escalates to neurosurgery, which cannot be persisted: the pathway fails.
  await decide(d, acceptTriage('absent'));
  await decide(d, { stage: 'IMAGING_SELECTION', outcome: 'override', technique: 'decubitus_ctm', reason: FREE_TEXT(PEOPLE[3]) });
  await decide(d, leakFound('decubitus_ctm'));
  await decide(d, { stage: 'TREATMENT_PLANNING', outcome: 'neurosurgery', reason: FREE_TEXT(PEOPLE[3]) });
  await stack.waitForStatus(d, 'failed');
  await stack.waitFor('the failure alert', async () => (await stack.inbox()).some((m) => m.destination.to.includes('administrators@example.org') && m.body.text?.includes('stopped')));

  // Reads that return data and URLs.
  for (const id of ids) await api('coordinator', 'GET', `/patients/${id}`);
  await api('physician', 'GET', '/patients?limit=50');
  await api('administrator', 'GET', '/audit?limit=200');
  const month = new Date().toISOString().slice(0, 7);
  await api('administrator', 'GET', `/metrics/throughput?from=${month}&to=${month}`);
  await api('administrator', 'GET', `/metrics/throughput?from=${month}&to=${month}&format=csv`);
}, 240_000);

afterAll(async () => {
  await stack?.stop();
});

/** Every file under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** Keys of every object in a JSON value, at any depth (JSON strings inside are parsed too). */
function keysDeep(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string' && /^[[{]/.test(value)) {
    try {
      return keysDeep(JSON.parse(value), out);
    } catch {
      return out;
    }
  }
  if (value === null || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value)) {
    if (!Array.isArray(value)) out.add(k);
    keysDeep(v, out);
  }
  return out;
}

describe('patient-identifying data stays in the record of truth', () => {
  it('holds the PHI in the patient record, where it belongs (the markers are findable)', async () => {
    const p = await stack.store().getPatient(ids[0] as string);
    expect(p?.patient.familyName).toBe(PEOPLE[0].familyName);
    expect(found(JSON.stringify(p)).length).toBeGreaterThan(0);
  });

  it('puts no name, MRN, birth date or free text in any email: subject, text or html', async () => {
    const inbox: Email[] = await stack.inbox();
    expect(inbox.length).toBeGreaterThan(20);
    const leaks = inbox.flatMap((m) => found(`${m.subject}\n${m.body.text ?? ''}\n${m.body.html ?? ''}`).map((x) => `${m.subject}: ${x}`));
    expect(leaks).toEqual([]);
  });

  it('links emails to the case by id only', async () => {
    const inbox = await stack.inbox();
    const links = inbox.flatMap((m) => [...`${m.body.text ?? ''} ${m.body.html ?? ''}`.matchAll(/https?:\/\/[^\s"'<>]+/g)].map((x) => x[0]));
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/patients\/[0-9A-Z]{26}$/);
  });

  it('writes none of it to the stack logs (stdout and stderr)', () => {
    const logs = stack.logs();
    expect(logs).toContain('CSF Leak Pathway is running');
    expect(found(logs)).toEqual([]);
  });

  it('names executions by id and gives the engine ids only: no PHI in names, ARNs, inputs or history', async () => {
    const sfn = new SFNClient({ endpoint: `http://127.0.0.1:${stack.ports.sfn}`, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const machines = (await sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
    const executions = (await Promise.all(machines.map((m) => sfn.send(new ListExecutionsCommand({ stateMachineArn: m.stateMachineArn }))))).flatMap((r) => r.executions ?? []);
    expect(executions.length).toBeGreaterThanOrEqual(PEOPLE.length);
    for (const e of executions) {
      expect(e.name).toMatch(/^[0-9A-Z]{26}(-s\d+)?$/);
      expect(found(String(e.executionArn))).toEqual([]);
      const described = await sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
      expect(found(`${described.input ?? ''}${described.output ?? ''}${described.cause ?? ''}`)).toEqual([]);
      expect([...keysDeep(JSON.parse(described.input ?? '{}'))].filter((k) => PHI_KEYS.has(k))).toEqual([]);
    }
    sfn.destroy();
    for (const id of ids) {
      const p = await stack.store().getPatient(id);
      expect(p?.executionArn).toMatch(new RegExp(`:${id}(-s\\d+)?$`));
    }
  });

  it('keeps the local engine files (executions and history) and every other file outside DynamoDB free of PHI', () => {
    const sfnFiles = filesUnder(join(stack.dataDir, 'stepfunctions'));
    expect(sfnFiles.some((f) => f.endsWith('.history.jsonl'))).toBe(true);
    const leaks: string[] = [];
    const phiKeys: string[] = [];
    for (const f of filesUnder(stack.dataDir)) {
      const rel = relative(stack.dataDir, f);
      if (rel.startsWith('dynamodb')) continue; // the record of truth
      const text = readFileSync(f, 'utf8');
      for (const m of found(text)) leaks.push(`${rel}: ${m}`);
      if (rel.startsWith('stepfunctions') && !rel.startsWith('stepfunctions-versions')) {
        for (const line of text.split('\n').filter(Boolean)) {
          try {
            for (const k of keysDeep(JSON.parse(line))) if (PHI_KEYS.has(k)) phiKeys.push(`${rel}: ${k}`);
          } catch {
            // not JSON
          }
        }
      }
    }
    expect(leaks).toEqual([]);
    expect([...new Set(phiKeys)]).toEqual([]);
  });

  it('returns no PHI in any URL or ARN the API gives out', () => {
    const urls = responses.flatMap((r) => [...r.matchAll(/(https?:\/\/[^\s"'<>\\]+|arn:aws:[^\s"'\\]+)/g)].map((m) => m[0]));
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.flatMap((u) => found(decodeURIComponent(u)).map((m) => `${u}: ${m}`))).toEqual([]);
  });
});
