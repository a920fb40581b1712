// Each patient's audit events chained by hash: an intact trail verifies, and a changed, re-hashed
// or removed event is found where it is.
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, auditEventHash, canonicalJson, linkAuditEvent, linkAuditEvents, verifyAuditChain } from '../../functions/domain/audit-chain.js';

const event = (n: number) => ({
  eventId: `E${n}`,
  at: `2026-12-03T10:00:0${n}.000Z`,
  action: n === 0 ? 'referral_created' : 'record_viewed',
  patientId: 'P1',
  stage: 'TRIAGE',
  actor: { sub: 'u1', email: 'coordinator@example.org', role: 'coordinator' },
  details: { n },
});
/** As stored: with the table's keys beside the content. */
const stored = (events: Record<string, unknown>[]): Record<string, unknown>[] => events.map((e) => ({ PK: 'PATIENT#P1', SK: `${String(e.at)}#${String(e.eventId)}`, GSI1PK: 'MONTH#2026-12', GSI1SK: 'x', ...e }));
const trail = () => stored(linkAuditEvents(GENESIS_HASH, [0, 1, 2, 3].map(event)));

describe('the audit chain', () => {
  it('hashes the same content the same, whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }));
  });

  it('links each event to the one before it, the first to the genesis', () => {
    const [first, second] = linkAuditEvents(GENESIS_HASH, [event(0), event(1)]);
    expect(first?.prevHash).toBe(GENESIS_HASH);
    expect(second?.prevHash).toBe(first?.hash);
    expect(second?.hash).toBe(auditEventHash({ ...event(1), prevHash: first?.hash }));
  });

  it('verifies an untouched trail, table keys and all', () => {
    const report = verifyAuditChain(trail());
    expect(report).toMatchObject({ total: 4, verified: 4, intact: true, firstBreak: null });
  });

  it('finds an event whose content was changed', () => {
    const items = trail();
    items[2] = { ...items[2], details: { n: 99 } };
    const report = verifyAuditChain(items);
    expect(report.intact).toBe(false);
    expect(report.firstBreak).toMatchObject({ index: 2, eventId: 'E2', verdict: 'content_changed' });
    expect(report.events.map((e) => e.verdict)).toEqual(['ok', 'ok', 'content_changed', 'ok']);
  });

  it('finds a changed event even when its hash was recomputed: the next link breaks', () => {
    const items = trail();
    const forged = linkAuditEvent(String(items[1]?.hash), { ...event(2), details: { n: 99 } });
    items[2] = { ...items[2], ...forged };
    const report = verifyAuditChain(items);
    expect(report.firstBreak).toMatchObject({ index: 3, eventId: 'E3', verdict: 'link_broken' });
  });

  it('finds a removed event: the one after it links to nothing', () => {
    const items = trail();
    items.splice(1, 1);
    expect(verifyAuditChain(items).firstBreak).toMatchObject({ eventId: 'E2', verdict: 'link_broken' });
  });

  it('accepts two events written at once on the same predecessor (a fork is not tampering)', () => {
    const [first] = linkAuditEvents(GENESIS_HASH, [event(0)]);
    const twinA = linkAuditEvent(String(first?.hash), event(1));
    const twinB = linkAuditEvent(String(first?.hash), event(2));
    expect(verifyAuditChain(stored([first!, twinA, twinB])).intact).toBe(true);
  });

  it('does not accept a late event claiming to be the first', () => {
    const items = trail();
    items.push(...stored([linkAuditEvent(GENESIS_HASH, event(4))]));
    expect(verifyAuditChain(items).firstBreak).toMatchObject({ eventId: 'E4', verdict: 'link_broken' });
  });

  it('reports events from before the chain as unchained, not broken', () => {
    const legacy = stored([event(0)]);
    const rest = stored(linkAuditEvents(GENESIS_HASH, [event(1)]));
    const report = verifyAuditChain([...legacy, ...rest]);
    expect(report.intact).toBe(true);
    expect(report.events.map((e) => e.verdict)).toEqual(['unchained', 'ok']);
  });
});
