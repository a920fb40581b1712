// Pure domain: schemas, transitions, service levels and emails.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, loadConfig } from '../../functions/domain/config.js';
import { emailsFor, escapeHtml, type NotificationEvent } from '../../functions/domain/notifications.js';
import { applyDecision, emptyHistory, nextFollowUpVisit } from '../../functions/domain/history.js';
import { decisionSchemas, referralSchema, vertebralLevel } from '../../functions/domain/schemas.js';
import { dueAtFor } from '../../functions/domain/service-levels.js';
import { CARE_PATHWAY } from '../../functions/domain/pathway.js';
import { DECISION_STAGES } from '../../functions/domain/vocabulary.js';
import { acceptTriage, referralBody } from '../support/fixtures.js';

const history = emptyHistory({ orthostaticPattern: 'classic_immediate', duralPunctureWithin30Days: false, priorSpinalProcedure: false, urgency: 'routine' });
const now = new Date('2026-11-26T10:00:00Z');

describe('request schemas', () => {
  it('accepts a complete synthetic referral', () => {
    expect(referralSchema.safeParse(referralBody()).success).toBe(true);
  });

  it('rejects unknown fields, unknown sites and impossible dates', () => {
    const r = referralSchema.safeParse(referralBody({ site: 'nowhere', symptomOnset: '2026-02-30', surprise: true }));
    expect(r.success).toBe(false);
    const paths = r.success ? [] : r.error.issues.map((i) => i.path.join('.') || i.code);
    expect(paths).toEqual(expect.arrayContaining(['site', 'symptomOnset']));
    expect(r.success ? [] : r.error.issues.map((i) => i.code)).toContain('unrecognized_keys');
  });

  it('requires the MRI findings and ICHD-3 status to accept at triage', () => {
    expect(decisionSchemas.TRIAGE.safeParse({ stage: 'TRIAGE', outcome: 'accept' }).success).toBe(false);
    expect(decisionSchemas.TRIAGE.safeParse(acceptTriage()).success).toBe(true);
  });

  it('requires a leak description for leak_found and a reason for an override', () => {
    expect(decisionSchemas.MYELOGRAPHY.safeParse({ stage: 'MYELOGRAPHY', outcome: 'leak_found', technique: 'decubitus_ctm', performedOn: '2026-11-01' }).success).toBe(false);
    expect(decisionSchemas.IMAGING_SELECTION.safeParse({ stage: 'IMAGING_SELECTION', outcome: 'override', technique: 'decubitus_ctm' }).success).toBe(false);
  });

  it('accepts vertebral levels and ranges, including T13, and nothing else', () => {
    for (const ok of ['C1', 'T7-T8', 'T13', 'L5-S1', 'S5']) expect(vertebralLevel.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['T0', 'T14', 'C8', 'X1', 'T7-', 't7']) expect(vertebralLevel.safeParse(bad).success, bad).toBe(false);
  });

  it('never throws on arbitrary input to any decision schema', () => {
    fc.assert(
      fc.property(fc.constantFrom(...DECISION_STAGES), fc.anything(), (stage, value) => {
        expect(() => decisionSchemas[stage].safeParse(value)).not.toThrow();
      }),
      { numRuns: 500 },
    );
  });
});

describe('pathway transitions', () => {
  it('counts negative studies and reports the review threshold on the third', () => {
    let h = history;
    const facts = [];
    for (let i = 0; i < 3; i++) {
      const r = applyDecision(h, { stage: 'MYELOGRAPHY', outcome: 'no_leak', technique: 'decubitus_ctm', performedOn: '2026-11-01' }, DEFAULT_CONFIG, now);
      h = r.history;
      facts.push(r.facts.negativeLimitReached);
    }
    expect(facts).toEqual([false, false, true]);
  });

  it('honours a configured negative-study threshold', () => {
    const config = { ...DEFAULT_CONFIG, thresholds: { ...DEFAULT_CONFIG.thresholds, negativeStudiesBeforeReview: 1 } };
    const r = applyDecision(history, { stage: 'MYELOGRAPHY', outcome: 'equivocal', technique: 'decubitus_ctm', performedOn: '2026-11-01' }, config, now);
    expect(r.facts.negativeLimitReached).toBe(true);
  });

  it('walks the follow-up schedule visit by visit and marks the last', () => {
    let h = applyDecision(history, { stage: 'TARGETED_PATCH', outcome: 'performed', procedure: 'targeted_ebp_ct', levels: ['T7'], performedOn: '2026-11-20' }, DEFAULT_CONFIG, now).history;
    const seen: string[] = [];
    for (;;) {
      const visit = nextFollowUpVisit(h, DEFAULT_CONFIG);
      if (!visit) break;
      seen.push(visit);
      const r = applyDecision(h, { stage: 'FOLLOW_UP', outcome: 'improved', visit }, DEFAULT_CONFIG, now);
      h = r.history;
      expect(r.facts.lastVisit).toBe(visit === 'month12');
    }
    expect(seen).toEqual(['day1', 'week1', 'month3', 'month12']);
  });
});

describe('service levels', () => {
  it('gives each stage its configured days and follow-up visits their scheduled day after the procedure', () => {
    expect(dueAtFor(CARE_PATHWAY, 'TRIAGE', history, DEFAULT_CONFIG, now)).toBe('2026-12-03T10:00:00.000Z');
    expect(dueAtFor(CARE_PATHWAY, 'IMAGING_SELECTION', history, DEFAULT_CONFIG, now)).toBe('2026-11-29T10:00:00.000Z');
    const h = applyDecision(history, { stage: 'TARGETED_PATCH', outcome: 'performed', procedure: 'targeted_ebp_ct', levels: ['T7'], performedOn: '2026-11-20' }, DEFAULT_CONFIG, now).history;
    const h2 = applyDecision(h, { stage: 'FOLLOW_UP', outcome: 'improved', visit: 'day1' }, DEFAULT_CONFIG, now).history;
    expect(dueAtFor(CARE_PATHWAY, 'FOLLOW_UP', h2, DEFAULT_CONFIG, now)).toBe('2026-11-27T00:00:00.000Z');
  });

  it('reads overrides from PATHWAY_CONFIG and refuses a bad one', () => {
    const config = loadConfig({ PATHWAY_CONFIG: JSON.stringify({ serviceLevelDays: { TRIAGE: 2 } }) });
    expect(config.serviceLevelDays.TRIAGE).toBe(2);
    expect(config.serviceLevelDays.MYELOGRAPHY).toBe(30);
    expect(() => loadConfig({ PATHWAY_CONFIG: JSON.stringify({ thresholds: { negativeStudiesBeforeReview: 0 } }) })).toThrow();
  });
});

describe('emails', () => {
  const subject = { patientId: '01JABCDEFGHJKMNPQRSTVWXYZ0', caseRef: 'CSF-2026-000001', site: 'santa-clara' as const, referringPhysicianEmail: 'referrer@example.org' };
  const events: NotificationEvent[] = [
    { kind: 'referral_received' },
    ...DECISION_STAGES.map((stage) => ({ kind: 'stage_entered' as const, stage, dueAt: '2026-12-03T10:00:00.000Z' })),
    { kind: 'stage_entered', stage: 'TRIAGE', dueAt: '2026-12-03T10:00:00.000Z', causeOutcome: 'request_info', causeStage: 'TRIAGE' },
    { kind: 'closed', status: 'completed', stage: 'FOLLOW_UP' },
    { kind: 'failure', failure: 'pathway', stage: 'TRIAGE' },
  ];

  it('sends each stage to its team by site and role, with case reference, stage, action, due date and link', () => {
    const triage = emailsFor(CARE_PATHWAY, { kind: 'stage_entered', stage: 'TRIAGE', dueAt: '2026-12-03T10:00:00.000Z' }, subject, DEFAULT_CONFIG);
    expect(triage[0]?.to).toEqual(['neuroradiology.santa-clara@example.org']);
    expect(triage[0]?.subject).toBe('[CSF-2026-000001] Triage — action due 2026-12-03');
    expect(triage[0]?.text).toContain('Action needed:');
    expect(triage[0]?.html).toContain('href="http://127.0.0.1:3000/patients/01JABCDEFGHJKMNPQRSTVWXYZ0"');
    const patch = emailsFor(CARE_PATHWAY, { kind: 'stage_entered', stage: 'TARGETED_PATCH', dueAt: '2026-12-03T10:00:00.000Z' }, subject, DEFAULT_CONFIG);
    expect(patch[0]?.to).toEqual(['neurointerventional.sacramento@example.org']);
  });

  it('asks the referring physician only at milestones', () => {
    const routine = emailsFor(CARE_PATHWAY, { kind: 'stage_entered', stage: 'MYELOGRAPHY', dueAt: '2026-12-03T10:00:00.000Z' }, subject, DEFAULT_CONFIG);
    expect(routine.some((e) => e.audience === 'referring_physician')).toBe(false);
    const info = emailsFor(CARE_PATHWAY, events[8] as NotificationEvent, subject, DEFAULT_CONFIG);
    expect(info.some((e) => e.audience === 'referring_physician')).toBe(true);
  });

  it('escapes everything that reaches HTML', () => {
    expect(escapeHtml(`<script>"x" & 'y'</script>`)).toBe('&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/script&gt;');
    const hostile = { ...subject, caseRef: '<img src=x onerror=alert(1)>' };
    for (const email of emailsFor(CARE_PATHWAY, { kind: 'referral_received' }, hostile, DEFAULT_CONFIG)) expect(email.html).not.toContain('<img');
  });

  it('renders every template with a plain-text alternative', () => {
    const templates = new Set<string>();
    for (const event of events) for (const e of emailsFor(CARE_PATHWAY, event, subject, DEFAULT_CONFIG)) {
      templates.add(e.template);
      expect(e.text.length).toBeGreaterThan(20);
      expect(e.html).toContain('CSF-2026-000001');
    }
    expect(templates.size).toBeGreaterThanOrEqual(12);
  });
});
