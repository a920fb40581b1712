// The coordinator board: every patient by stage (or as one compact list, the default on a tablet)
// with counts, who each case waits on, urgency, due dates, overdue and on-hold flags, filters kept
// in the address, search by case reference, and hold / resume / withdraw. Case references only:
// patient names appear on the patient page alone.
import { Alert, Badge, Button, Checkbox, Group, NativeSelect, Paper, SegmentedControl, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { allStageIds, CARE_PATHWAY } from '../../../functions/domain/pathway.js';
import { NEURORADIOLOGY_SITES, STATUSES } from '../../../functions/domain/vocabulary.js';

/** The pathway's stages in order, from its definition: a stage added there gets its column. */
const STAGES = allStageIds(CARE_PATHWAY);
import { allPages } from '../api.js';
import type { PatientListItem } from '../api-types.js';
import { DueText, PatientFlags, UrgencyBadge } from '../components/badges.js';
import { CardsSkeleton, EmptyState, LoadFailure, PageSkeleton } from '../components/loading.js';
import { Page } from '../components/page.js';
import { PatientActions } from '../components/patient-actions.js';
import { BulkActionBar } from '../components/bulk-actions.js';
import { SavedFilters } from '../components/saved-filters.js';
import { clearFlash, useFlash } from '../flash.js';
import { formatDateTime, label, VERSION_HINT, versionLabel } from '../labels.js';
import { useLatestRequest } from '../latest.js';
import { Link, navigate, setSearch, useSearch } from '../router.js';
import type { Session } from '../session.js';
import { byPriority, waitingOn, waitingOnText } from '../waiting-on.js';

const REFRESH_MS = 20_000;

interface Filters {
  readonly site: string;
  readonly stage: string;
  readonly status: string;
  readonly overdue: boolean;
}

const SORTS = {
  priority: { label: 'Priority: overdue, urgent, then due date', compare: byPriority },
  due: { label: 'Due date', compare: (a: PatientListItem, b: PatientListItem) => (a.dueAt ?? '9999').localeCompare(b.dueAt ?? '9999') || a.caseRef.localeCompare(b.caseRef) },
  case: { label: 'Case reference', compare: (a: PatientListItem, b: PatientListItem) => a.caseRef.localeCompare(b.caseRef) },
  stage: { label: 'Stage', compare: (a: PatientListItem, b: PatientListItem) => STAGES.indexOf(a.stage) - STAGES.indexOf(b.stage) || byPriority(a, b) },
  entered: { label: 'Longest in stage', compare: (a: PatientListItem, b: PatientListItem) => a.stageEnteredAt.localeCompare(b.stageEnteredAt) },
} as const;
type SortKey = keyof typeof SORTS;

async function loadBoard(f: Filters): Promise<PatientListItem[]> {
  const statuses = f.status === 'open' ? ['active', 'on_hold'] : f.status === 'all' ? [undefined] : [f.status];
  const base = { site: f.site || undefined, stage: f.stage || undefined, overdue: f.overdue ? 'true' : undefined, limit: '200' };
  const pages = await Promise.all(statuses.map((status) => allPages<PatientListItem>('/patients', { ...base, status })));
  return pages.flat();
}

/** A tablet (or narrower) starts on the compact list; the choice is kept in the address. */
const defaultView = () => (typeof window !== 'undefined' && window.innerWidth < 1200 ? 'list' : 'board');

function WaitingOnText({ p, bare = false }: { p: PatientListItem; bare?: boolean }) {
  const w = waitingOn(p);
  if (!w) return null;
  if (p.status === 'on_hold') return <>{`When resumed: ${waitingOnText(w)}`}</>;
  return <>{bare ? waitingOnText(w) : `Waiting on ${waitingOnText(w)}`}</>;
}

export function BoardPage({ session }: { session: Session }) {
  const q = useSearch();
  const filters: Filters = { site: q.get('site') ?? '', stage: q.get('stage') ?? '', status: q.get('status') ?? 'open', overdue: q.get('overdue') === 'true' };
  const search = q.get('q') ?? '';
  const view = q.get('view') === 'list' || q.get('view') === 'board' ? (q.get('view') as 'list' | 'board') : defaultView();
  const sort: SortKey = (q.get('sort') ?? '') in SORTS ? (q.get('sort') as SortKey) : 'priority';
  const [items, setItems] = useState<PatientListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const flash = useFlash('/board');
  const { site, stage, status, overdue } = filters;

  const begin = useLatestRequest();
  const refresh = useCallback(async () => {
    const current = begin();
    try {
      const loaded = await loadBoard({ site, stage, status, overdue });
      if (!current()) return;
      setItems(loaded);
      setUpdatedAt(new Date().toISOString());
      setError(null);
    } catch (err) {
      if (current()) setError(err instanceof Error ? err.message : String(err));
    }
  }, [begin, site, stage, status, overdue]);

  useEffect(() => {
    setItems(null);
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  const needle = search.trim().toLowerCase();
  const shown = useMemo(() => (items ?? []).filter((p) => !needle || p.caseRef.toLowerCase().includes(needle)).sort(SORTS[sort].compare), [items, needle, sort]);
  // Referral is a pass-through stage (the engine moves a patient on within a second): its column
  // is shown only when it holds someone or is asked for.
  const columns = filters.stage ? STAGES.filter((s) => s === filters.stage) : STAGES.filter((s) => s !== 'REFERRAL' || shown.some((p) => p.stage === s));
  const overdueCount = shown.filter((p) => p.overdue).length;
  const urgentCount = shown.filter((p) => p.urgency === 'urgent').length;
  const onHoldCount = shown.filter((p) => p.status === 'on_hold').length;
  const canRefer = session.role === 'coordinator' || session.role === 'physician';
  const set = (patch: Record<string, string | null>) => setSearch(patch);
  const loading = items === null && !error;
  const onDone = (m: string) => {
    setNotice(m);
    void refresh();
  };

  return (
    <Page
      title="Board"
      documentTitle="Board"
      actions={
        <Group gap="xs">
          <Button variant="default" onClick={() => void refresh()}>
            Refresh
          </Button>
          {canRefer ? <Button onClick={() => navigate('/referrals/new')}>New referral</Button> : null}
        </Group>
      }
    >
      <div aria-live="polite">
        {flash || notice ? (
          <Alert
            color="green"
            withCloseButton
            closeButtonLabel="Dismiss"
            onClose={() => {
              clearFlash();
              setNotice(null);
            }}
          >
            {flash ?? notice}
          </Alert>
        ) : null}
      </div>
      <Paper withBorder p="sm" radius="md" component="section" aria-label="Filters">
        <Group gap="sm" align="flex-end" wrap="wrap">
          <TextInput label="Search case reference" placeholder="e.g. CSF-2026-000012" value={search} onChange={(e) => set({ q: e.currentTarget.value })} w={{ base: '100%', xs: 200 }} />
          <NativeSelect
            label="Site"
            value={filters.site}
            onChange={(e) => set({ site: e.currentTarget.value })}
            data={[{ value: '', label: 'All sites' }, ...NEURORADIOLOGY_SITES.map((s) => ({ value: s, label: label(s) }))]}
          />
          <NativeSelect
            label="Stage"
            value={filters.stage}
            onChange={(e) => set({ stage: e.currentTarget.value })}
            data={[{ value: '', label: 'All stages' }, ...STAGES.map((s) => ({ value: s, label: label(s) }))]}
          />
          <NativeSelect
            label="Status"
            value={filters.status}
            onChange={(e) => set({ status: e.currentTarget.value === 'open' ? null : e.currentTarget.value })}
            data={[{ value: 'open', label: 'Open (active or on hold)' }, { value: 'all', label: 'All statuses' }, ...STATUSES.map((s) => ({ value: s, label: label(s) }))]}
          />
          <NativeSelect label="Sort by" value={sort} onChange={(e) => set({ sort: e.currentTarget.value === 'priority' ? null : e.currentTarget.value })} data={Object.entries(SORTS).map(([value, s]) => ({ value, label: s.label }))} />
          <Checkbox label="Overdue only" checked={filters.overdue} onChange={(e) => set({ overdue: e.currentTarget.checked ? 'true' : null })} mb={8} />
          <SegmentedControl
            aria-label="Layout"
            value={view}
            onChange={(v) => set({ view: v })}
            data={[
              { value: 'board', label: 'Board' },
              { value: 'list', label: 'List' },
            ]}
          />
        </Group>
        <SavedFilters view="board" current={filters} onApply={(f) => set({ site: f.site, stage: f.stage, status: f.status === 'open' ? null : f.status, overdue: f.overdue ? 'true' : null })} />
      </Paper>
      {session.role === 'coordinator' ? <BulkActionBar patients={shown} onDone={(m) => (setNotice(m), void refresh())} /> : null}
      {error ? <LoadFailure title="The board could not be loaded" message={error} onRetry={() => void refresh()} /> : null}
      {loading ? null : (
        <Group gap="md" aria-label="Summary" role="group">
          <Text size="sm">
            <strong>{shown.length}</strong> patient{shown.length === 1 ? '' : 's'}
          </Text>
          <Text size="sm" c={overdueCount ? 'red.9' : undefined}>
            <strong>{overdueCount}</strong> overdue
          </Text>
          <Text size="sm">
            <strong>{urgentCount}</strong> urgent
          </Text>
          <Text size="sm">
            <strong>{onHoldCount}</strong> on hold
          </Text>
          {updatedAt ? (
            <Text size="xs" c="dimmed">
              Updated {formatDateTime(updatedAt)}
            </Text>
          ) : null}
        </Group>
      )}
      {loading && view === 'list' ? <PageSkeleton rows={6} /> : null}
      {!loading && items !== null && shown.length === 0 ? (
        <EmptyState>
          {items.length === 0 ? 'No patients match these filters.' : `No case reference contains “${search}”.`} {filters.status === 'open' ? 'Closed pathways are under Status: All statuses.' : ''}
        </EmptyState>
      ) : null}
      {view === 'list' ? (
        !loading && shown.length > 0 ? (
          <PatientList items={shown} session={session} onDone={onDone} />
        ) : null
      ) : (
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3, xl: 4 }} spacing="sm" verticalSpacing="sm">
          {columns.map((s) => {
            const patients = shown.filter((p) => p.stage === s);
            const overdueHere = patients.filter((p) => p.overdue).length;
            return (
              <Paper key={s} withBorder radius="md" p="sm" component="section" aria-labelledby={`col-${s}`} data-stage={s} bg="gray.0">
                <Group justify="space-between" mb="xs" gap={4} wrap="wrap">
                  <Title order={2} fz="md" id={`col-${s}`}>
                    {label(s)}
                  </Title>
                  {loading ? null : (
                    <Group gap={4} wrap="nowrap">
                      {overdueHere ? (
                        <Badge color="red.9" variant="filled" size="sm">
                          {overdueHere} overdue
                        </Badge>
                      ) : null}
                      <Badge color="gray" variant="light" size="lg" aria-label={`${patients.length} patient${patients.length === 1 ? '' : 's'}`}>
                        {patients.length}
                      </Badge>
                    </Group>
                  )}
                </Group>
                {loading ? (
                  <CardsSkeleton />
                ) : patients.length === 0 ? (
                  <Text size="sm" c="dimmed">
                    No patients
                  </Text>
                ) : (
                  <Stack gap={6} component="ul" style={{ listStyle: 'none', margin: 0, padding: 0 }}>
                    {patients.map((p) => (
                      <Paper component="li" key={p.patientId} withBorder radius="sm" p={8} data-case-ref={p.caseRef} bg="white">
                        <Group justify="space-between" wrap="nowrap" gap={4}>
                          <Link to={`/patients/${p.patientId}`} fw={600} size="sm">
                            {p.caseRef}
                          </Link>
                          {session.role === 'coordinator' ? <PatientActions variant="menu" patientId={p.patientId} caseRef={p.caseRef} status={p.status} onDone={onDone} /> : null}
                        </Group>
                        <Text size="xs" c="dark.6">
                          {label(p.site)}
                          {p.dueAt && (p.status === 'active' || p.status === 'on_hold') ? ' · ' : ''}
                          <DueText item={p} />
                        </Text>
                        <Text size="xs" c="dark.6" data-testid="waiting-on">
                          <WaitingOnText p={p} />
                        </Text>
                        <Group justify="space-between" gap={4} wrap="wrap">
                          <Group gap={4} wrap="wrap">
                            <UrgencyBadge urgency={p.urgency} />
                            <PatientFlags status={p.status} overdue={p.overdue} hold={p.hold ?? null} />
                          </Group>
                          {versionLabel(p.pathwayVersion) ? (
                            <Text size="xs" c="dark.6" title={VERSION_HINT} data-testid="pathway-version" style={{ whiteSpace: 'nowrap' }}>
                              Pathway {versionLabel(p.pathwayVersion)}
                            </Text>
                          ) : null}
                        </Group>
                      </Paper>
                    ))}
                  </Stack>
                )}
              </Paper>
            );
          })}
        </SimpleGrid>
      )}
    </Page>
  );
}

/** The compact list: one row per patient, nothing scrolls inside it, badges wrap instead of being cut. */
function PatientList({ items, session, onDone }: { items: readonly PatientListItem[]; session: Session; onDone: (m: string) => void }) {
  return (
    <Paper withBorder radius="md" p={0} component="section" aria-label="Patients">
      <Table verticalSpacing={6} fz="sm" striped data-testid="patient-list">
        <Table.Thead>
          <Table.Tr>
            <Table.Th scope="col">Case</Table.Th>
            <Table.Th scope="col">Stage</Table.Th>
            <Table.Th scope="col">Waiting on</Table.Th>
            <Table.Th scope="col">Due</Table.Th>
            <Table.Th scope="col">Flags</Table.Th>
            {session.role === 'coordinator' ? (
              <Table.Th scope="col">
                <span className="visually-hidden">Actions</span>
              </Table.Th>
            ) : null}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {items.map((p) => (
            <Table.Tr key={p.patientId} data-case-ref={p.caseRef} data-stage={p.stage}>
              <Table.Td style={{ whiteSpace: 'nowrap' }}>
                <Link to={`/patients/${p.patientId}`} fw={600}>
                  {p.caseRef}
                </Link>
                <Text size="xs" c="dark.6">
                  {label(p.site)}
                  {versionLabel(p.pathwayVersion) ? ` · Pathway ${versionLabel(p.pathwayVersion)}` : ''}
                </Text>
              </Table.Td>
              <Table.Td>{label(p.stage)}</Table.Td>
              <Table.Td data-testid="waiting-on">
                <WaitingOnText p={p} bare />
              </Table.Td>
              <Table.Td>
                <DueText item={p} />
              </Table.Td>
              <Table.Td>
                <Group gap={4} wrap="wrap">
                  <UrgencyBadge urgency={p.urgency} />
                  <PatientFlags status={p.status} overdue={p.overdue} hold={p.hold ?? null} />
                </Group>
              </Table.Td>
              {session.role === 'coordinator' ? (
                <Table.Td>
                  <PatientActions variant="menu" patientId={p.patientId} caseRef={p.caseRef} status={p.status} onDone={onDone} />
                </Table.Td>
              ) : null}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Paper>
  );
}
