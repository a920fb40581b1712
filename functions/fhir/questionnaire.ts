// The follow-up check-in as our own Questionnaire, and a QuestionnaireResponse to it as the
// follow-up decision body. The questions come from CHECK_IN_ITEMS (functions/domain/fhir-codes.ts)
// and only those the decision schema accepts are asked, so a field the schema gains is asked too.
import type { FollowUpRecord } from '../domain/history.js';
import type { Questionnaire, QuestionnaireItem, QuestionnaireResponse, QuestionnaireResponseItem } from '@medplum/fhirtypes';
import {
  CHECK_IN_ITEMS,
  CHECK_IN_QUESTIONNAIRE_ID,
  CHECK_IN_QUESTIONNAIRE_URL,
  CHECK_IN_STAGE,
  type CheckInItem,
} from '../domain/fhir-codes.js';
import { decisionSchemas } from '../domain/schemas.js';
import { invalid, type FhirIssue } from './outcome.js';

/** The check-in items whose decision field exists in today's follow-up decision schema. */
export function askedItems(): readonly CheckInItem[] {
  const shape = decisionSchemas[CHECK_IN_STAGE].shape as Record<string, unknown>;
  return CHECK_IN_ITEMS.filter((i) => i.field in shape);
}

/** The item's enableWhen as FHIR writes it: the condition item's coded answer. */
function enableWhenOf(when: NonNullable<CheckInItem['enableWhen']>): NonNullable<QuestionnaireItem['enableWhen']>[number] {
  const condition = CHECK_IN_ITEMS.find((i) => i.linkId === when.linkId);
  const system = condition?.answer.type === 'coding' ? condition.answer.system : undefined;
  return { question: when.linkId, operator: '=', answerCoding: { ...(system ? { system } : {}), code: when.code } };
}

export function checkInQuestionnaire(): Questionnaire {
  return {
    resourceType: 'Questionnaire',
    id: CHECK_IN_QUESTIONNAIRE_ID,
    url: CHECK_IN_QUESTIONNAIRE_URL,
    name: 'FollowUpCheckIn',
    title: 'CSF leak follow-up check-in',
    status: 'active',
    subjectType: ['Patient'],
    description: 'Records a follow-up visit of the CSF leak pathway. HIT-6 is asked as its total score only (the instrument\'s items are licensed).',
    item: askedItems().map((i): QuestionnaireItem => ({
      linkId: i.linkId,
      text: i.text,
      required: i.required,
      ...(i.enableWhen ? { enableWhen: [enableWhenOf(i.enableWhen)] } : {}),
      ...(i.answer.type === 'coding'
        ? { type: 'choice', answerOption: i.answer.codes.map((code) => ({ valueCoding: { system: (i.answer as { system: string }).system, code } })) }
        : {
            type: 'integer',
            extension: [
              { url: 'http://hl7.org/fhir/StructureDefinition/minValue', valueInteger: i.answer.min },
              { url: 'http://hl7.org/fhir/StructureDefinition/maxValue', valueInteger: i.answer.max },
            ],
          }),
    })),
  };
}

export interface CheckIn {
  readonly patientId: string;
  /** The follow-up decision body for the decision service. */
  readonly decision: Record<string, unknown>;
  /** Where each decision field came from, for error expressions. */
  readonly sources: ReadonlyMap<string, string>;
}

/** The patient the response is about and the decision it records; refuses what it cannot map. */
export function checkInFromResponse(qr: QuestionnaireResponse): CheckIn {
  const issues: FhirIssue[] = [];
  const add = (expression: string, message: string, code: FhirIssue['code'] = 'invalid') => issues.push({ expression, message, code });
  if (qr.modifierExtension?.length) add('QuestionnaireResponse.modifierExtension', 'is not understood by this server', 'not-supported');
  const canonical = qr.questionnaire?.split('|')[0];
  if (canonical !== CHECK_IN_QUESTIONNAIRE_URL) add('QuestionnaireResponse.questionnaire', `must be ${CHECK_IN_QUESTIONNAIRE_URL}`, 'value');
  if (qr.status !== 'completed' && qr.status !== 'amended') add('QuestionnaireResponse.status', 'must be completed: an in-progress response records nothing', 'value');
  const subject = /^Patient\/([^/]+)$/.exec(qr.subject?.reference ?? '')?.[1];
  if (!subject) add('QuestionnaireResponse.subject', 'must reference the Patient (Patient/<id>)', 'required');

  const asked = askedItems();
  const decision: Record<string, unknown> = { stage: CHECK_IN_STAGE };
  const sources = new Map<string, string>();
  const seen = new Set<string>();
  (qr.item ?? []).forEach((item: QuestionnaireResponseItem, i) => {
    const at = `QuestionnaireResponse.item[${i}]`;
    const def = asked.find((d) => d.linkId === item.linkId);
    if (!def) return add(`${at}.linkId`, `${item.linkId} is not a question of ${CHECK_IN_QUESTIONNAIRE_ID} (${asked.map((d) => d.linkId).join(', ')})`, 'not-supported');
    if (seen.has(def.linkId)) return add(`${at}.linkId`, `${def.linkId} is answered twice`);
    seen.add(def.linkId);
    if (item.item?.length) add(`${at}.item`, 'nested items are not part of this questionnaire', 'not-supported');
    const answers = item.answer ?? [];
    if (answers.length !== 1) return add(`${at}.answer`, 'must have exactly one answer');
    const answer = answers[0] as NonNullable<QuestionnaireResponseItem['answer']>[number];
    const valueAt = `${at}.answer[0]`;
    if (def.answer.type === 'coding') {
      const coding = answer.valueCoding;
      if (!coding?.code || coding.system !== def.answer.system || !def.answer.codes.includes(coding.code)) {
        return add(`${valueAt}.valueCoding`, `must be a code of ${def.answer.system} (${def.answer.codes.join(', ')})`, 'code-invalid');
      }
      decision[def.field] = coding.code;
      sources.set(def.field, `${valueAt}.valueCoding`);
    } else {
      const v = answer.valueInteger;
      if (typeof v !== 'number') return add(`${valueAt}.valueInteger`, 'must be a whole number', 'required');
      if (v < def.answer.min || v > def.answer.max) return add(`${valueAt}.valueInteger`, `must be between ${def.answer.min} and ${def.answer.max}`, 'value');
      decision[def.field] = v;
      sources.set(def.field, `${valueAt}.valueInteger`);
    }
  });
  for (const def of asked) if (def.required && !seen.has(def.linkId)) add('QuestionnaireResponse.item', `must answer ${def.linkId} (${def.text})`, 'required');
  // An answer to a question its enableWhen leaves disabled (the Bern score at a visit other than month 3).
  for (const def of asked) {
    const when = def.enableWhen;
    const condition = when ? asked.find((d) => d.linkId === when.linkId) : undefined;
    if (!when || !condition || !seen.has(def.linkId) || decision[condition.field] === when.code) continue;
    add(sources.get(def.field) ?? 'QuestionnaireResponse.item', `${def.linkId} is asked only when ${when.linkId} is ${when.code}`, 'business-rule');
  }
  if (issues.length || !subject) throw invalid(issues);
  return { patientId: subject, decision, sources };
}

/** Check-in responses are named by patient and their place among the patient's follow-ups. */
export function checkInResponseId(patientId: string, index: number): string {
  return `${patientId}-${index + 1}`;
}

export function parseCheckInResponseId(id: string): { patientId: string; index: number } | undefined {
  const m = /^([0-9A-Z]{26})-([1-9]\d{0,3})$/.exec(id);
  return m ? { patientId: m[1] as string, index: Number(m[2]) - 1 } : undefined;
}

/** A recorded follow-up as the QuestionnaireResponse that records it. */
export function checkInResponseOf(patientId: string, index: number, record: FollowUpRecord): QuestionnaireResponse {
  const values = record as unknown as Record<string, unknown>;
  const item: QuestionnaireResponseItem[] = [];
  for (const def of CHECK_IN_ITEMS) {
    const v = values[def.field];
    if (v === undefined) continue;
    item.push({
      linkId: def.linkId,
      text: def.text,
      answer: [def.answer.type === 'coding' ? { valueCoding: { system: def.answer.system, code: String(v) } } : { valueInteger: Number(v) }],
    });
  }
  return {
    resourceType: 'QuestionnaireResponse',
    id: checkInResponseId(patientId, index),
    questionnaire: CHECK_IN_QUESTIONNAIRE_URL,
    status: 'completed',
    subject: { reference: `Patient/${patientId}` },
    basedOn: [{ reference: `ServiceRequest/${patientId}` }],
    authored: record.at,
    item,
  };
}
