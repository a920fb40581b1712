// The coordinator board: every patient by stage with counts, due dates, overdue and on-hold
// flags, filters, search by case reference, and hold / resume / withdraw. Case references
// only: patient names appear on the patient page alone.
import { Alert, Badge, Button, Checkbox, Group, NativeSelect, Paper, ScrollArea, SimpleGrid, Stack, Text, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { NEURORADIOLOGY_SITES, STAGES, STATUSES } from '../../../functions/domain/vocabulary.js';
import { allPages } from '../api.js';
import type { PatientListItem } from '../api-types.js';
import { PatientFlags } from '../components/badges.js';
import { Page } from '../components/page.js';
import { PatientActions } from '../components/patient-actions.js';
import { BulkActionBar } from '../components/bulk-actions.js'; // TEAM
import { SavedFilters } from '../components/saved-filters.js'; // TEAM
import { clearFlash, useFlash } from '../flash.js';
import { formatDate, formatDateTime, label, relativeDays, VERSION_HINT, versionLabel } from '../labels.js';
import { useLatestRequest } from '../latest.js';
import { Link, navigate } from '../router.js';
import type { Session } from '../session.js';

const REFRESH_MS = 20_000;

interface Filters {
  readonly site: string;
  readonly stage: string;
  readonly status: string;
  readonly overdue: boolean;
  readonly search: string;
}

const byDue = (a: PatientListItem, b: PatientListItem) => (a.dueAt ?? '9999').localeCompare(b.dueAt ?? '9999') || a.caseRef.localeCompare(b.caseRef);

const waitingOn = (p: PatientListItem) => (p.awaiting && p.status === 'active' ? `Waiting on the ${p.awaiting.role}` : '');

async function loadBoard(f: Filters): Promise<PatientListItem[]> {
  const statuses = f.status === 'open' ? ['active', 'on_hold'] : f.status === 'all' ? [undefined] : [f.status];
  const base = { site: f.site || undefined, stage: f.stage || undefined, overdue: f.overdue ? 'true' : undefined, limit: '200' };
  const pages = await Promise.all(statuses.map((status) => allPages<PatientListItem>('/patients', { ...base, status })));
  return pages.flat().sort(byDue);
}

export function BoardPage({ session }: { session: Session }) {
  const [filters, setFilters] = useState<Filters>({ site: '', stage: '', status: 'open', overdue: false, search: '' });
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
      const loaded = await loadBoard({ site, stage, status, overdue, search: '' });
      if (!current()) return;
      setItems(loaded);
      setUpdatedAt(new Date().toISOString());
      setError(null);
    } catch (err) {
      if (current()) setError(err instanceof Error ? err.message : String(err));
    }
  }, [begin, site, stage, status, overdue]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), REFRESH_MS);
    return () => clearInterval(timer);
  }, [refresh]);

  const search = filters.search.trim().toLowerCase();
  const shown = useMemo(() => (items ?? []).filter((p) => !search || p.caseRef.toLowerCase().includes(search)), [items, search]);
  const columns = filters.stage ? STAGES.filter((s) => s === filters.stage) : STAGES;
  const overdueCount = shown.filter((p) => p.overdue).length;
  const onHoldCount = shown.filter((p) => p.status === 'on_hold').length;
  const canRefer = session.role === 'coordinator' || session.role === 'physician';
  const set = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));

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
          <TextInput label="Search case reference" placeholder="e.g. CSF-2026-000012" value={filters.search} onChange={(e) => set({ search: e.currentTarget.value })} w={{ base: '100%', xs: 200 }} />
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
            onChange={(e) => set({ status: e.currentTarget.value })}
            data={[{ value: 'open', label: 'Open (active or on hold)' }, { value: 'all', label: 'All statuses' }, ...STATUSES.map((s) => ({ value: s, label: label(s) }))]}
          />
          <Checkbox label="Overdue only" checked={filters.overdue} onChange={(e) => set({ overdue: e.currentTarget.checked })} mb={8} />
        </Group>
        <SavedFilters view="board" current={filters} onApply={setFilters} /> {/* TEAM */}
      </Paper>
      {session.role === 'coordinator' ? <BulkActionBar patients={shown} onDone={(m) => (setNotice(m), void refresh())} /> : null} {/* TEAM */}
      {error ? (
        <Alert color="red" role="alert" title="The board could not be loaded">
          {error}
        </Alert>
      ) : null}
      <Group gap="md" aria-label="Summary" role="group">
        <Text size="sm">
          <strong>{shown.length}</strong> patient{shown.length === 1 ? '' : 's'}
        </Text>
        <Text size="sm" c={overdueCount ? 'red.8' : undefined}>
          <strong>{overdueCount}</strong> overdue
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
      {items === null && !error ? <Text c="dimmed">Loading…</Text> : null}
      <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }} spacing="sm" verticalSpacing="sm">
        {columns.map((s) => {
          const patients = shown.filter((p) => p.stage === s);
          return (
            <Paper key={s} withBorder radius="md" p="sm" component="section" aria-labelledby={`col-${s}`} data-stage={s} bg="gray.0">
              <Group justify="space-between" mb="xs" wrap="nowrap">
                <Title order={2} fz="md" id={`col-${s}`}>
                  {label(s)}
                </Title>
                <Group gap={4} wrap="nowrap">
                  {patients.some((p) => p.overdue) ? (
                    <Badge color="red.8" variant="filled" size="sm" aria-label={`${patients.filter((p) => p.overdue).length} overdue`}>
                      {patients.filter((p) => p.overdue).length} overdue
                    </Badge>
                  ) : null}
                  <Badge color="gray" variant="light" size="lg" aria-label={`${patients.length} patients`}>
                    {patients.length}
                  </Badge>
                </Group>
              </Group>
              <ScrollArea.Autosize mah={380} type="auto" offsetScrollbars="present">
                {patients.length === 0 ? (
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
                          {session.role === 'coordinator' ? (
                            <PatientActions variant="menu" patientId={p.patientId} caseRef={p.caseRef} status={p.status} onDone={(m) => (setNotice(m), void refresh())} />
                          ) : null}
                        </Group>
                        <Text size="xs" c="dark.4">
                          {label(p.site)}
                          {p.dueAt && (p.status === 'active' || p.status === 'on_hold') ? ` · Due ${formatDate(p.dueAt)} (${relativeDays(p.dueAt)})` : ''}
                        </Text>
                        {waitingOn(p) || versionLabel(p.pathwayVersion) ? (
                          <Group justify="space-between" gap={4} wrap="nowrap">
                            <Text size="xs" c="dark.4">
                              {waitingOn(p)}
                            </Text>
                            {versionLabel(p.pathwayVersion) ? (
                              <Text size="xs" c="dark.4" title={VERSION_HINT} data-testid="pathway-version" style={{ whiteSpace: 'nowrap' }}>
                                Pathway {versionLabel(p.pathwayVersion)}
                              </Text>
                            ) : null}
                          </Group>
                        ) : null}
                        <PatientFlags status={p.status} overdue={p.overdue} hold={p.hold ?? null} />
                      </Paper>
                    ))}
                  </Stack>
                )}
              </ScrollArea.Autosize>
            </Paper>
          );
        })}
      </SimpleGrid>
    </Page>
  );
}
