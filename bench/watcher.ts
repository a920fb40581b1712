// Waits for patient records to reach a state, for many patients at once, with one consistent
// BatchGetItem of every awaited patient each interval: the bench's own reads then stay a small
// fraction of the load on DynamoDB Local, where one GetItem per patient per interval would
// outweigh the engine it measures.
import { BatchGetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { PatientRecord } from '../functions/store/pathway-store.js';
import { keys } from '../functions/store/table-layout.js';
import { sleep } from './stats.js';

interface Waiter {
  readonly what: string;
  readonly ok: (p: PatientRecord) => boolean;
  readonly resolve: (p: PatientRecord) => void;
  readonly reject: (err: Error) => void;
  readonly deadline: number;
  last?: PatientRecord;
}

const MAX_ROUNDS = 4;

/**
 * The fields the bench's predicates and the driver read (engine.ts): the rest of the record (the
 * clinical history, the referral, the outbox) is not fetched, so the observer's reads cost
 * DynamoDB Local as little as they can while the engine it measures runs beside them.
 */
const WATCHED = {
  ProjectionExpression: '#id, #st, #sg, taskToken, decidedAt, pendingDecision, notified, lastStep, #h.selectedTechnique',
  ExpressionAttributeNames: { '#id': 'patientId', '#st': 'status', '#sg': 'stage', '#h': 'history' },
};

export class RecordWatcher {
  private readonly waiters = new Map<string, Waiter>();
  private running = false;
  private stopped = false;
  /** Reads the watcher made (for the record: the bench's own load). */
  reads = 0;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly pollMs: number,
  ) {}

  /** Resolves with the record once `ok` holds for it (checked every interval). */
  wait(patientId: string, what: string, ok: (p: PatientRecord) => boolean, timeoutMs = 120_000): Promise<PatientRecord> {
    if (this.waiters.has(patientId)) return Promise.reject(new Error(`already waiting for ${patientId}`));
    const promise = new Promise<PatientRecord>((resolve, reject) => {
      this.waiters.set(patientId, { what, ok, resolve, reject, deadline: Date.now() + timeoutMs });
    });
    if (!this.running) void this.loop();
    return promise;
  }

  stop(): void {
    this.stopped = true;
    for (const [id, w] of this.waiters) w.reject(new Error(`stopped while waiting for ${id}: ${w.what}`));
    this.waiters.clear();
  }

  /**
   * Every interval, one round of batch reads over all awaited patients; a round starts even if
   * earlier ones are still under way (up to MAX_ROUNDS at once), so a slow read does not widen
   * the interval at which a change is seen.
   */
  private async loop(): Promise<void> {
    this.running = true;
    let inFlight = 0;
    const fail = (err: unknown) => {
      for (const w of this.waiters.values()) w.reject(err as Error);
      this.waiters.clear();
    };
    try {
      while (!this.stopped && this.waiters.size > 0) {
        await sleep(this.pollMs);
        if (inFlight >= MAX_ROUNDS) continue;
        const ids = [...this.waiters.keys()];
        inFlight += 1;
        void (async () => {
          try {
            for (let i = 0; i < ids.length; i += 100) await this.check(ids.slice(i, i + 100));
          } catch (err) {
            fail(err);
          } finally {
            inFlight -= 1;
          }
        })();
      }
    } finally {
      this.running = false;
    }
  }

  private async check(ids: string[]): Promise<void> {
    const out = await this.doc.send(new BatchGetCommand({ RequestItems: { [this.table]: { Keys: ids.map((id) => keys.patient(id)), ConsistentRead: true, ...WATCHED } } }));
    this.reads += 1;
    const now = Date.now();
    for (const item of out.Responses?.[this.table] ?? []) {
      // Only the WATCHED fields: enough for the predicates (and `history` holds selectedTechnique alone).
      const record = { history: {}, ...item } as unknown as PatientRecord;
      const w = this.waiters.get(record.patientId);
      if (!w) continue;
      w.last = record;
      if (w.ok(record)) {
        this.waiters.delete(record.patientId);
        w.resolve(record);
      } else if (record.status === 'failed') {
        this.waiters.delete(record.patientId);
        w.reject(new Error(`patient ${record.patientId} failed while waiting for ${w.what}`));
      }
    }
    for (const [id, w] of this.waiters) {
      if (now > w.deadline) {
        this.waiters.delete(id);
        w.reject(new Error(`timed out waiting for ${id}: ${w.what} (stage ${w.last?.stage}, status ${w.last?.status})`));
      }
    }
  }
}
