// The patient page: who the patient is (the one screen that shows names), where the pathway
// stands, the pending decision with its recommendation and evidence, the decision form, the
// clinical record so far and the full timeline.
import { Alert, Anchor, Badge, Button, Checkbox, Grid, Group, List, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { ASSOCIATED_SYMPTOMS, type AssociatedSymptom } from '../../../functions/domain/clinical-facts.js';
import { SOURCES } from '../../../functions/domain/recommendations.js';
import { ApiFailure, apiJson, CONFLICT_EVENT } from '../api.js';
import type { PatientDetail, Recommendation, Source, TimelineEvent } from '../api-types.js';
import { expectedResume, holdClock, PatientFlags, StageBadge, StatusBadge, UrgencyBadge } from '../components/badges.js';
import { LoadFailure, PageSkeleton } from '../components/loading.js';
import { Page } from '../components/page.js';
import { PatientActions } from '../components/patient-actions.js';
import { CaseWorkPanel } from '../components/case-work-panel.js';
import { actorText, eventDetails, eventTime } from '../event-text.js';
import { actionLabel, formatDate, formatDateTime, label, relativeDays, SYMPTOM_LABEL, VERSION_HINT, versionLabel } from '../labels.js';
import { Link } from '../router.js';
import type { Session } from '../session.js';
import { lastTriageOutcome, mayDecide, waitingOn, waitingOnText } from '../waiting-on.js';
import { DecisionForm } from './decision-form.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One term and its value: a direct child of the facts' <dl>, as HTML requires. */
const yesNo = (v: boolean | undefined) => (v === undefined ? '—' : v ? 'Yes' : 'No');
/** In the form's order, whatever order they were ticked in. */
const symptomsText = (list: readonly AssociatedSymptom[]) => ASSOCIATED_SYMPTOMS.filter((s) => list.includes(s)).map((s) => SYMPTOM_LABEL[s]).join(', ') || 'None';

function Fact({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dark.6" fw={600} tt="uppercase" component="dt">
        {term}
      </Text>
      <Text size="sm" component="dd" m={0}>
        {children}
      </Text>
    </div>
  );
}

/** The structured sources, or (older answers) the citation strings matched to their rules. */
function sourcesOf(rec: Recommendation): Source[] {
  return rec.sources.map((s) => (typeof s === 'string' ? { id: SOURCES.find((k) => k.citation === s && rec.ruleIds.includes(k.id))?.id ?? '', title: s } : s));
}

function SourceList({ rec }: { rec: Recommendation }) {
  const sources = sourcesOf(rec);
  const rules = [...new Set(sources.map((s) => s.id))];
  return (
    <div>
      <Text size="sm" fw={600} component="h3" m={0}>
        Sources
      </Text>
      {sources.length ? (
        <List size="sm" spacing={2} data-testid="sources">
          {rules.map((rule) => (
            <List.Item key={rule || 'other'}>
              {rule ? <strong>Rule {rule}: </strong> : null}
              {sources
                .filter((s) => s.id === rule)
                .map((s, i) => (
                  <span key={s.title}>
                    {i ? '; ' : ''}
                    {s.url ? (
                      <Anchor href={s.url} target="_blank" rel="noopener noreferrer">
                        {s.title}
                        <span className="visually-hidden"> (opens in a new tab)</span>
                      </Anchor>
                    ) : (
                      s.title
                    )}
                  </span>
                ))}
            </List.Item>
          ))}
        </List>
      ) : (
        <Text size="sm" c="dimmed">
          Program policy (configurable); no published source fixes this rule.
        </Text>
      )}
    </div>
  );
}

function RecommendationPanel({ rec }: { rec: Recommendation }) {
  const bern = rec.bernScore !== undefined;
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="rec-title" bg="grape.0">
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap">
          <Title order={2} fz="lg" id="rec-title">
            Recommendation: {rec.headline ?? label(rec.recommended)}
          </Title>
          {bern ? (
            <Badge size="lg" variant={rec.bernProbability === 'intermediate' ? 'light' : 'filled'} color={rec.bernProbability === 'high' ? 'red.9' : rec.bernProbability === 'intermediate' ? 'orange' : 'gray.7'}>
              Bern score {rec.bernScore} / 9 · {rec.bernProbability} probability
            </Badge>
          ) : null}
        </Group>
        <Text size="sm">{rec.rationale}</Text>
        <Group gap={6} aria-label="Rules applied" role="group">
          <Text size="sm" fw={600}>
            Rules:
          </Text>
          {rec.ruleIds.map((r) => (
            <Badge key={r} variant="outline" color="grape.8" radius="sm">
              {r}
            </Badge>
          ))}
        </Group>
        {rec.flags && rec.flags.length ? (
          <Group gap={6}>
            <Text size="sm" fw={600}>
              Flags:
            </Text>
            {rec.flags.map((f) => (
              <Badge key={f} color="orange" variant="light">
                {label(f)}
              </Badge>
            ))}
          </Group>
        ) : null}
        {rec.details && Object.keys(rec.details).length ? (
          <Text size="sm" c="dark.5">
            {Object.entries(rec.details)
              .map(([k, v]) => `${label(k.replace(/([a-z])([A-Z])/g, '$1_$2'))}: ${typeof v === 'string' ? label(v) : String(v)}`)
              .join(' · ')}
          </Text>
        ) : null}
        <SourceList rec={rec} />
        <Text size="xs" c="dark.6">
          A recommendation only: the deciding clinician confirms or overrides it, and the choice is kept in the audit trail.
        </Text>
      </Stack>
    </Paper>
  );
}

function Timeline({ events }: { events: readonly TimelineEvent[] }) {
  const [hideViews, setHideViews] = useState(true);
  // Newest first: what happened last is what a reader opens the page for.
  const shown = (hideViews ? events.filter((e) => e.action !== 'record_viewed') : [...events]).reverse();
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="timeline-title">
      <Group justify="space-between" mb="xs">
        <Title order={2} fz="lg" id="timeline-title">
          Timeline ({shown.length} events, newest first)
        </Title>
        <Checkbox label="Hide record views" checked={hideViews} onChange={(e) => setHideViews(e.currentTarget.checked)} />
      </Group>
      {/* Fixed column shares: long emails and details wrap inside their column instead of
          squeezing the others to one word per line on a tablet. */}
      <Table striped verticalSpacing={4} fz="sm" layout="fixed" data-testid="timeline">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col" w="18%">
              When
            </Table.Th>
            <Table.Th scope="col" w="18%">
              Event
            </Table.Th>
            <Table.Th scope="col" w="14%">
              Stage
            </Table.Th>
            <Table.Th scope="col" w="20%">
              By
            </Table.Th>
            <Table.Th scope="col" w="30%">
              Details
            </Table.Th>
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {shown.map((e, i) => (
            <Table.Tr key={`${e.at}-${i}`}>
              <Table.Td>
                <time dateTime={e.at}>{eventTime(e.at)}</time>
              </Table.Td>
              <Table.Td>{actionLabel(e.action)}</Table.Td>
              <Table.Td>{label(e.stage)}</Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{actorText(e)}</Table.Td>
              <Table.Td style={{ overflowWrap: 'anywhere' }}>{eventDetails(e)}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}

/** What changed between two reads of the record, in words ("Now at Imaging selection"). */
function whatChanged(before: PatientDetail, after: PatientDetail): string {
  const parts: string[] = [];
  if (before.status !== after.status) parts.push(`its status is now ${label(after.status).toLowerCase()}`);
  if (before.stage !== after.stage) parts.push(`it moved from ${label(before.stage)} to ${label(after.stage)}`);
  const last = [...after.timeline].reverse().find((e) => e.action === 'decision_recorded' || e.action === 'hold_started' || e.action === 'hold_ended' || e.action === 'withdrawn');
  const seen = before.timeline.length;
  if (last && after.timeline.indexOf(last) >= seen) parts.push(`${actionLabel(last.action).toLowerCase()} by ${actorText(last)}${eventDetails(last) ? ` (${eventDetails(last)})` : ''}`);
  if (!parts.length && (before.pendingDecision?.id ?? '') !== (after.pendingDecision?.id ?? '')) parts.push('a new decision is pending');
  return parts.length ? `${parts.join('; ')}.` : 'nothing visible changed; try again.';
}

function ClinicalRecord({ p }: { p: PatientDetail }) {
  const c = p.clinical;
  const t = c.triage;
  const empty = !t && c.myelograms.length === 0 && c.procedures.length === 0 && c.followUps.length === 0;
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="clinical-title">
      <Title order={2} fz="lg" id="clinical-title" mb="xs">
        Clinical record
      </Title>
      {empty ? (
        <Text size="sm" c="dimmed">
          Nothing recorded yet.
        </Text>
      ) : null}
      <Stack gap="xs">
        {t ? (
          <Text size="sm">
            <strong>Triage:</strong> SLEC {label(t.spineMri.slec).toLowerCase()}
            {t.spineMri.slecLocation ? ` (${t.spineMri.slecLocation})` : ''}; ICHD-3 {label(t.ichd3).toLowerCase()}
          </Text>
        ) : null}
        {c.selectedTechnique ? (
          <Text size="sm">
            <strong>Technique selected:</strong> {label(c.selectedTechnique)}
          </Text>
        ) : null}
        {c.myelograms.map((m, i) => (
          <Text size="sm" key={`m${i}`}>
            <strong>Myelogram {formatDate(m.performedOn)}:</strong> {label(m.technique)}, {label(m.outcome).toLowerCase()}
            {m.leak ? ` (${label(m.leak.type).toLowerCase()} at ${m.leak.level}, ${m.leak.side}${m.leak.speed ? `, ${m.leak.speed}` : ''})` : ''}
          </Text>
        ))}
        {c.procedures.map((pr, i) => (
          <Text size="sm" key={`p${i}`}>
            <strong>
              {pr.kind === 'surgery' ? 'Surgery' : 'Patch'} {formatDate(pr.performedOn)}:
            </strong>{' '}
            {label(pr.procedure)}
            {pr.levels?.length ? ` at ${pr.levels.join(', ')}` : ''}
            {pr.technicalSuccess === undefined ? '' : pr.technicalSuccess ? ', technically successful' : ', not technically successful'}
          </Text>
        ))}
        {c.followUps.map((f, i) => (
          <Text size="sm" key={`f${i}`}>
            <strong>{label(f.visit)}:</strong> {label(f.outcome).toLowerCase()}
            {f.hit6 !== undefined ? `, HIT-6 ${f.hit6}` : ''}
            {f.pgic !== undefined ? `, PGIC ${f.pgic}` : ''}
          </Text>
        ))}
      </Stack>
    </Paper>
  );
}

export function PatientPage({ patientId, session }: { patientId: string; session: Session }) {
  const [p, setP] = useState<PatientDetail | null>(null);
  const [error, setError] = useState<{ status: number; message: string } | null>(null);
  const [notice, setNotice] = useState<{ text: string; tone: 'green' | 'yellow' } | null>(null);
  const [waiting, setWaiting] = useState(false);
  const alive = useRef(true);
  const latest = useRef<PatientDetail | null>(null);
  const noticeRef = useRef<HTMLDivElement>(null);
  // Set on every mount: React (StrictMode in development) may unmount and mount again.
  useEffect(() => {
    alive.current = true;
    return () => void (alive.current = false);
  }, []);

  const load = useCallback(async () => {
    try {
      const detail = await apiJson<PatientDetail>('GET', `/patients/${encodeURIComponent(patientId)}`);
      if (alive.current) {
        latest.current = detail;
        setP(detail);
        setError(null);
      }
      return detail;
    } catch (err) {
      if (alive.current) setError({ status: err instanceof ApiFailure ? err.status : 0, message: err instanceof Error ? err.message : String(err) });
      return null;
    }
  }, [patientId]);

  useEffect(() => {
    void load();
  }, [load]);

  /** Announce a result and move focus to it, so keyboard and screen-reader users land on it. */
  const announce = useCallback((text: string, tone: 'green' | 'yellow' = 'green') => {
    setNotice({ text, tone });
    requestAnimationFrame(() => noticeRef.current?.focus());
  }, []);

  // Someone else acted first (409 on any action for this patient): reload and say what changed.
  useEffect(() => {
    const onConflict = (e: Event) => {
      const path = (e as CustomEvent<{ path: string }>).detail?.path ?? '';
      if (!path.startsWith(`/patients/${patientId}/`)) return;
      const before = latest.current;
      void load().then((after) => {
        if (!after || !before || !alive.current) return;
        announce(`This patient changed while the page was open, so your change was not applied: ${whatChanged(before, after)} The page now shows the current record.`, 'yellow');
      });
    };
    window.addEventListener(CONFLICT_EVENT, onConflict);
    return () => window.removeEventListener(CONFLICT_EVENT, onConflict);
  }, [patientId, load, announce]);

  /**
   * After a decision, reload until the engine has moved the pathway on (well under a second
   * locally). A decided stage reads as "no pending decision" until the next one is set.
   */
  const followEngine = async () => {
    setWaiting(true);
    for (let i = 0; i < 10 && alive.current; i++) {
      await sleep(i === 0 ? 300 : 900);
      const next = await load();
      if (!next || next.pendingDecision || next.status !== 'active') break;
    }
    if (alive.current) setWaiting(false);
  };

  if (error && !p) {
    return (
      <Page title="Patient" documentTitle="Patient">
        <LoadFailure
          title={error.status === 404 ? 'No such patient' : error.status === 403 ? 'Not allowed' : 'The patient could not be loaded'}
          message={error.message}
          {...(error.status === 404 || error.status === 403 ? {} : { onRetry: () => void load() })}
        />
        <Link to="/board">Back to the board</Link>
      </Page>
    );
  }
  if (!p) {
    return (
      <Page title="Patient" documentTitle="Patient">
        <PageSkeleton rows={5} />
      </Page>
    );
  }

  const pending = p.pendingDecision;
  const w = waitingOn(p, lastTriageOutcome(p.timeline));
  // The form is offered to the team the case waits on (the board's rule), and only when the API
  // says this user may record it (`mayDecide`, the decision service's own rule): never a form that
  // can only end in 403. An older API without `mayDecide` leaves the board's rule alone.
  const canDecide = pending && w ? mayDecide(session, w) && pending.mayDecide !== false : false;
  const name = `${p.patient.givenName} ${p.patient.familyName}`;
  const version = versionLabel(p.pathwayVersion);
  const resume = p.hold ? expectedResume(p.hold) : null;

  return (
    <Page
      title={
        <>
          {p.caseRef} <Text component="span" inherit c="dark.6" fw={400}>· {name}</Text>
        </>
      }
      documentTitle={p.caseRef}
      actions={
        <Group gap="xs">
          <Button variant="default" onClick={() => void load()}>
            Refresh
          </Button>
          {session.role === 'coordinator' ? (
            <PatientActions
              patientId={p.patientId}
              caseRef={p.caseRef}
              status={p.status}
              onDone={(m) => {
                announce(m);
                void load();
              }}
            />
          ) : null}
        </Group>
      }
    >
      <div aria-live="polite">
        {notice ? (
          <Alert ref={noticeRef} tabIndex={-1} data-focus-target data-testid="patient-notice" color={notice.tone} withCloseButton closeButtonLabel="Dismiss" onClose={() => setNotice(null)}>
            {notice.text}
            {waiting ? ' Waiting for the pathway to move on…' : ''}
          </Alert>
        ) : null}
      </div>
      {error ? <LoadFailure title="The latest record could not be loaded" message={error.message} onRetry={() => void load()} /> : null}
      <Paper withBorder radius="md" p="md" component="section" aria-label="Patient and pathway">
        <Group gap="xs" mb="sm" wrap="wrap">
          <Text fw={600}>Stage</Text>
          <StageBadge stage={p.stage} />
          <Text fw={600} ml="sm">
            Status
          </Text>
          {p.status === 'on_hold' ? null : <StatusBadge status={p.status} />}
          <PatientFlags status={p.status === 'on_hold' ? 'on_hold' : 'active'} overdue={p.overdue} hold={p.hold} />
          <UrgencyBadge urgency={p.urgency} />
          {version ? (
            <>
              <Text fw={600} ml="sm">
                Pathway
              </Text>
              <Badge variant="outline" color="gray.7" radius="sm" tt="none" data-testid="pathway-version" title={VERSION_HINT}>
                {version}
              </Badge>
            </>
          ) : null}
        </Group>
        {w ? (
          <Text size="sm" mb="sm" data-testid="waiting-on">
            <strong>{p.status === 'on_hold' ? 'When resumed, waits on:' : 'Waiting on:'}</strong> {waitingOnText(w)}
            {w.team === 'referrer' ? ' (information was requested at triage)' : ''}
          </Text>
        ) : null}
        {p.hold ? (
          <Alert color="yellow" title="On hold: clock stopped" mb="sm" data-testid="hold-summary">
            <Text size="sm">
              {holdClock(p.dueAt, p.hold)}. Reason: {label(p.hold.reason)}
              {p.hold.note ? ` (${p.hold.note})` : ''}. On hold since {formatDateTime(p.hold.since)}
              {resume ? `; ${resume}` : ''}.
            </Text>
          </Alert>
        ) : null}
        <dl className="facts">
          {(
            [
              ['Birth date', formatDate(p.patient.birthDate)],
              ['Sex', label(p.patient.sex)],
              ['MRN', p.patient.mrn],
              ['Site', label(p.site)],
              ['Urgency', label(p.urgency)],
              ['In stage since', formatDateTime(p.stageEnteredAt)],
              ['Referring physician', `${p.referringPhysician.name} (${p.referringPhysician.email})`],
              ['Symptom onset', formatDate(p.referral.symptomOnset)],
              ['Orthostatic pattern', label(p.referral.orthostaticPattern)],
              ['Baseline HIT-6', p.referral.hit6Baseline ?? '—'],
              ['Baseline headache days / month', p.referral.headacheDaysPerMonthBaseline ?? '—'],
              ['Dural puncture ≤ 30 days', p.referral.duralPunctureWithin30Days ? 'Yes' : 'No'],
              ['Prior spinal procedure', p.referral.priorSpinalProcedure ? 'Yes' : 'No'],
              ['Trauma before onset', yesNo(p.referral.trauma)],
              ['Connective tissue disorder', yesNo(p.referral.connectiveTissueDisorder)],
              // Not given reads "—"; an empty list (an API client may send one) reads "None".
              ['Associated symptoms', p.referral.associatedSymptoms === undefined ? '—' : symptomsText(p.referral.associatedSymptoms)],
            ] as const
          ).map(([term, value]) => (
            <Fact key={term} term={term}>
              {value}
            </Fact>
          ))}
        </dl>
        {p.referral.notes ? (
          <Text size="sm" mt="sm">
            <strong>Notes:</strong> {p.referral.notes}
          </Text>
        ) : null}
      </Paper>

      <Grid gap="md">
        <Grid.Col span={{ base: 12, lg: 8 }}>
          <Stack gap="md">
            <Paper withBorder radius="md" p="md" component="section" aria-labelledby="pending-title">
              <Title order={2} fz="lg" id="pending-title" mb="xs">
                {pending ? `Pending decision: ${label(pending.stage)}${pending.visit ? ` (${label(pending.visit)} visit)` : ''}` : 'No decision pending'}
              </Title>
              {pending ? (
                <Stack gap="md">
                  <Text size="sm">
                    {p.status === 'on_hold' && p.hold ? `${holdClock(pending.dueAt, p.hold)}` : `Due ${formatDateTime(pending.dueAt)} (${relativeDays(pending.dueAt)})`}
                    {w ? ` · decided by ${waitingOnText(w)}` : ''} · outcomes: {pending.allowedOutcomes.map(label).join(', ')}
                  </Text>
                  {p.recommendation ? <RecommendationPanel rec={p.recommendation} /> : null}
                  {p.status === 'on_hold' ? (
                    <Alert color="yellow" title="On hold">
                      Decisions wait until a coordinator resumes the pathway.
                    </Alert>
                  ) : canDecide ? (
                    <DecisionForm
                      key={`${pending.id ?? ''}-${pending.stage}-${pending.dueAt}-${pending.visit ?? ''}`}
                      patient={p}
                      pending={pending}
                      recommendation={p.recommendation}
                      onRecorded={(outcome) => {
                        announce(`${label(pending.stage)} decision recorded: ${label(outcome)}.`);
                        void followEngine();
                      }}
                    />
                  ) : (
                    <Text size="sm" c="dimmed" data-testid="not-your-decision">
                      This decision is recorded by {w ? waitingOnText(w) : 'the deciding team'}; you can read the case but not decide it.
                    </Text>
                  )}
                </Stack>
              ) : (
                <Text size="sm" c="dimmed">
                  {p.status === 'active' ? (waiting ? 'The pathway is moving on…' : 'The pathway engine is working; refresh in a moment.') : `The pathway is ${label(p.status).toLowerCase()}.`}
                </Text>
              )}
            </Paper>
          </Stack>
        </Grid.Col>
        <Grid.Col span={{ base: 12, lg: 4 }}>
          <ClinicalRecord p={p} />
        </Grid.Col>
      </Grid>
      <CaseWorkPanel patientId={patientId} session={session} />
      <Timeline events={p.timeline} />
    </Page>
  );
}
