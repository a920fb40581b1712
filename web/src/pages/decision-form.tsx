// The decision form of the pending stage: the fields of the contract's decision table, checked
// with the same stage schema (from the pathway definition) the API validates with. A stage added
// to the definition without a form of its own here gets one from the definition: its outcomes,
// and a reason when an outcome requires one. API 400 issues appear next to their
// fields; a 409 (the stage moved on, or was already decided) is a banner.
import { Alert, Badge, Button, Checkbox, Fieldset, Group, NativeSelect, NumberInput, Radio, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useState } from 'react';
import { CHECKLIST_LABEL, SIDES_IMAGED, SURGICAL_INDICATIONS } from '../../../functions/domain/clinical-facts.js';
import { CARE_PATHWAY } from '../../../functions/domain/pathway.js';
import {
  FOLLOW_UP_VISITS,
  LEAK_TYPES,
  PATCH_PROCEDURES,
  SURGICAL_PROCEDURES,
  TECHNIQUES,
} from '../../../functions/domain/vocabulary.js';
import { ApiFailure, apiJson, type Issue } from '../api.js';
import type { PatientDetail, PendingDecision, Recommendation } from '../api-types.js';
import { ErrorSummary, fieldId } from '../components/error-summary.js';
import { fieldErrors, fieldMessage, zodIssues } from '../form-issues.js';
import { label, todayIso } from '../labels.js';

type Value = string | number | boolean;

type Field =
  | { readonly kind: 'bool'; readonly name: string; readonly label: string }
  | { readonly kind: 'number'; readonly name: string; readonly label: string; readonly min: number; readonly max: number; readonly decimal?: boolean; readonly description?: string }
  | {
      readonly kind: 'select';
      readonly name: string;
      readonly label: string;
      readonly options: readonly string[];
      readonly optional?: boolean;
      readonly description?: string;
      /** What a clinician reads for each option (otherwise the value, humanised). */
      readonly optionLabels?: Readonly<Record<string, string>>;
      /** The JSON value each option sends (otherwise the option itself). */
      readonly values?: Readonly<Record<string, string | boolean>>;
    }
  | { readonly kind: 'yesno'; readonly name: string; readonly label: string }
  | { readonly kind: 'date'; readonly name: string; readonly label: string }
  | { readonly kind: 'text'; readonly name: string; readonly label: string; readonly placeholder?: string; readonly description?: string }
  | { readonly kind: 'levels'; readonly name: string; readonly label: string }
  | { readonly kind: 'textarea'; readonly name: string; readonly label: string }
  /** The decision's reason: its label says when the chosen outcome requires it. */
  | { readonly kind: 'reason'; readonly name: 'reason'; readonly label: string };

interface Group {
  readonly legend: string;
  /** Fields nest under this key of the body (brainMri, spineMri, leak). */
  readonly object?: string;
  /** When the group is needed (shown in its legend; the schema enforces it). */
  readonly note?: string;
  /** Outcomes for which the group is shown at all; absent: always. */
  readonly shownFor?: readonly string[];
  readonly columns?: number;
  readonly fields: readonly Field[];
}

const reason = (): Field => ({ kind: 'reason', name: 'reason', label: 'Reason' });

/** The stage's definition in this build's pathway (undefined for a stage a newer API knows). */
const stageDefinition = (stage: string) => CARE_PATHWAY.stages.find((s) => s.id === stage);

/** The reason field's label for the outcome chosen: required, or a comment. */
function reasonLabel(stage: string, outcome: string, recommended: string | null): string {
  if (stage === 'TRIAGE' && outcome === 'decline') return 'Reason for declining (required)';
  if (stage === 'TRIAGE' && outcome === 'request_info') return 'Information needed from the referring physician (required)';
  if (stage === 'IMAGING_SELECTION' && outcome === 'override') return 'Reason for choosing another technique (required)';
  if (stage === 'TREATMENT_PLANNING' && outcome !== '' && recommended !== null && outcome !== recommended) return 'Reason for a plan other than the recommendation (required)';
  if (stageDefinition(stage)?.outcomes[outcome]?.requires?.includes('reason')) return 'Reason (required)';
  return 'Comment (optional)';
}

const yesNoOptional = (name: string, label: string): Field => ({ kind: 'yesno', name, label });

/** R12: the pre-procedure check, shown when the procedure is recorded as done. */
const checklist = (shownFor: string): Group => ({
  legend: 'Pre-procedure check',
  object: 'preProcedureCheck',
  note: 'every item, or a reason to proceed without it',
  shownFor: [shownFor],
  fields: [
    { kind: 'bool', name: 'anticoagulationHeldPerPlan', label: CHECKLIST_LABEL.anticoagulationHeldPerPlan },
    { kind: 'bool', name: 'coagulationChecked', label: CHECKLIST_LABEL.coagulationChecked },
    {
      kind: 'select',
      name: 'pregnancyExcluded',
      label: 'Pregnancy',
      options: ['excluded', 'not_applicable'],
      optionLabels: { excluded: 'Excluded', not_applicable: 'Not applicable' },
      values: { excluded: true, not_applicable: 'not_applicable' },
      optional: true,
    },
    { kind: 'bool', name: 'contrastAllergyReviewed', label: CHECKLIST_LABEL.contrastAllergyReviewed },
    { kind: 'bool', name: 'renalFunctionReviewed', label: CHECKLIST_LABEL.renalFunctionReviewed },
    { kind: 'textarea', name: 'overrideReason', label: 'Reason for proceeding without a complete check (required if any item is not confirmed)' },
  ],
});

const LEAK_TYPE_LABELS: Record<string, string> = {
  ventral_dural_tear: 'Ventral dural tear',
  lateral_dural_tear: 'Lateral (posterolateral) dural tear',
  diverticulum: 'Meningeal diverticulum',
  csf_venous_fistula: 'CSF-venous fistula',
  indeterminate: 'Indeterminate',
};
const leakFields = (): readonly Field[] => [
  { kind: 'select', name: 'type', label: 'Leak type', options: LEAK_TYPES, optionLabels: LEAK_TYPE_LABELS },
  { kind: 'text', name: 'level', label: 'Vertebral level', placeholder: 'T7-T8', description: 'A level like T7 or a range like T7-T8' },
  { kind: 'select', name: 'side', label: 'Side', options: ['left', 'right', 'ventral', 'dorsal', 'bilateral'] },
  { kind: 'select', name: 'speed', label: 'Speed', options: ['fast', 'slow'], optional: true },
];
/** Further leaks of the same study, sent as `leaks` beside the contract's single `leak`. */
const moreLeaks = (n: number): Group => ({
  legend: n === 0 ? 'Second leak (if the study found several)' : 'Third leak (if the study found several)',
  object: `leaks.${n}`,
  shownFor: ['leak_found'],
  fields: leakFields().map((f) => ({ ...f, label: `${n === 0 ? 'Second' : 'Third'} leak: ${f.label.replace(/^Leak /, '').toLowerCase()}` })),
});

const INDICATION_LABELS: Record<string, string> = {
  persistent_leak_after_targeted_treatment: 'Leak persists after targeted treatment',
  ventral_tear_disc_microspur: 'Ventral tear from a disc microspur',
  cvf_ligation_chosen: 'Team chose ligation of a CSF-venous fistula',
  diverticulum_nerve_root_ligation: 'Diverticulum or lateral tear for nerve-root ligation',
  other: 'Other',
};

const FORMS: Readonly<Partial<Record<string, readonly Group[]>>> = {
  TRIAGE: [
    {
      legend: 'Brain MRI (Bern score inputs)',
      object: 'brainMri',
      note: 'required to accept',
      columns: 3,
      fields: [
        { kind: 'bool', name: 'venousSinusEngorgement', label: 'Venous sinus engorgement' },
        { kind: 'bool', name: 'pachymeningealEnhancement', label: 'Pachymeningeal enhancement' },
        { kind: 'bool', name: 'subduralFluid', label: 'Subdural fluid collection' },
        { kind: 'number', name: 'suprasellarCisternMm', label: 'Suprasellar cistern (mm)', min: 0, max: 100, decimal: true },
        { kind: 'number', name: 'prepontineCisternMm', label: 'Prepontine cistern (mm)', min: 0, max: 100, decimal: true },
        { kind: 'number', name: 'mamillopontineDistanceMm', label: 'Mamillopontine distance (mm)', min: 0, max: 100, decimal: true },
      ],
    },
    {
      legend: 'Spine MRI',
      object: 'spineMri',
      note: 'required to accept',
      fields: [
        { kind: 'select', name: 'slec', label: 'SLEC on spine MRI', description: 'Spinal longitudinal extradural collection', options: ['present', 'absent', 'indeterminate'] },
        { kind: 'select', name: 'slecLocation', label: 'SLEC location', description: 'When present', options: ['ventral', 'dorsal', 'lateral', 'mixed'], optional: true },
        yesNoOptional('diverticula', 'Perineural diverticula on spine MRI (optional)'),
      ],
    },
    {
      legend: 'Assessment',
      fields: [
        { kind: 'select', name: 'ichd3', label: 'ICHD-3 7.2.3 criteria (required to accept)', options: ['met', 'not_met', 'insufficient_data'], optional: true },
        { kind: 'number', name: 'openingPressureCmCsf', label: 'Opening pressure (cm CSF, optional)', min: 0, max: 80, decimal: true, description: 'When measured; below 6 supports low CSF pressure' },
        reason(),
      ],
    },
  ],
  IMAGING_SELECTION: [
    {
      legend: 'Technique',
      fields: [
        { kind: 'select', name: 'technique', label: 'Myelography technique', options: TECHNIQUES },
        reason(),
      ],
    },
  ],
  MYELOGRAPHY: [
    {
      legend: 'Study',
      fields: [
        { kind: 'select', name: 'technique', label: 'Technique performed', options: TECHNIQUES },
        { kind: 'date', name: 'performedOn', label: 'Performed on' },
        {
          kind: 'select',
          name: 'sideImaged',
          label: 'Side imaged (lateral decubitus studies)',
          options: SIDES_IMAGED,
          optionLabels: { left: 'Left side down', right: 'Right side down', both: 'Both sides' },
          optional: true,
        },
      ],
    },
    { legend: 'Leak', object: 'leak', shownFor: ['leak_found'], fields: leakFields() },
    moreLeaks(0),
    moreLeaks(1),
    { legend: 'Notes', fields: [reason()] },
  ],
  TREATMENT_PLANNING: [
    {
      legend: 'Notes',
      fields: [{ kind: 'bool', name: 'reboundResolved', label: 'Rebound intracranial hypertension has resolved' }, reason()],
    },
  ],
  TARGETED_PATCH: [
    {
      legend: 'Procedure',
      shownFor: ['performed'],
      fields: [
        { kind: 'select', name: 'procedure', label: 'Procedure', options: PATCH_PROCEDURES },
        { kind: 'levels', name: 'levels', label: 'Target levels' },
        { kind: 'number', name: 'volumeMl', label: 'Volume (ml, optional)', min: 0, max: 100, decimal: true },
        { kind: 'yesno', name: 'technicalSuccess', label: 'Technical success (optional)' },
        { kind: 'date', name: 'performedOn', label: 'Performed on' },
      ],
    },
    checklist('performed'),
    { legend: 'Notes', fields: [reason()] },
  ],
  NEUROSURGICAL_ESCALATION: [
    {
      legend: 'Operation',
      shownFor: ['operated'],
      fields: [
        { kind: 'select', name: 'procedure', label: 'Procedure', options: SURGICAL_PROCEDURES },
        { kind: 'date', name: 'performedOn', label: 'Performed on' },
        { kind: 'select', name: 'indication', label: 'Surgical indication (optional)', options: SURGICAL_INDICATIONS, optionLabels: INDICATION_LABELS, optional: true },
      ],
    },
    checklist('operated'),
    { legend: 'Notes', fields: [reason()] },
  ],
  FOLLOW_UP: [
    {
      legend: 'Check-in',
      fields: [
        { kind: 'select', name: 'visit', label: 'Visit', options: FOLLOW_UP_VISITS },
        { kind: 'number', name: 'hit6', label: 'HIT-6 (optional)', min: 36, max: 78, description: '36 to 78' },
        { kind: 'number', name: 'pgic', label: 'PGIC (optional)', min: 1, max: 7, description: '1 (very much improved) to 7 (very much worse)' },
        { kind: 'number', name: 'headacheDaysPerMonth', label: 'Headache days in the last month (optional)', min: 0, max: 31 },
        { kind: 'number', name: 'brainMriBernScore', label: 'Month 3 brain MRI Bern score (optional)', min: 0, max: 9, description: '0 to 9' },
        { kind: 'bool', name: 'reboundResolved', label: 'Rebound intracranial hypertension has resolved' },
        { kind: 'bool', name: 'procedureFailed', label: 'Count this outcome as a failed procedure (after a rebound)' },
        reason(),
      ],
    },
  ],
};

/** The stage's field groups: its own form above, or the one its definition implies. */
function formOf(stage: string): readonly Group[] {
  const own = FORMS[stage];
  if (own) return own;
  const def = stageDefinition(stage);
  const needingReason = Object.entries(def?.outcomes ?? {})
    .filter(([, o]) => o.requires?.includes('reason'))
    .map(([id]) => id);
  return [{ legend: 'Reason', ...(needingReason.length ? { note: `required to ${needingReason.map((o) => label(o).toLowerCase()).join(' or ')}` } : {}), fields: [reason()] }];
}

const pathOf = (g: Group, f: Field) => (g.object ? `${g.object}.${f.name}` : f.name);

/** Field labels by body path, for the error summary. */
function labelsOf(stage: string): Record<string, string> {
  const out: Record<string, string> = { outcome: 'Outcome', stage: 'Stage' };
  for (const g of formOf(stage)) {
    if (g.object) out[g.object] = g.legend;
    // "Reason (required to decline …)" reads as "Reason" before the schema's own message.
    for (const f of g.fields) out[pathOf(g, f)] = f.label.replace(/ \(.*\)$/, '');
  }
  return out;
}

const filled = (v: Value | undefined) => v !== undefined && v !== '' && v !== false;

/** The request body from the form's flat values, leaving out what was not filled in. */
export function decisionBody(stage: string, outcome: string, values: Readonly<Record<string, Value>>, pendingDecisionId?: string): Record<string, unknown> {
  const body: Record<string, unknown> = { stage, ...(pendingDecisionId ? { pendingDecisionId } : {}), outcome };
  for (const g of formOf(stage)) {
    if (g.shownFor && !g.shownFor.includes(outcome)) continue;
    const target: Record<string, unknown> = {};
    for (const f of g.fields) {
      const v = values[pathOf(g, f)];
      if (f.kind === 'bool') {
        if (g.object) target[f.name] = v === true;
        else if (v === true) target[f.name] = true;
      } else if (f.kind === 'number') {
        if (v !== undefined && v !== '') target[f.name] = typeof v === 'number' ? v : Number(v);
      } else if (f.kind === 'yesno') {
        if (v === 'yes' || v === 'no') target[f.name] = v === 'yes';
      } else if (f.kind === 'levels') {
        if (typeof v === 'string' && v.trim()) target[f.name] = v.split(/[\s,;]+/).filter(Boolean).map((s) => s.toUpperCase());
      } else if (f.kind === 'select' && f.values && typeof v === 'string' && v in f.values) {
        target[f.name] = f.values[v];
      } else if (typeof v === 'string' && v.trim() !== '') {
        target[f.name] = f.kind === 'text' && f.name === 'level' ? v.trim().toUpperCase() : v.trim();
      }
    }
    if (g.object) {
      const anyFilled = g.fields.some((f) => filled(values[pathOf(g, f)]));
      // Left empty, the object is omitted, so the schema answers "is required to accept" for
      // the whole group rather than one message per field.
      if (!anyFilled) continue;
      const [list, index] = g.object.split('.');
      if (list !== undefined && index !== undefined) {
        // A further leak: `leaks.0`, `leaks.1` fill the `leaks` list in order.
        const items = (body[list] as unknown[] | undefined) ?? [];
        items[Number(index)] = target;
        body[list] = items.filter((x) => x !== undefined);
      } else body[g.object] = target;
    } else Object.assign(body, target);
  }
  return body;
}

function initialValues(stage: string, pending: PendingDecision, recommendation: Recommendation | null, patient: PatientDetail): Record<string, Value> {
  const technique = (v: string | undefined) => (v && (TECHNIQUES as readonly string[]).includes(v) ? v : '');
  if (stage === 'IMAGING_SELECTION') return { technique: technique(recommendation?.recommended) };
  if (stage === 'MYELOGRAPHY') return { technique: technique(patient.clinical.selectedTechnique ?? recommendation?.recommended) };
  if (stage === 'FOLLOW_UP') return { visit: pending.visit ?? '' };
  return {};
}

export interface DecisionFormProps {
  readonly patient: PatientDetail;
  readonly pending: PendingDecision;
  readonly recommendation: Recommendation | null;
  readonly onRecorded: (outcome: string) => void;
}

export function DecisionForm({ patient, pending, recommendation, onRecorded }: DecisionFormProps) {
  const stage = pending.stage;
  const [outcome, setOutcome] = useState('');
  const [values, setValues] = useState<Record<string, Value>>(() => initialValues(stage, pending, recommendation, patient));
  const [issues, setIssues] = useState<Issue[]>([]);
  const [conflict, setConflict] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrors(issues);
  const labels = labelsOf(stage);
  const set = (path: string, v: Value) => setValues((old) => ({ ...old, [path]: v }));
  const recommendedOutcome = recommendation && pending.allowedOutcomes.includes(recommendation.recommended) ? recommendation.recommended : null;

  const submit = async () => {
    setConflict(null);
    setFailure(null);
    // The id of the pending decision this form answers: a stale tab gets 409, never a wrong write.
    const body = decisionBody(stage, outcome, values, (pending as PendingDecision & { readonly id?: string }).id);
    // A stage this build does not know (a newer definition on the API) is checked by the API alone.
    const schema = stageDefinition(stage)?.schema;
    const parsed = schema ? schema.safeParse(body) : ({ success: true, data: body } as const);
    if (!parsed.success) {
      setIssues(zodIssues(parsed.error));
      return;
    }
    setIssues([]);
    setBusy(true);
    try {
      await apiJson('POST', `/patients/${encodeURIComponent(patient.patientId)}/decisions`, parsed.data);
      onRecorded(outcome);
    } catch (e) {
      if (e instanceof ApiFailure && e.status === 400) setIssues([...e.issues]);
      else if (e instanceof ApiFailure && e.status === 409) setConflict(e.message);
      else setFailure(e instanceof Error ? e.message : String(e));
    } finally {
      setBusy(false);
    }
  };

  const renderField = (g: Group, f: Field) => {
    const path = pathOf(g, f);
    const id = fieldId(path);
    const error = fieldMessage(errors, path);
    const v = values[path];
    switch (f.kind) {
      case 'bool':
        return <Checkbox key={path} id={id} label={f.label} checked={v === true} onChange={(e) => set(path, e.currentTarget.checked)} error={error} />;
      case 'number':
        return (
          <NumberInput
            key={path}
            id={id}
            label={f.label}
            description={f.description}
            min={f.min}
            max={f.max}
            step={f.decimal ? 0.1 : 1}
            allowDecimal={f.decimal ?? false}
            clampBehavior="none"
            value={typeof v === 'number' || typeof v === 'string' ? v : ''}
            onChange={(n) => set(path, n)}
            error={error}
          />
        );
      case 'select':
      case 'yesno': {
        const opts = f.kind === 'yesno' ? ['yes', 'no'] : f.options;
        const optional = f.kind === 'yesno' || f.optional;
        return (
          <NativeSelect
            key={path}
            id={id}
            label={f.label}
            description={f.kind === 'select' ? f.description : undefined}
            required={!optional}
            value={typeof v === 'string' ? v : ''}
            onChange={(e) => set(path, e.currentTarget.value)}
            data={[
              { value: '', label: optional ? 'Not recorded' : 'Choose…', disabled: !optional },
              ...opts.map((o) => ({ value: o, label: ((f.kind === 'select' ? f.optionLabels?.[o] : undefined) ?? label(o)) + (o === recommendation?.recommended ? ' (recommended)' : '') })),
            ]}
            error={error}
          />
        );
      }
      case 'date':
        return <TextInput key={path} id={id} type="date" max={todayIso()} label={f.label} required value={typeof v === 'string' ? v : ''} onChange={(e) => set(path, e.currentTarget.value)} error={error} />;
      case 'text':
        return <TextInput key={path} id={id} label={f.label} description={f.description} placeholder={f.placeholder} required value={typeof v === 'string' ? v : ''} onChange={(e) => set(path, e.currentTarget.value)} error={error} />;
      case 'levels':
        return (
          <TextInput
            key={path}
            id={id}
            label={f.label}
            description="One or more, separated by commas: T7-T8, T9"
            placeholder="T7-T8"
            required
            value={typeof v === 'string' ? v : ''}
            onChange={(e) => set(path, e.currentTarget.value)}
            error={error ?? Object.entries(errors).find(([k]) => k.startsWith(`${path}.`))?.[1]}
          />
        );
      case 'textarea':
      case 'reason': {
        const text = f.kind === 'reason' ? reasonLabel(stage, outcome, recommendedOutcome) : f.label;
        return (
          <Textarea
            key={path}
            id={id}
            label={text}
            required={text.endsWith('(required)')}
            autosize
            minRows={2}
            maxRows={6}
            value={typeof v === 'string' ? v : ''}
            onChange={(e) => set(path, e.currentTarget.value)}
            error={error}
            style={{ gridColumn: '1 / -1' }}
          />
        );
      }
    }
  };

  return (
    <form
      noValidate
      aria-label={`${label(stage)} decision`}
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      <Stack gap="md">
        {conflict ? (
          <Alert color="orange" role="alert" title="This decision was not recorded">
            {conflict} Reload the page to see where the pathway stands now.
          </Alert>
        ) : null}
        {failure ? (
          <Alert color="red" role="alert" title="This decision was not recorded">
            {failure}
          </Alert>
        ) : null}
        <ErrorSummary issues={issues} labels={labels} />
        <Radio.Group id={fieldId('outcome')} label="Outcome" required value={outcome} onChange={setOutcome} error={fieldMessage(errors, 'outcome')}>
          <Group mt={6} gap="md">
            {pending.allowedOutcomes.map((o) => (
              <Radio
                key={o}
                value={o}
                label={
                  <Group gap={6} component="span">
                    <span>{label(o)}</span>
                    {o === recommendedOutcome ? (
                      <Badge size="xs" variant="light" color="grape" component="span">
                        recommended
                      </Badge>
                    ) : null}
                  </Group>
                }
              />
            ))}
          </Group>
        </Radio.Group>
        {formOf(stage)
          .filter((g) => !g.shownFor || g.shownFor.includes(outcome))
          .map((g) => (
            <Fieldset key={g.legend} legend={g.note ? `${g.legend} (${g.note})` : g.legend}>
              {g.object && errors[g.object] ? (
                <Text size="sm" c="red.8" mb="xs" id={fieldId(g.object)} tabIndex={-1}>
                  {fieldMessage(errors, g.object)}
                </Text>
              ) : null}
              <SimpleGrid cols={{ base: 1, sm: 2, md: g.columns ?? 2 }} spacing="sm" verticalSpacing="sm">
                {g.fields.map((f) => renderField(g, f))}
              </SimpleGrid>
            </Fieldset>
          ))}
        <Group>
          <Button type="submit" loading={busy}>
            Record {label(stage).toLowerCase()} decision
          </Button>
          <Text size="sm" c="dimmed">
            Recorded under your name in the audit trail.
          </Text>
        </Group>
      </Stack>
    </form>
  );
}
