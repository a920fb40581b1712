// DynamoDB unreachable for a while, right after decisions were acknowledged: the engine's tasks
// fail on connection errors, and the reconciler in the sweep repairs every pathway once the
// database is back (it hands the recorded decision over again or, the execution being gone,
// continues the pathway in a new one). Nothing acknowledged is lost, nothing is done twice.
// The outage is a TCP proxy in front of DynamoDB Local that this test cuts and restores.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../local/free-port.js';
import { acceptTriage } from '../support/fixtures.js';
import { LocalStackUnderTest } from '../support/local-stack.js';

class CuttableProxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  cut = false;
  constructor(readonly port: number, private readonly target: () => number) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      if (this.cut) return void client.destroy();
      const upstream = connect(this.target(), '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => this.server?.listen(this.port, '127.0.0.1', r));
  }
  /** Every open connection reset, every new one refused, until restore(). */
  cutOff(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }
  restore(): void {
    this.cut = false;
  }
  async stop(): Promise<void> {
    this.cutOff();
    await new Promise((r) => this.server?.close(r));
  }
}

let stack: LocalStackUnderTest;
let proxy: CuttableProxy;

beforeAll(async () => {
  stack = await LocalStackUnderTest.start({
    LOCAL_SWEEP_INTERVAL_MS: '1000',
    // The local stack's own knob (it sets PATHWAY_CONFIG itself, so a PATHWAY_CONFIG here was ignored).
    LOCAL_PATHWAY_CONFIG: JSON.stringify({ reconciler: { afterSeconds: 2 } }),
  });
  proxy = new CuttableProxy(await freePort(), () => stack.ports.dynamodb);
  await proxy.start();
  // The handlers now reach DynamoDB through the proxy (same data, same ports otherwise).
  await stack.restart({ LOCAL_DYNAMODB_ENDPOINT: `http://127.0.0.1:${proxy.port}` });
}, 240_000);
afterAll(async () => {
  await stack?.stop();
  await proxy?.stop();
});

describe('a database outage', () => {
  it('leaves no acknowledged decision behind: every pathway is repaired and moves on once DynamoDB is back', async () => {
    const patients = await Promise.all(Array.from({ length: 6 }, () => stack.refer()));
    for (const p of patients) await stack.waitForPending(p.patientId, 'TRIAGE');

    const answers = await Promise.all(patients.map((p) => stack.api('POST', `/patients/${p.patientId}/decisions`, { role: 'physician', body: acceptTriage() })));
    proxy.cutOff();
    expect(answers.map((a) => a.status)).toEqual(patients.map(() => 202));
    await new Promise((r) => setTimeout(r, 8_000));
    proxy.restore();

    for (const p of patients) {
      const waiting = await stack.waitForPending(p.patientId, 'IMAGING_SELECTION').catch(async (err: unknown) => {
        throw new Error(`${(err as Error).message}: ${JSON.stringify(await stack.store().getPatient(p.patientId))}\n${stack.logs().slice(-3000)}`);
      });
      expect(waiting.status).toBe('active');
      const timeline = await stack.store().patientTimeline(p.patientId);
      expect(timeline.filter((e) => e.action === 'decision_recorded')).toHaveLength(1);
      expect(timeline.filter((e) => e.action === 'stage_entered' && e.stage === 'IMAGING_SELECTION')).toHaveLength(1);
      expect(timeline.filter((e) => e.action === 'pathway_failed')).toEqual([]);
    }
    // The outage caught engine tasks mid-way: their executions failed and the reconciler continued them.
    const continued = await Promise.all(patients.map(async (p) => (await stack.store().patientTimeline(p.patientId)).filter((e) => e.action === 'execution_continued').length));
    expect(continued.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    // And each pathway still works: the next decision is taken by the execution the record names.
    const first = patients[0] as { patientId: string };
    const detail = await stack.api('GET', `/patients/${first.patientId}`, { role: 'physician' });
    const body = { stage: 'IMAGING_SELECTION', outcome: 'confirm', technique: detail.body.recommendation.recommended, pendingDecisionId: detail.body.pendingDecision.id };
    expect((await stack.api('POST', `/patients/${first.patientId}/decisions`, { role: 'physician', body })).status).toBe(202);
    await stack.waitForPending(first.patientId, 'MYELOGRAPHY').catch(async (err: unknown) => {
      throw new Error(`${(err as Error).message}: ${JSON.stringify({ ...(await stack.store().getPatient(first.patientId)), patient: undefined })}\n${stack.logs().slice(-3000)}`);
    });
  }, 240_000);
});
