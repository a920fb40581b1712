// Referral intake: every field of the contract's POST /referrals, checked with the API's own
// referralSchema before sending; the API's 400 issues land on the same fields. Placeholders are
// synthetic (example.org, "Synthetica"), never real-looking people.
import { Alert, Button, Checkbox, Fieldset, Group, NativeSelect, NumberInput, Radio, SimpleGrid, Stack, Text, TextInput, Textarea } from '@mantine/core';
import { useState } from 'react';
import { referralSchema } from '../../../functions/domain/schemas.js';
import { NEURORADIOLOGY_SITES } from '../../../functions/domain/vocabulary.js';
import { ASSOCIATED_SYMPTOMS, type AssociatedSymptom } from '../../../functions/domain/clinical-facts.js';
import { ApiFailure, apiJson, type Issue } from '../api.js';
import { ErrorSummary, fieldId } from '../components/error-summary.js';
import { Page } from '../components/page.js';
import { setFlash } from '../flash.js';
import { fieldErrors, fieldMessage, zodIssues } from '../form-issues.js';
import { label, SYMPTOM_LABEL, todayIso } from '../labels.js';
import { navigate } from '../router.js';

export const REFERRAL_LABELS: Record<string, string> = {
  referralId: 'Referral ID',
  patient: 'Patient',
  'patient.mrn': 'MRN',
  'patient.givenName': 'Given name',
  'patient.familyName': 'Family name',
  'patient.birthDate': 'Birth date',
  'patient.sex': 'Sex',
  referringPhysician: 'Referring physician',
  'referringPhysician.name': 'Referring physician name',
  'referringPhysician.email': 'Referring physician email',
  site: 'Site',
  symptomOnset: 'Symptom onset',
  orthostaticPattern: 'Orthostatic pattern',
  duralPunctureWithin30Days: 'Dural puncture in the last 30 days',
  priorSpinalProcedure: 'Prior spinal procedure',
  trauma: 'Trauma before the headache began',
  connectiveTissueDisorder: 'Connective tissue disorder',
  associatedSymptoms: 'Associated symptoms',
  hit6Baseline: 'Baseline HIT-6',
  headacheDaysPerMonthBaseline: 'Headache days in the last month',
  urgency: 'Urgency',
  notes: 'Notes',
};


function newReferralId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(4));
  const suffix = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
  return `REF-${todayIso().replace(/-/g, '')}-${suffix}`;
}

interface Form {
  referralId: string;
  mrn: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  sex: string;
  physicianName: string;
  physicianEmail: string;
  site: string;
  symptomOnset: string;
  orthostaticPattern: string;
  duralPunctureWithin30Days: boolean;
  priorSpinalProcedure: boolean;
  trauma: boolean;
  connectiveTissueDisorder: boolean;
  associatedSymptoms: AssociatedSymptom[];
  hit6Baseline: number | string;
  headacheDaysPerMonthBaseline: number | string;
  urgency: string;
  notes: string;
}

const blank = (): Form => ({
  referralId: newReferralId(),
  mrn: '',
  givenName: '',
  familyName: '',
  birthDate: '',
  sex: '',
  physicianName: '',
  physicianEmail: '',
  site: '',
  symptomOnset: '',
  orthostaticPattern: '',
  duralPunctureWithin30Days: false,
  priorSpinalProcedure: false,
  trauma: false,
  connectiveTissueDisorder: false,
  associatedSymptoms: [],
  hit6Baseline: '',
  headacheDaysPerMonthBaseline: '',
  urgency: 'routine',
  notes: '',
});

const orUndefined = (s: string) => (s === '' ? undefined : s);

export function referralBody(f: Form) {
  return {
    referralId: f.referralId.trim(),
    patient: { mrn: f.mrn, givenName: f.givenName, familyName: f.familyName, birthDate: orUndefined(f.birthDate), sex: orUndefined(f.sex) },
    referringPhysician: { name: f.physicianName, email: f.physicianEmail.trim() },
    site: orUndefined(f.site),
    symptomOnset: orUndefined(f.symptomOnset),
    orthostaticPattern: orUndefined(f.orthostaticPattern),
    duralPunctureWithin30Days: f.duralPunctureWithin30Days,
    priorSpinalProcedure: f.priorSpinalProcedure,
    ...(f.hit6Baseline === '' ? {} : { hit6Baseline: Number(f.hit6Baseline) }),
    ...(f.headacheDaysPerMonthBaseline === '' ? {} : { headacheDaysPerMonthBaseline: Number(f.headacheDaysPerMonthBaseline) }),
    // Left unticked, these say nothing was reported rather than "no": they are sent only when ticked.
    ...(f.trauma ? { trauma: true } : {}),
    ...(f.connectiveTissueDisorder ? { connectiveTissueDisorder: true } : {}),
    ...(f.associatedSymptoms.length > 0 ? { associatedSymptoms: f.associatedSymptoms } : {}),
    urgency: f.urgency,
    ...(f.notes.trim() ? { notes: f.notes.trim() } : {}),
  };
}

export function ReferralFormPage() {
  const [form, setForm] = useState<Form>(blank);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [conflict, setConflict] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const errors = fieldErrors(issues);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const err = (path: string) => fieldMessage(errors, path);
  const today = todayIso();

  const submit = async () => {
    setConflict(null);
    setFailure(null);
    const body = referralBody(form);
    const parsed = referralSchema.safeParse(body);
    if (!parsed.success) {
      setIssues(zodIssues(parsed.error));
      window.scrollTo(0, 0);
      return;
    }
    setIssues([]);
    setBusy(true);
    try {
      const created = await apiJson<{ patientId: string; caseRef: string }>('POST', '/referrals', parsed.data);
      setFlash(`Referral ${created.caseRef} was received and is on its way to triage.`, '/board');
      navigate('/board');
    } catch (e) {
      if (e instanceof ApiFailure && e.status === 400) setIssues([...e.issues]);
      else if (e instanceof ApiFailure && e.status === 409) setConflict(e.message);
      else setFailure(e instanceof Error ? e.message : String(e));
      window.scrollTo(0, 0);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Page title="New referral" documentTitle="New referral">
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
        <Stack gap="md" maw={960}>
          {conflict ? (
            <Alert color="orange" role="alert" title="This referral ID is already in use">
              {conflict} Check the referral, or start a new form to get a fresh referral ID.
            </Alert>
          ) : null}
          {failure ? (
            <Alert color="red" role="alert" title="The referral was not sent">
              {failure}
            </Alert>
          ) : null}
          <ErrorSummary issues={issues} labels={REFERRAL_LABELS} />
          <Fieldset legend="Referral">
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput
                id={fieldId('referralId')}
                label="Referral ID"
                description="Sending the same referral again with this ID does not duplicate it."
                required
                value={form.referralId}
                onChange={(e) => set('referralId', e.currentTarget.value)}
                error={err('referralId')}
              />
              <NativeSelect
                id={fieldId('site')}
                label="Site"
                required
                value={form.site}
                onChange={(e) => set('site', e.currentTarget.value)}
                data={[{ value: '', label: 'Choose a site…', disabled: true }, ...NEURORADIOLOGY_SITES.map((s) => ({ value: s, label: label(s) }))]}
                error={err('site')}
              />
              <Radio.Group id={fieldId('urgency')} label="Urgency" required value={form.urgency} onChange={(v) => set('urgency', v)} error={err('urgency')}>
                <Group mt={6}>
                  <Radio value="routine" label="Routine" />
                  <Radio value="urgent" label="Urgent" />
                </Group>
              </Radio.Group>
            </SimpleGrid>
          </Fieldset>
          <Fieldset legend="Patient (synthetic data only in this environment)">
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput id={fieldId('patient.givenName')} label="Given name" placeholder="e.g. Testina" required value={form.givenName} onChange={(e) => set('givenName', e.currentTarget.value)} error={err('patient.givenName')} autoComplete="off" />
              <TextInput id={fieldId('patient.familyName')} label="Family name" placeholder="e.g. Synthetica" required value={form.familyName} onChange={(e) => set('familyName', e.currentTarget.value)} error={err('patient.familyName')} autoComplete="off" />
              <TextInput id={fieldId('patient.mrn')} label="MRN" placeholder="e.g. SYN000000" required value={form.mrn} onChange={(e) => set('mrn', e.currentTarget.value)} error={err('patient.mrn')} autoComplete="off" />
              <TextInput id={fieldId('patient.birthDate')} label="Birth date" type="date" max={today} required value={form.birthDate} onChange={(e) => set('birthDate', e.currentTarget.value)} error={err('patient.birthDate')} />
              <NativeSelect
                id={fieldId('patient.sex')}
                label="Sex"
                required
                value={form.sex}
                onChange={(e) => set('sex', e.currentTarget.value)}
                data={[{ value: '', label: 'Choose…', disabled: true }, ...['female', 'male', 'other', 'unknown'].map((s) => ({ value: s, label: label(s) }))]}
                error={err('patient.sex')}
              />
            </SimpleGrid>
          </Fieldset>
          <Fieldset legend="Referring physician">
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput id={fieldId('referringPhysician.name')} label="Referring physician name" placeholder="e.g. Dr. Example Referrer" required value={form.physicianName} onChange={(e) => set('physicianName', e.currentTarget.value)} error={err('referringPhysician.name')} autoComplete="off" />
              <TextInput
                id={fieldId('referringPhysician.email')}
                label="Referring physician email"
                type="email"
                placeholder="e.g. referrer@example.org"
                required
                value={form.physicianEmail}
                onChange={(e) => set('physicianEmail', e.currentTarget.value)}
                error={err('referringPhysician.email')}
                autoComplete="off"
              />
            </SimpleGrid>
          </Fieldset>
          <Fieldset legend="History">
            <SimpleGrid cols={{ base: 1, sm: 2 }}>
              <TextInput id={fieldId('symptomOnset')} label="Symptom onset" type="date" max={today} required value={form.symptomOnset} onChange={(e) => set('symptomOnset', e.currentTarget.value)} error={err('symptomOnset')} />
              <NativeSelect
                id={fieldId('orthostaticPattern')}
                label="Orthostatic pattern"
                required
                value={form.orthostaticPattern}
                onChange={(e) => set('orthostaticPattern', e.currentTarget.value)}
                data={[{ value: '', label: 'Choose…', disabled: true }, ...['classic_immediate', 'delayed', 'end_of_day', 'non_orthostatic'].map((s) => ({ value: s, label: label(s) }))]}
                error={err('orthostaticPattern')}
              />
              <NumberInput
                id={fieldId('hit6Baseline')}
                label="Baseline HIT-6 (optional)"
                description="36 to 78"
                min={36}
                max={78}
                allowDecimal={false}
                clampBehavior="none"
                value={form.hit6Baseline}
                onChange={(v) => set('hit6Baseline', v)}
                error={err('hit6Baseline')}
              />
              <NumberInput
                id={fieldId('headacheDaysPerMonthBaseline')}
                label="Headache days in the last month (optional)"
                description="0 to 31; the baseline for judging response at month 3"
                min={0}
                max={31}
                allowDecimal={false}
                clampBehavior="none"
                value={form.headacheDaysPerMonthBaseline}
                onChange={(v) => set('headacheDaysPerMonthBaseline', v)}
                error={err('headacheDaysPerMonthBaseline')}
              />
              <Stack gap="xs" justify="center">
                <Checkbox id={fieldId('duralPunctureWithin30Days')} label="Dural puncture in the last 30 days" checked={form.duralPunctureWithin30Days} onChange={(e) => set('duralPunctureWithin30Days', e.currentTarget.checked)} error={err('duralPunctureWithin30Days')} />
                <Checkbox id={fieldId('priorSpinalProcedure')} label="Prior spinal procedure" checked={form.priorSpinalProcedure} onChange={(e) => set('priorSpinalProcedure', e.currentTarget.checked)} error={err('priorSpinalProcedure')} />
                <Checkbox id={fieldId('trauma')} label="Trauma before the headache began" checked={form.trauma} onChange={(e) => set('trauma', e.currentTarget.checked)} error={err('trauma')} />
                <Checkbox id={fieldId('connectiveTissueDisorder')} label="Connective tissue disorder (e.g. Marfan, Ehlers-Danlos)" checked={form.connectiveTissueDisorder} onChange={(e) => set('connectiveTissueDisorder', e.currentTarget.checked)} error={err('connectiveTissueDisorder')} />
              </Stack>
            </SimpleGrid>
            <Checkbox.Group
              id={fieldId('associatedSymptoms')}
              mt="sm"
              label="Associated symptoms (optional)"
              value={form.associatedSymptoms}
              onChange={(v) => set('associatedSymptoms', v as AssociatedSymptom[])}
              error={err('associatedSymptoms')}
            >
              <SimpleGrid cols={{ base: 1, sm: 3 }} mt={6} spacing="xs">
                {ASSOCIATED_SYMPTOMS.map((s) => (
                  <Checkbox key={s} value={s} label={SYMPTOM_LABEL[s]} />
                ))}
              </SimpleGrid>
            </Checkbox.Group>
            <Textarea id={fieldId('notes')} mt="sm" label="Notes (optional)" autosize minRows={2} maxRows={8} value={form.notes} onChange={(e) => set('notes', e.currentTarget.value)} error={err('notes')} />
          </Fieldset>
          <Text size="sm" c="dimmed">
            Fields marked * are required. The referral starts the pathway at triage; the site's neuroradiology team is notified without any patient identifiers.
          </Text>
          <Group>
            <Button type="submit" loading={busy}>
              Send referral
            </Button>
            <Button variant="default" onClick={() => navigate('/board')}>
              Cancel
            </Button>
          </Group>
        </Stack>
      </form>
    </Page>
  );
}
