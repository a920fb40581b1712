// An incoming FHIR referral (a transaction Bundle, or a ServiceRequest with its Patient,
// referring Practitioner and findings contained) as the contract's referral body, and back.
// Every field of POST /referrals has one source element; whatever cannot be mapped is refused
// with the element's expression, so nothing the sender said is silently dropped.
import type {
  Bundle,
  CodeableConcept,
  Observation,
  Patient,
  Practitioner,
  Reference,
  Resource,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { ASSOCIATED_SYMPTOM_CONCEPTS, CODE_SYSTEMS, IDENTIFIER_SYSTEMS, ORTHOSTATIC_PATTERNS, INTAKE_FINDINGS, type ReferralFinding } from '../domain/fhir-codes.js';
import { ASSOCIATED_SYMPTOMS, type AssociatedSymptom } from '../domain/clinical-facts.js';
import { NEURORADIOLOGY_SITES } from '../domain/vocabulary.js';
import type { PatientDetail } from './patient-detail.js';
import { invalid, notSupported, type FhirIssue } from './outcome.js';

const V2_IDENTIFIER_TYPE = 'http://terminology.hl7.org/CodeSystem/v2-0203';

/** A resource found in the request, with the FHIRPath of where it sits. */
interface Located<T extends Resource> {
  readonly resource: T;
  readonly path: string;
}

export interface MappedReferral {
  /** The contract's POST /referrals body. */
  readonly body: Record<string, unknown>;
  /** Where each body field came from (`patient.birthDate` -> `...Patient.birthDate`). */
  readonly sources: ReadonlyMap<string, string>;
  /** Paths of the request entries, for a transaction response. */
  readonly entries: readonly { path: string; resourceType: string }[];
}

/** ServiceRequest elements that carry no referral data of their own and may be present. */
const SERVICE_REQUEST_ENVELOPE = new Set(['resourceType', 'id', 'meta', 'text', 'language', 'implicitRules', 'extension', 'contained', 'status', 'intent', 'category', 'code', 'authoredOn', 'occurrenceDateTime']);
/** ServiceRequest elements this mapping reads. */
const SERVICE_REQUEST_MAPPED = new Set(['identifier', 'subject', 'requester', 'priority', 'locationCode', 'supportingInfo', 'note']);
const OBSERVATION_ALLOWED = new Set(['resourceType', 'id', 'meta', 'text', 'extension', 'status', 'category', 'code', 'subject', 'effectiveDateTime', 'issued',
  'valueDateTime', 'valueBoolean', 'valueInteger', 'valueQuantity', 'valueCodeableConcept', 'component']);

class Collector {
  readonly issues: FhirIssue[] = [];
  readonly sources = new Map<string, string>();
  add(expression: string, message: string, code: FhirIssue['code'] = 'invalid'): undefined {
    this.issues.push({ expression, message, code });
    return undefined;
  }
}

/** The referral in a transaction Bundle: one ServiceRequest, its Patient, Practitioner and Observations. */
export function referralFromBundle(bundle: Bundle): MappedReferral {
  if (bundle.type !== 'transaction') throw notSupported('Only a transaction Bundle can create a referral.', 'Bundle.type');
  const entries = bundle.entry ?? [];
  const issues: FhirIssue[] = [];
  const located: Located<Resource>[] = [];
  entries.forEach((e, i) => {
    const path = `Bundle.entry[${i}]`;
    if (!e.resource) return void issues.push({ expression: `${path}.resource`, message: 'is required' });
    if (e.request?.method !== 'POST') issues.push({ expression: `${path}.request.method`, message: 'must be POST: a referral is created, never updated' });
    if (!['ServiceRequest', 'Patient', 'Practitioner', 'Observation'].includes(e.resource.resourceType)) {
      issues.push({ expression: `${path}.resource`, message: `a ${e.resource.resourceType} cannot be part of a referral (ServiceRequest, Patient, Practitioner, Observation)`, code: 'not-supported' });
    }
    located.push({ resource: e.resource, path: `${path}.resource` });
  });
  const requests = located.filter((l) => l.resource.resourceType === 'ServiceRequest') as Located<ServiceRequest>[];
  if (requests.length !== 1) issues.push({ expression: 'Bundle.entry', message: `must hold exactly one ServiceRequest (found ${requests.length})` });
  if (issues.length) throw invalid(issues);
  const byUrl = new Map<string, Located<Resource>>();
  entries.forEach((e, i) => {
    const l = located[i] as Located<Resource>;
    if (e.fullUrl) byUrl.set(e.fullUrl, l);
    if (l.resource.id) byUrl.set(`${l.resource.resourceType}/${l.resource.id}`, l);
  });
  const mapped = mapServiceRequest(requests[0] as Located<ServiceRequest>, (ref) => byUrl.get(ref));
  // Entries the ServiceRequest does not reference would be dropped: refuse them instead.
  const used = new Set(mapped.used);
  const unused = located.filter((l) => !used.has(l.path) && l.resource.resourceType !== 'ServiceRequest');
  if (unused.length) throw invalid(unused.map((l) => ({ expression: l.path, message: 'is not referenced by the ServiceRequest (subject, requester or supportingInfo)' })));
  return { body: mapped.body, sources: mapped.sources, entries: located.map((l) => ({ path: l.path, resourceType: l.resource.resourceType })) };
}

/** The referral in a ServiceRequest whose Patient, Practitioner and Observations are contained. */
export function referralFromServiceRequest(request: ServiceRequest): MappedReferral {
  const mapped = mapServiceRequest({ resource: request, path: 'ServiceRequest' }, () => undefined);
  return { body: mapped.body, sources: mapped.sources, entries: [{ path: 'ServiceRequest', resourceType: 'ServiceRequest' }] };
}

function mapServiceRequest(
  sr: Located<ServiceRequest>,
  inBundle: (reference: string) => Located<Resource> | undefined,
): { body: Record<string, unknown>; sources: Map<string, string>; used: string[] } {
  const c = new Collector();
  const r = sr.resource;
  const at = (element: string) => `${sr.path}.${element}`;
  const used: string[] = [];
  refuseModifierExtensions(c, r, sr.path);
  for (const key of Object.keys(r)) {
    if (!SERVICE_REQUEST_ENVELOPE.has(key) && !SERVICE_REQUEST_MAPPED.has(key)) c.add(at(key), 'has no place in this program\'s referral; send it in a note instead', 'not-supported');
  }
  if (r.status !== 'active') c.add(at('status'), 'must be active (a draft, held or revoked request is not a referral)', 'value');
  if (r.intent !== 'order' && r.intent !== 'original-order') c.add(at('intent'), 'must be order or original-order', 'value');

  const resolve = <T extends Resource>(ref: Reference | undefined, element: string, type: T['resourceType']): Located<T> | undefined => {
    if (!ref?.reference) return c.add(at(element), `must reference the ${type}`, 'required');
    let found: Located<Resource> | undefined;
    if (ref.reference.startsWith('#')) {
      const i = (r.contained ?? []).findIndex((x) => x.id === ref.reference?.slice(1));
      if (i >= 0) found = { resource: (r.contained ?? [])[i] as Resource, path: at(`contained[${i}]`) };
    } else {
      found = inBundle(ref.reference);
    }
    if (!found) return c.add(at(`${element}.reference`), `must point to a ${type} contained in the ServiceRequest or sent in the same transaction`, 'not-found');
    if (found.resource.resourceType !== type) return c.add(at(`${element}.reference`), `must point to a ${type}, not a ${found.resource.resourceType}`);
    used.push(found.path);
    return found as Located<T>;
  };

  const body: Record<string, unknown> = {};
  const set = (field: string, value: unknown, source: string) => {
    if (value === undefined) return;
    setPath(body, field, value);
    c.sources.set(field, source);
  };

  // referralId <- ServiceRequest.identifier (the placer's order number)
  const ids = (r.identifier ?? []).filter((i) => i.value);
  const placer = ids.find((i) => i.type?.coding?.some((k) => k.system === V2_IDENTIFIER_TYPE && k.code === 'PLAC')) ?? ids[0];
  if (!placer) c.add(at('identifier'), 'is required: its value is the referral id that makes a retry safe', 'required');
  else set('referralId', placer.value, at(`identifier[${(r.identifier ?? []).indexOf(placer)}].value`));

  const patient = resolve<Patient>(r.subject, 'subject', 'Patient');
  if (patient) mapPatient(c, patient, set);
  const practitioner = resolve<Practitioner>(r.requester, 'requester', 'Practitioner');
  if (practitioner) mapPractitioner(c, practitioner, set);

  // urgency <- priority (absent means routine, as in FHIR's RequestPriority)
  if (r.priority === undefined || r.priority === 'routine' || r.priority === 'urgent') set('urgency', r.priority ?? 'routine', at('priority'));
  else c.add(at('priority'), `${r.priority} cannot be honoured: this program offers routine or urgent`, 'not-supported');

  // site <- locationCode with our site code system
  const sites = (r.locationCode ?? []).flatMap((cc, i) => (cc.coding ?? []).map((k, j) => ({ k, path: at(`locationCode[${i}].coding[${j}]`) })));
  const site = sites.find((s) => s.k.system === CODE_SYSTEMS.site);
  if (!site) c.add(at('locationCode'), `must carry the neuroradiology site (system ${CODE_SYSTEMS.site}: ${NEURORADIOLOGY_SITES.join(', ')})`, 'required');
  else set('site', site.k.code, `${site.path}.code`);

  // notes <- note[].text
  const notes = (r.note ?? []).map((n) => n.text).filter((t): t is string => Boolean(t));
  if (notes.length) set('notes', notes.join('\n\n'), at('note'));

  // clinical findings <- supportingInfo Observations coded with our referral-finding system
  const seen = new Set<ReferralFinding>();
  (r.supportingInfo ?? []).forEach((ref, i) => {
    const obs = resolve<Observation>(ref, `supportingInfo[${i}]`, 'Observation');
    if (!obs) return;
    const finding = mapFinding(c, obs);
    if (!finding) return;
    if (seen.has(finding.field)) return void c.add(`${obs.path}.code`, `repeats ${INTAKE_FINDINGS[finding.field].code}`);
    seen.add(finding.field);
    set(finding.field, finding.value, finding.source);
  });
  for (const field of ['symptomOnset', 'orthostaticPattern', 'duralPunctureWithin30Days', 'priorSpinalProcedure'] as const) {
    if (!seen.has(field)) c.add(at('supportingInfo'), `must include the ${INTAKE_FINDINGS[field].code} Observation (${INTAKE_FINDINGS[field].display})`, 'required');
  }
  if (c.issues.length) throw invalid(c.issues);
  return { body, sources: c.sources, used };
}

function mapPatient(c: Collector, p: Located<Patient>, set: (field: string, value: unknown, source: string) => void): void {
  const r = p.resource;
  refuseModifierExtensions(c, r, p.path);
  const mrns = (r.identifier ?? []).filter((i) => i.type?.coding?.some((k) => k.system === V2_IDENTIFIER_TYPE && k.code === 'MR'));
  const mrn = mrns[0] ?? (r.identifier ?? []).find((i) => i.system === IDENTIFIER_SYSTEMS.mrn);
  if (!mrn?.value) c.add(`${p.path}.identifier`, `must include the medical record number (type ${V2_IDENTIFIER_TYPE}|MR)`, 'required');
  else set('patient.mrn', mrn.value, `${p.path}.identifier[${(r.identifier ?? []).indexOf(mrn)}].value`);
  const names = r.name ?? [];
  const name = names.find((n) => n.use === 'official') ?? names.find((n) => n.use !== 'old' && n.use !== 'nickname') ?? names[0];
  const n = name ? names.indexOf(name) : 0;
  if (!name?.family) c.add(`${p.path}.name[${n}].family`, 'is required', 'required');
  else set('patient.familyName', name.family, `${p.path}.name[${n}].family`);
  if (!name?.given?.length) c.add(`${p.path}.name[${n}].given`, 'is required', 'required');
  else set('patient.givenName', name.given.join(' '), `${p.path}.name[${n}].given`);
  if (!r.birthDate || !/^\d{4}-\d{2}-\d{2}$/.test(r.birthDate)) c.add(`${p.path}.birthDate`, 'must be a full date (YYYY-MM-DD)', 'required');
  else set('patient.birthDate', r.birthDate, `${p.path}.birthDate`);
  if (!r.gender || !['female', 'male', 'other', 'unknown'].includes(r.gender)) c.add(`${p.path}.gender`, 'must be female, male, other or unknown', 'required');
  else set('patient.sex', r.gender, `${p.path}.gender`);
}

function mapPractitioner(c: Collector, p: Located<Practitioner>, set: (field: string, value: unknown, source: string) => void): void {
  const r = p.resource;
  refuseModifierExtensions(c, r, p.path);
  const name = r.name?.[0];
  const text = name?.text ?? [...(name?.prefix ?? []), ...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
  if (!text) c.add(`${p.path}.name`, 'is required', 'required');
  else set('referringPhysician.name', text, `${p.path}.name[0]`);
  const emails = (r.telecom ?? []).filter((t) => t.system === 'email' && t.value);
  const email = emails.find((t) => t.use === 'work') ?? emails[0];
  if (!email) c.add(`${p.path}.telecom`, 'must include an email (the referring physician is told at milestones)', 'required');
  else set('referringPhysician.email', email.value, `${p.path}.telecom[${(r.telecom ?? []).indexOf(email)}].value`);
}

function mapFinding(c: Collector, obs: Located<Observation>): { field: ReferralFinding; value: unknown; source: string } | undefined {
  const r = obs.resource;
  refuseModifierExtensions(c, r, obs.path);
  for (const key of Object.keys(r)) if (!OBSERVATION_ALLOWED.has(key)) c.add(`${obs.path}.${key}`, 'has no place in a referral finding', 'not-supported');
  if (r.status !== 'final' && r.status !== 'amended' && r.status !== 'corrected') c.add(`${obs.path}.status`, 'must be final, amended or corrected', 'value');
  const coding = r.code.coding?.find((k) => k.system === CODE_SYSTEMS.referralFinding);
  const entry = Object.entries(INTAKE_FINDINGS).find(([, f]) => f.code === coding?.code) as [ReferralFinding, (typeof INTAKE_FINDINGS)[ReferralFinding]] | undefined;
  if (!entry) {
    return c.add(`${obs.path}.code`, `must be coded in ${CODE_SYSTEMS.referralFinding} (${Object.values(INTAKE_FINDINGS).map((f) => f.code).join(', ')})`, 'code-invalid');
  }
  const [field, def] = entry;
  if (r.component !== undefined && def.value !== 'components') c.add(`${obs.path}.component`, 'has no place in this finding', 'not-supported');
  const values = Object.keys(r).filter((k) => k.startsWith('value'));
  if (values.length > 1) return c.add(`${obs.path}.value[x]`, `must have one value, not ${values.join(' and ')}`);
  const valueAt = `${obs.path}.value${def.value === 'CodeableConcept' ? 'CodeableConcept' : def.value.charAt(0).toUpperCase() + def.value.slice(1)}`;
  switch (def.value) {
    case 'dateTime': {
      const v = r.valueDateTime;
      if (!v || !/^\d{4}-\d{2}-\d{2}/.test(v)) return c.add(valueAt, 'must be a date (YYYY-MM-DD)', 'required');
      return { field, value: v.slice(0, 10), source: valueAt };
    }
    case 'boolean':
      if (typeof r.valueBoolean !== 'boolean') return c.add(valueAt, 'must be true or false', 'required');
      return { field, value: r.valueBoolean, source: valueAt };
    case 'integer': {
      const v = r.valueInteger ?? (r.valueQuantity && (r.valueQuantity.unit ?? '{score}') === '{score}' ? r.valueQuantity.value : undefined);
      if (typeof v !== 'number') return c.add(valueAt, 'must be a whole number', 'required');
      return { field, value: v, source: valueAt };
    }
    case 'components':
      return mapSymptoms(c, obs, field);
    case 'CodeableConcept': {
      const code = codeIn(r.valueCodeableConcept, CODE_SYSTEMS.orthostaticPattern);
      if (!code || !(ORTHOSTATIC_PATTERNS as readonly string[]).includes(code)) {
        return c.add(valueAt, `must be coded in ${CODE_SYSTEMS.orthostaticPattern} (${ORTHOSTATIC_PATTERNS.join(', ')})`, 'code-invalid');
      }
      return { field, value: code, source: valueAt };
    }
  }
}

/** The associated symptoms: the components whose value is true, each a symptom at most once. */
function mapSymptoms(c: Collector, obs: Located<Observation>, field: ReferralFinding): { field: ReferralFinding; value: AssociatedSymptom[]; source: string } | undefined {
  const r = obs.resource;
  const values = Object.keys(r).filter((k) => k.startsWith('value'));
  if (values.length) return c.add(`${obs.path}.${values[0] as string}`, 'must be left out: each symptom is a component', 'not-supported');
  const present: AssociatedSymptom[] = [];
  const seen = new Set<string>();
  let ok = true;
  (r.component ?? []).forEach((k, i) => {
    const path = `${obs.path}.component[${i}]`;
    const code = codeIn(k.code, CODE_SYSTEMS.associatedSymptom);
    if (!code || !isAssociatedSymptom(code)) {
      ok = false;
      return void c.add(`${path}.code`, `must be coded in ${CODE_SYSTEMS.associatedSymptom} (${ASSOCIATED_SYMPTOMS.join(', ')})`, 'code-invalid');
    }
    if (seen.has(code)) {
      ok = false;
      return void c.add(`${path}.code`, `repeats ${code}`);
    }
    seen.add(code);
    if (typeof k.valueBoolean !== 'boolean') {
      ok = false;
      return void c.add(`${path}.valueBoolean`, 'must be true (present) or false (absent)', 'required');
    }
    if (k.valueBoolean) present.push(code);
  });
  return ok ? { field, value: present, source: `${obs.path}.component` } : undefined;
}

const isAssociatedSymptom = (code: string): code is AssociatedSymptom => (ASSOCIATED_SYMPTOMS as readonly string[]).includes(code);

function codeIn(cc: CodeableConcept | undefined, system: string): string | undefined {
  return cc?.coding?.find((k) => k.system === system)?.code;
}

/** A modifier extension changes the meaning of its resource: one we do not know cannot be ignored. */
function refuseModifierExtensions(c: Collector, r: Resource, path: string): void {
  if ('modifierExtension' in r && Array.isArray(r.modifierExtension) && r.modifierExtension.length) {
    c.add(`${path}.modifierExtension`, 'is not understood by this server and changes the meaning of the resource', 'not-supported');
  }
}

function setPath(target: Record<string, unknown>, path: string, value: unknown): void {
  const parts = path.split('.');
  let cur = target;
  for (const p of parts.slice(0, -1)) cur = (cur[p] ??= {}) as Record<string, unknown>;
  cur[parts.at(-1) as string] = value;
}

// ------------------------------------------------------------------ back to FHIR
/** The recorded referral as the ServiceRequest it came from (contained Patient, Practitioner, findings). */
export function serviceRequestOf(p: PatientDetail): ServiceRequest {
  const finding = (field: ReferralFinding, value: Partial<Observation>): Observation => ({
    resourceType: 'Observation',
    id: INTAKE_FINDINGS[field].code,
    status: 'final',
    code: { coding: [{ system: CODE_SYSTEMS.referralFinding, code: INTAKE_FINDINGS[field].code, display: INTAKE_FINDINGS[field].display }] },
    subject: { reference: `Patient/${p.patientId}` },
    ...value,
  });
  const findings: Observation[] = [
    finding('symptomOnset', { valueDateTime: p.referral.symptomOnset }),
    finding('orthostaticPattern', { valueCodeableConcept: { coding: [{ system: CODE_SYSTEMS.orthostaticPattern, code: p.referral.orthostaticPattern }] } }),
    finding('duralPunctureWithin30Days', { valueBoolean: p.referral.duralPunctureWithin30Days }),
    finding('priorSpinalProcedure', { valueBoolean: p.referral.priorSpinalProcedure }),
    ...(p.referral.hit6Baseline === undefined ? [] : [finding('hit6Baseline', { valueInteger: p.referral.hit6Baseline })]),
    ...(p.referral.headacheDaysPerMonthBaseline === undefined ? [] : [finding('headacheDaysPerMonthBaseline', { valueInteger: p.referral.headacheDaysPerMonthBaseline })]),
    ...(p.referral.connectiveTissueDisorder === undefined ? [] : [finding('connectiveTissueDisorder', { valueBoolean: p.referral.connectiveTissueDisorder })]),
    ...(p.referral.trauma === undefined ? [] : [finding('trauma', { valueBoolean: p.referral.trauma })]),
    ...(p.referral.associatedSymptoms === undefined ? [] : [finding('associatedSymptoms', { component: symptomComponents(p.referral.associatedSymptoms) })]),
  ];
  return {
    resourceType: 'ServiceRequest',
    id: p.patientId,
    meta: { lastUpdated: p.createdAt },
    contained: [
      { resourceType: 'Practitioner', id: 'requester', name: [{ text: p.referringPhysician.name }], telecom: [{ system: 'email', value: p.referringPhysician.email, use: 'work' }] },
      ...findings,
    ],
    identifier: [
      { type: { coding: [{ system: V2_IDENTIFIER_TYPE, code: 'PLAC' }] }, value: p.referralId },
      { system: IDENTIFIER_SYSTEMS.caseRef, value: p.caseRef },
    ],
    status: 'active',
    intent: 'order',
    priority: p.urgency,
    subject: { reference: `Patient/${p.patientId}` },
    requester: { reference: '#requester', display: p.referringPhysician.name },
    authoredOn: p.createdAt,
    locationCode: [{ coding: [{ system: CODE_SYSTEMS.site, code: p.site }] }],
    supportingInfo: findings.map((f) => ({ reference: `#${f.id}` })),
    ...(p.referral.notes ? { note: [{ text: p.referral.notes }] } : {}),
  };
}

/** Every symptom the program asks about, present or not, so "none of them" reads as such. */
function symptomComponents(present: readonly AssociatedSymptom[]): NonNullable<Observation['component']> {
  return ASSOCIATED_SYMPTOM_CONCEPTS.map(({ code, display }) => ({ code: { coding: [{ system: CODE_SYSTEMS.associatedSymptom, code, display }] }, valueBoolean: present.includes(code) }));
}

/** The patient's demographics as a FHIR Patient. */
export function patientOf(p: PatientDetail): Patient {
  return {
    resourceType: 'Patient',
    id: p.patientId,
    meta: { lastUpdated: p.createdAt },
    identifier: [{ type: { coding: [{ system: V2_IDENTIFIER_TYPE, code: 'MR' }] }, system: IDENTIFIER_SYSTEMS.mrn, value: p.patient.mrn }],
    name: [{ use: 'official', family: p.patient.familyName, given: p.patient.givenName.split(' ') }],
    gender: p.patient.sex,
    birthDate: p.patient.birthDate,
  };
}
