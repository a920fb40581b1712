// The patient page: who the patient is (the one screen that shows names), where the pathway
// stands, the pending decision with its recommendation and evidence, the decision form, the
// clinical record so far and the full timeline.
import { Alert, Badge, Button, Checkbox, Grid, Group, List, Paper, Stack, Table, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useRef, useState } from 'react';
import { DECIDERS } from '../../../functions/domain/vocabulary.js';
import { ApiFailure, apiJson } from '../api.js';
import type { PatientDetail, Recommendation, TimelineEvent } from '../api-types.js';
import { PatientFlags, StageBadge, StatusBadge } from '../components/badges.js';
import { Page } from '../components/page.js';
import { PatientActions } from '../components/patient-actions.js';
import { CaseWorkPanel } from '../components/case-work-panel.js'; // TEAM
import { actionLabel, detailValue, formatDate, formatDateTime, label, relativeDays, VERSION_HINT, versionLabel } from '../labels.js';
import { Link } from '../router.js';
import type { Session } from '../session.js';
import { DecisionForm } from './decision-form.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function Fact({ term, children }: { term: string; children: React.ReactNode }) {
  return (
    <div>
      <Text size="xs" c="dark.3" fw={600} tt="uppercase" component="dt">
        {term}
      </Text>
      <Text size="sm" component="dd" m={0}>
        {children}
      </Text>
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
            Recommendation: {label(rec.recommended)}
          </Title>
          {bern ? (
            <Badge size="lg" variant="filled" color={rec.bernProbability === 'high' ? 'red.8' : rec.bernProbability === 'intermediate' ? 'orange.8' : 'gray.7'}>
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
              <Badge key={f} color="orange.8" variant="light">
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
        <div>
          <Text size="sm" fw={600}>
            Sources
          </Text>
          {rec.sources.length ? (
            <List size="sm" spacing={2}>
              {rec.sources.map((s) => (
                <List.Item key={s}>{s}</List.Item>
              ))}
            </List>
          ) : (
            <Text size="sm" c="dimmed">
              Program policy (configurable); no published source fixes this rule.
            </Text>
          )}
        </div>
        <Text size="xs" c="dark.4">
          A recommendation only: the deciding clinician confirms or overrides it, and the choice is kept in the audit trail.
        </Text>
      </Stack>
    </Paper>
  );
}

const actorText = (e: TimelineEvent) => (e.actor.role === 'system' ? 'System' : `${e.actor.email || e.actor.sub} (${e.actor.role})`);

function detailsText(details: Record<string, unknown> | undefined): string {
  if (!details) return '';
  return Object.entries(details)
    .filter(([, v]) => v !== undefined && v !== null && v !== '')
    .map(([k, v]) => `${k}: ${detailValue(v)}`)
    .join('; ');
}

function Timeline({ events }: { events: readonly TimelineEvent[] }) {
  const [hideViews, setHideViews] = useState(false);
  const shown = hideViews ? events.filter((e) => e.action !== 'record_viewed') : events;
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby="timeline-title">
      <Group justify="space-between" mb="xs">
        <Title order={2} fz="lg" id="timeline-title">
          Timeline ({shown.length} events)
        </Title>
        <Checkbox label="Hide record views" checked={hideViews} onChange={(e) => setHideViews(e.currentTarget.checked)} />
      </Group>
      <Table.ScrollContainer minWidth={600}>
        {/* Fixed column shares: long emails and details wrap inside their column instead of
            squeezing the others to one word per line on a tablet. */}
        <Table striped verticalSpacing={4} fz="sm" layout="fixed">
          <Table.Thead>
            <Table.Tr>
              <Table.Th scope="col" w="17%">
                When
              </Table.Th>
              <Table.Th scope="col" w="15%">
                Event
              </Table.Th>
              <Table.Th scope="col" w="13%">
                Stage
              </Table.Th>
              <Table.Th scope="col" w="22%">
                By
              </Table.Th>
              <Table.Th scope="col" w="33%">
                Details
              </Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map((e, i) => (
              <Table.Tr key={`${e.at}-${i}`}>
                <Table.Td>{formatDateTime(e.at)}</Table.Td>
                <Table.Td>{actionLabel(e.action)}</Table.Td>
                <Table.Td>{label(e.stage)}</Table.Td>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>{actorText(e)}</Table.Td>
                <Table.Td style={{ overflowWrap: 'anywhere' }}>{detailsText(e.details)}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
    </Paper>
  );
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
  const [notice, setNotice] = useState<string | null>(null);
  const [waiting, setWaiting] = useState(false);
  const alive = useRef(true);
  useEffect(() => () => void (alive.current = false), []);

  const load = useCallback(async () => {
    try {
      const detail = await apiJson<PatientDetail>('GET', `/patients/${encodeURIComponent(patientId)}`);
      if (alive.current) {
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
        <Alert color="red" role="alert" title={error.status === 404 ? 'No such patient' : error.status === 403 ? 'Not allowed' : 'The patient could not be loaded'}>
          {error.message} <Link to="/board">Back to the board</Link>
        </Alert>
      </Page>
    );
  }
  if (!p) {
    return (
      <Page title="Patient" documentTitle="Patient">
        <Text c="dimmed">Loading…</Text>
      </Page>
    );
  }

  const pending = p.pendingDecision;
  const mayDecide = pending ? DECIDERS[pending.stage].includes(session.role) : false;
  const name = `${p.patient.givenName} ${p.patient.familyName}`;
  const version = versionLabel(p.pathwayVersion);

  return (
    <Page
      title={
        <>
          {p.caseRef} <Text component="span" inherit c="dark.3" fw={400}>· {name}</Text>
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
                setNotice(m);
                void load();
              }}
            />
          ) : null}
        </Group>
      }
    >
      <div aria-live="polite">
        {notice ? (
          <Alert color="green" withCloseButton closeButtonLabel="Dismiss" onClose={() => setNotice(null)}>
            {notice}
            {waiting ? ' Waiting for the pathway to move on…' : ''}
          </Alert>
        ) : null}
      </div>
      <Paper withBorder radius="md" p="md" component="section" aria-label="Patient and pathway">
        <Group gap="xs" mb="sm" wrap="wrap">
          <Text fw={600}>Stage</Text>
          <StageBadge stage={p.stage} />
          <Text fw={600} ml="sm">
            Status
          </Text>
          <StatusBadge status={p.status} />
          <PatientFlags status={p.status === 'on_hold' ? 'on_hold' : 'active'} overdue={p.overdue} hold={p.hold} />
          {p.urgency === 'urgent' ? (
            <Badge color="red" variant="outline">
              Urgent
            </Badge>
          ) : null}
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
        <Grid gap="sm" component="dl" m={0}>
          {[
            ['Birth date', formatDate(p.patient.birthDate)],
            ['Sex', label(p.patient.sex)],
            ['MRN', p.patient.mrn],
            ['Site', label(p.site)],
            ['In stage since', formatDateTime(p.stageEnteredAt)],
            ['Referring physician', `${p.referringPhysician.name} (${p.referringPhysician.email})`],
            ['Symptom onset', formatDate(p.referral.symptomOnset)],
            ['Orthostatic pattern', label(p.referral.orthostaticPattern)],
            ['Baseline HIT-6', p.referral.hit6Baseline ?? '—'],
            ['Dural puncture ≤ 30 days', p.referral.duralPunctureWithin30Days ? 'Yes' : 'No'],
            ['Prior spinal procedure', p.referral.priorSpinalProcedure ? 'Yes' : 'No'],
          ].map(([term, value]) => (
            <Grid.Col key={String(term)} span={{ base: 6, sm: 4, lg: 3 }}>
              <Fact term={String(term)}>{value}</Fact>
            </Grid.Col>
          ))}
        </Grid>
        {p.referral.notes ? (
          <Text size="sm" mt="sm">
            <strong>Notes:</strong> {p.referral.notes}
          </Text>
        ) : null}
        {p.hold ? (
          <Text size="sm" mt="sm">
            <strong>On hold since {formatDateTime(p.hold.since)}:</strong> {label(p.hold.reason)}
            {p.hold.note ? ` (${p.hold.note})` : ''}
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
                    Due {formatDateTime(pending.dueAt)} ({relativeDays(pending.dueAt)}) · by {DECIDERS[pending.stage].map((r) => `a ${r}`).join(' or ')} · outcomes:{' '}
                    {pending.allowedOutcomes.map(label).join(', ')}
                  </Text>
                  {p.recommendation ? <RecommendationPanel rec={p.recommendation} /> : null}
                  {p.status === 'on_hold' ? (
                    <Alert color="yellow" title="On hold">
                      Decisions wait until a coordinator resumes the pathway.
                    </Alert>
                  ) : mayDecide ? (
                    <DecisionForm
                      key={`${pending.stage}-${pending.dueAt}-${pending.visit ?? ''}`}
                      patient={p}
                      pending={pending}
                      recommendation={p.recommendation}
                      onRecorded={(outcome) => {
                        setNotice(`${label(pending.stage)} decision recorded: ${label(outcome)}.`);
                        void followEngine();
                      }}
                    />
                  ) : (
                    <Text size="sm" c="dimmed">
                      This decision is recorded by {DECIDERS[pending.stage].map((r) => `a ${r}`).join(' or ')}.
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
      <CaseWorkPanel patientId={patientId} session={session} /> {/* TEAM */}
      <Timeline events={p.timeline} />
    </Page>
  );
}
