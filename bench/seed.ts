// Synthetic patients at scale for the worklist and throughput figures, written through the
// repository's own item shapes: records are whole PatientRecords (histories built with the
// domain's applyDecision), items are keyed with table-layout's `keys` functions, and one
// record per run is also saved with PathwayStore.savePatient and compared item for item with
// the bulk path, so the two cannot drift apart unnoticed. Bulk writes are BatchWriteItem of 25
// in parallel; counters are the pre-aggregated monthly items (keys.stageMetric & co.) the
// engine would have incremented for the same patients, written whole (idempotent).
//
// Everything is deterministic in (table epoch, patient index): a seeding interrupted half-way
// resumes where it stopped, and a seeded table is reused by the next run.
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { DEFAULT_CONFIG } from '../functions/domain/config.js';
import { applyDecision, emptyHistory } from '../functions/domain/history.js';
import type { ClinicalHistory } from '../functions/domain/patient.js';
import { decisionSchemas, type Decision } from '../functions/domain/schemas.js';
import { DECIDERS } from '../functions/domain/pathway.js';
import { OUTCOMES, type DecisionStage, type HoldReason, type Stage, type Status } from '../functions/domain/vocabulary.js';
import { monthOf, systemClock, ulidIds } from '../functions/shared/clock.js';
import { PathwayStore, patientItem, referralItem, type PatientRecord } from '../functions/store/pathway-store.js';
import { keys } from '../functions/store/table-layout.js';
import { HAPPY_PATH } from './pathway-script.js';
import { seededRandom } from '../local/faults.js';

const DAY = 86_400_000;
type Item = Record<string, unknown>;

export interface SeedTables {
  readonly pathway: string;
  readonly audit: string;
}

/** mulberry32: a small deterministic PRNG, seeded per patient. */
const prng = seededRandom;

function pick<T>(rand: () => number, weighted: readonly (readonly [T, number])[]): T {
  const total = weighted.reduce((a, [, w]) => a + w, 0);
  let u = rand() * total;
  for (const [value, w] of weighted) {
    u -= w;
    if (u < 0) return value;
  }
  return (weighted.at(-1) as readonly [T, number])[0];
}

// A program that has run for a while: most pathways closed, about a third open.
const STATUS_MIX: readonly (readonly [Status, number])[] = [
  ['active', 28],
  ['on_hold', 4],
  ['completed', 40],
  ['discharged', 16],
  ['lost_to_follow_up', 6],
  ['withdrawn', 5],
  ['failed', 1],
];
const OPEN_STAGE_MIX: readonly (readonly [DecisionStage, number])[] = [
  ['TRIAGE', 20],
  ['IMAGING_SELECTION', 8],
  ['MYELOGRAPHY', 15],
  ['TREATMENT_PLANNING', 10],
  ['TARGETED_PATCH', 10],
  ['NEUROSURGICAL_ESCALATION', 4],
  ['FOLLOW_UP', 33],
];
/** Typical days spent in each stage, for stage entry dates and the days-in-stage histograms. */
const STAGE_DAYS: Record<DecisionStage, readonly [number, number]> = {
  TRIAGE: [0, 14],
  IMAGING_SELECTION: [0, 6],
  MYELOGRAPHY: [3, 60],
  TREATMENT_PLANNING: [1, 14],
  TARGETED_PATCH: [3, 40],
  NEUROSURGICAL_ESCALATION: [7, 90],
  FOLLOW_UP: [1, 365],
};

/** Clinical histories after k steps of the happy path (k = 0..9), built by the domain itself. */
function historiesAlongPath(epoch: Date): ClinicalHistory[] {
  const out: ClinicalHistory[] = [];
  let history = emptyHistory({ orthostaticPattern: 'classic_immediate', duralPunctureWithin30Days: false, priorSpinalProcedure: false, urgency: 'routine', hit6Baseline: 66 });
  out.push(history);
  let technique = 'prone_dynamic_ctm';
  for (const step of HAPPY_PATH) {
    const body = step.body(technique);
    const decision = decisionSchemas[step.stage].parse(body) as Decision;
    history = applyDecision(history, decision, DEFAULT_CONFIG, epoch).history;
    technique = history.selectedTechnique ?? technique;
    out.push(history);
  }
  return out;
}

/** How far along the happy path a patient pending at `stage` is. */
const PROGRESS_AT: Record<DecisionStage, number> = {
  TRIAGE: 0,
  IMAGING_SELECTION: 1,
  MYELOGRAPHY: 2,
  TREATMENT_PLANNING: 3,
  TARGETED_PATCH: 4,
  NEUROSURGICAL_ESCALATION: 4,
  FOLLOW_UP: 5,
};
const PATH_STAGES: readonly DecisionStage[] = ['TRIAGE', 'IMAGING_SELECTION', 'MYELOGRAPHY', 'TREATMENT_PLANNING', 'TARGETED_PATCH', 'FOLLOW_UP'];

export interface SyntheticPatient {
  readonly record: PatientRecord;
  /** Stages passed through, with entry time and days spent (for the counters). */
  readonly stays: readonly { readonly stage: Stage; readonly enteredAt: number; readonly days: number | null }[];
}

export class PatientFactory {
  private readonly histories: ClinicalHistory[];

  constructor(private readonly epoch: Date) {
    this.histories = historiesAlongPath(epoch);
  }

  /** Patient number `index` of a table seeded at `epoch`: always the same patient. */
  patient(index: number): SyntheticPatient {
    const rand = prng(index * 2654435761 + 17);
    const now = this.epoch.getTime();
    const createdAt = now - Math.floor(rand() * 730 * DAY);
    const patientId = ulid(createdAt, rand);
    const status = pick(rand, STATUS_MIX);
    const open = status === 'active' || status === 'on_hold';
    let stage: DecisionStage;
    if (open) stage = pick(rand, OPEN_STAGE_MIX);
    else if (status === 'completed' || status === 'lost_to_follow_up') stage = 'FOLLOW_UP';
    else if (status === 'discharged') stage = rand() < 0.7 ? 'TRIAGE' : 'TREATMENT_PLANNING';
    else stage = pick(rand, OPEN_STAGE_MIX);

    // Stages passed, in order, up to the current one; each with plausible days spent.
    const path = stage === 'NEUROSURGICAL_ESCALATION' ? [...PATH_STAGES.slice(0, 4), 'NEUROSURGICAL_ESCALATION' as const] : PATH_STAGES.slice(0, PATH_STAGES.indexOf(stage) + 1);
    const stays: { stage: Stage; enteredAt: number; days: number | null }[] = [{ stage: 'REFERRAL', enteredAt: createdAt, days: 0 }];
    let t = createdAt;
    for (const s of path) {
      const [lo, hi] = STAGE_DAYS[s];
      const days = lo + Math.floor(rand() * (hi - lo + 1));
      const current = s === stage;
      stays.push({ stage: s, enteredAt: t, days: current && open ? null : days });
      if (!current) t += days * DAY;
    }
    const stageEnteredAt = Math.min(t, now - Math.floor(rand() * 3 * DAY));
    const progress = status === 'completed' ? 9 : status === 'lost_to_follow_up' ? 5 : PROGRESS_AT[stage];
    const history = this.histories[progress] as ClinicalHistory;
    const lastStep = progress + 2;
    const serviceDays = stage === 'FOLLOW_UP' ? 30 : (DEFAULT_CONFIG.serviceLevelDays[stage] ?? 7);
    // Due dates around now: roughly one open patient in five is overdue.
    const dueAt = open ? new Date(stageEnteredAt + serviceDays * DAY * (0.3 + rand() * 1.2) + 3 * DAY).toISOString() : null;
    const role = DECIDERS[stage].includes('physician') ? 'physician' : 'coordinator';
    const n = index + 1;
    const iso = (ms: number) => new Date(ms).toISOString();
    const record: PatientRecord = {
      rev: lastStep + 3,
      patientId,
      caseRef: `CSF-${iso(createdAt).slice(0, 4)}-${String(n).padStart(6, '0')}`,
      referralId: `SEED-${n}`,
      referralHash: (index * 7919).toString(16).padStart(64, '0'),
      createdAt: iso(createdAt),
      site: n % 2 === 0 ? 'santa-clara' : 'roseville-sacramento',
      urgency: rand() < 0.1 ? 'urgent' : 'routine',
      patient: { mrn: `SYN${100000 + n}`, givenName: 'Seedina', familyName: `Synthetica${n}`, birthDate: '1980-01-01', sex: 'female' },
      referringPhysician: { name: 'Dr. Example Referrer', email: 'referrer@example.org' },
      referral: { symptomOnset: iso(createdAt - 90 * DAY).slice(0, 10), orthostaticPattern: 'classic_immediate', duralPunctureWithin30Days: false, priorSpinalProcedure: false, urgency: 'routine', hit6Baseline: 66 },
      stage,
      status,
      stageEnteredAt: iso(stageEnteredAt),
      dueAt,
      awaiting: open ? { stage, role } : null,
      pathwayVersion: '1',
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:CarePathway:${patientId}`,
      executionStarted: true,
      history,
      lastStep,
      lastTransition: { step: lastStep, fromStage: stays.at(-2)?.stage ?? 'REFERRAL', fromStatus: 'active' },
      notified: { step: lastStep, templates: ['stage_entered'] },
      pendingDecision: open
        ? { id: `seed-${patientId}`, stage, allowedOutcomes: [...OUTCOMES[stage]], dueAt: dueAt as string, createdAt: iso(stageEnteredAt), step: lastStep, ...(stage === 'FOLLOW_UP' ? { visit: 'day1' as const } : {}) }
        : null,
      taskToken: open ? `seed-token-${patientId}-${'x'.repeat(40)}` : null,
      decidedAt: null,
      decisionOutput: null,
      holdDaysInStage: 0,
      ...(status === 'on_hold' ? { hold: { reason: 'travel' as HoldReason, since: iso(stageEnteredAt + DAY) } } : {}),
    };
    return { record, stays };
  }
}

/** The items exactly as PathwayStore stores them. */
export { patientItem, referralItem };

export function documentClient(client: ConstructorParameters<typeof PathwayStore>[0]): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

const normalise = (item: Item | undefined): string => JSON.stringify(item, Object.keys(item ?? {}).sort());

/**
 * Save one synthetic patient with PathwayStore.savePatient and check that the stored items equal
 * what the bulk path writes; then remove both items again.
 */
export async function checkItemShapes(client: ConstructorParameters<typeof PathwayStore>[0], tables: SeedTables, factory: PatientFactory): Promise<void> {
  const doc = documentClient(client);
  const store = new PathwayStore(client, tables, systemClock, ulidIds);
  const base = factory.patient(0).record;
  const probe: PatientRecord = { ...base, patientId: ulidIds.next(), referralId: `SHAPE-CHECK-${Date.now()}` };
  await store.savePatient(probe, 'new');
  try {
    for (const [key, expected] of [
      [keys.patient(probe.patientId), patientItem(probe)],
      [keys.referral(probe.referralId), referralItem(probe)],
    ] as const) {
      const stored = (await doc.send(new GetCommand({ TableName: tables.pathway, Key: key, ConsistentRead: true }))).Item;
      const a = JSON.parse(normalise(stored)) as Item;
      const b = JSON.parse(normalise(expected)) as Item;
      const differing = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
      if (differing.length > 0) {
        throw new Error(`bench/seed.ts writes items that differ from PathwayStore.savePatient's in ${differing.join(', ')}: update patientItem/referralItem`);
      }
    }
  } finally {
    await doc.send(new DeleteCommand({ TableName: tables.pathway, Key: keys.patient(probe.patientId) }));
    await doc.send(new DeleteCommand({ TableName: tables.pathway, Key: keys.referral(probe.referralId) }));
  }
}

/** BatchWriteItem with retries of unprocessed items (DynamoDB Local throttles nothing, but may). */
export async function batchPut(doc: DynamoDBDocumentClient, table: string, items: readonly Item[]): Promise<void> {
  for (let i = 0; i < items.length; i += 25) {
    let requests: { PutRequest: { Item: Item } }[] = items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 10) throw new Error('BatchWriteItem kept returning unprocessed items');
      if (attempt > 0) await new Promise((r) => setTimeout(r, 20 * 2 ** attempt));
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      requests = (out.UnprocessedItems?.[table] ?? []) as typeof requests;
    }
  }
}

/** The monthly counter items the engine would hold for patients [0, count). */
export function counterItems(factory: PatientFactory, count: number): Item[] {
  const items = new Map<string, Item>();
  const add = (key: { PK: string; SK: string }, attr: string, n = 1) => {
    const id = `${key.PK}|${key.SK}`;
    const item = items.get(id) ?? { ...key };
    item[attr] = ((item[attr] as number | undefined) ?? 0) + n;
    items.set(id, item);
  };
  const month = (ms: number) => monthOf(new Date(ms).toISOString());
  for (let i = 0; i < count; i++) {
    const { record, stays } = factory.patient(i);
    add(keys.funnelMetric(month(Date.parse(record.createdAt))), 'referrals');
    for (const stay of stays) {
      add(keys.stageMetric(month(stay.enteredAt), stay.stage), 'entered');
      if (stay.days !== null) {
        const exitedAt = stay.enteredAt + stay.days * DAY;
        add(keys.stageMetric(month(exitedAt), stay.stage), 'exited');
        add(keys.stageMetric(month(exitedAt), stay.stage), `d${Math.min(400, stay.days)}`);
        const m = month(exitedAt);
        if (stay.stage === 'TRIAGE' && record.status !== 'discharged') add(keys.funnelMetric(m), 'accepted');
        if (stay.stage === 'MYELOGRAPHY') {
          add(keys.funnelMetric(m), 'myelographies');
          add(keys.funnelMetric(m), 'localised');
          add(keys.yieldMetric(m), 'prone_dynamic_ctm|present|studies');
          add(keys.yieldMetric(m), 'prone_dynamic_ctm|present|localised');
        }
        if (stay.stage === 'TARGETED_PATCH') add(keys.funnelMetric(m), 'treated');
        if (stay.stage === 'FOLLOW_UP') {
          for (const f of record.history.followUps) add(keys.outcomeMetric(m), `targeted_ebp_ct|${f.visit}|${f.outcome}`);
          if (record.status === 'completed') add(keys.funnelMetric(m), 'completed');
        }
      }
    }
  }
  return [...items.values()];
}

export async function putCounters(doc: DynamoDBDocumentClient, table: string, items: readonly Item[]): Promise<void> {
  for (const Item of items) await doc.send(new PutCommand({ TableName: table, Item }));
}
