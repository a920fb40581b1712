// Tamper evidence for the audit trail: each patient's audit events are chained by hash. An event
// carries the hash of the event written before it for the same patient (`prevHash`) and its own
// hash over its content and that link (`hash`). Changing an event's content breaks its own hash;
// changing its hash too breaks the link of the event after it; deleting one leaves a link to
// nothing. (Rewriting the whole tail consistently is what the Object Lock exports in the cloud
// catch: the hashes there cannot change.) Pure functions: the store links events as it writes
// them, the administrators' verification reads them back.
import { createHash } from 'node:crypto';

/** The link of a patient's first event. */
export const GENESIS_HASH = '0'.repeat(64);

/** Attributes of a stored audit item that are not its content (keys and index keys, the hash itself). */
const NOT_CONTENT = new Set(['PK', 'SK', 'GSI1PK', 'GSI1SK', 'hash']);

/** JSON with object keys sorted at every level, so the same content always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** The hash of an audit event: its content (with its `prevHash` link), without keys and its own hash. */
export function auditEventHash(event: Readonly<Record<string, unknown>>): string {
  const content = Object.fromEntries(Object.entries(event).filter(([k]) => !NOT_CONTENT.has(k)));
  return createHash('sha256').update(canonicalJson(content)).digest('hex');
}

/** An event linked to the chain head `prevHash`. */
export function linkAuditEvent<E extends object>(prevHash: string, event: E): E & { readonly prevHash: string; readonly hash: string } {
  const linked = { ...event, prevHash };
  return { ...linked, hash: auditEventHash(linked as Record<string, unknown>) };
}

/** Events written together link one after the other, the first to `prevHash`. */
export function linkAuditEvents<E extends object>(prevHash: string, events: readonly E[]): (E & { readonly prevHash: string; readonly hash: string })[] {
  let head = prevHash;
  return events.map((e) => {
    const linked = linkAuditEvent(head, e);
    head = linked.hash;
    return linked;
  });
}

export type AuditEventVerdict =
  /** Content, hash and link all hold. */
  | 'ok'
  /** The stored hash is not the hash of the stored content: the event was changed. */
  | 'content_changed'
  /** The event links to a hash no event of the patient has: the one before it was changed or removed. */
  | 'link_broken'
  /** Written before the chain existed (no hash): nothing to verify. */
  | 'unchained';

export interface AuditChainReport {
  readonly total: number;
  readonly verified: number;
  readonly intact: boolean;
  /** The first event (in trail order) that does not verify. */
  readonly firstBreak: { readonly index: number; readonly eventId: string; readonly at: string; readonly verdict: AuditEventVerdict } | null;
  readonly events: readonly { readonly eventId: string; readonly at: string; readonly action: string; readonly verdict: AuditEventVerdict }[];
}

/**
 * Verify one patient's audit items, as stored, in trail order. Two events written at the same
 * instant may both link to the same predecessor (a fork): that is not tampering, so a link is
 * sound when it names the hash of any other event of the patient, or the genesis while no event
 * before it is linked to anything else.
 */
export function verifyAuditChain(items: readonly Readonly<Record<string, unknown>>[]): AuditChainReport {
  const stored = new Set(items.map((i) => i.hash).filter((h): h is string => typeof h === 'string'));
  let genesisAllowed = true;
  let firstBreak: AuditChainReport['firstBreak'] = null;
  const events = items.map((item, index) => {
    const hash = item.hash;
    const prevHash = item.prevHash;
    let verdict: AuditEventVerdict;
    if (typeof hash !== 'string' || typeof prevHash !== 'string') verdict = 'unchained';
    else if (auditEventHash(item) !== hash) verdict = 'content_changed';
    else if (prevHash === GENESIS_HASH ? !genesisAllowed : prevHash === hash || !stored.has(prevHash)) verdict = 'link_broken';
    else verdict = 'ok';
    if (typeof prevHash === 'string' && prevHash !== GENESIS_HASH) genesisAllowed = false;
    const eventId = String(item.eventId ?? '');
    const at = String(item.at ?? '');
    if (verdict !== 'ok' && verdict !== 'unchained' && !firstBreak) firstBreak = { index, eventId, at, verdict };
    return { eventId, at, action: String(item.action ?? ''), verdict };
  });
  const verified = events.filter((e) => e.verdict === 'ok').length;
  return { total: events.length, verified, intact: firstBreak === null, firstBreak, events };
}
