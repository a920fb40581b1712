// "Waiting on me": the decisions a physician owes, at the physician's site (the token's
// custom:site when it names a referral site), oldest due first.
import { Alert, Badge, Button, Group, Paper, Table, Text } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { NEURORADIOLOGY_SITES } from '../../../functions/domain/vocabulary.js';
import { allPages } from '../api.js';
import type { PatientListItem } from '../api-types.js';
import { Page } from '../components/page.js';
import { formatDateTime, label, relativeDays, VERSION_HINT, versionLabel } from '../labels.js';
import { useLatestRequest } from '../latest.js';
import { Link } from '../router.js';
import type { Session } from '../session.js';

export function WaitingPage({ session }: { session: Session }) {
  const [items, setItems] = useState<PatientListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const site = session.site && (NEURORADIOLOGY_SITES as readonly string[]).includes(session.site) ? session.site : undefined;

  const begin = useLatestRequest();
  const refresh = useCallback(async () => {
    const current = begin();
    try {
      const all = await allPages<PatientListItem>('/patients', { status: 'active', site, limit: '200' });
      if (!current()) return;
      setItems(all.filter((p) => p.awaiting?.role === 'physician').sort((a, b) => (a.dueAt ?? '9999').localeCompare(b.dueAt ?? '9999')));
      setError(null);
    } catch (err) {
      if (current()) setError(err instanceof Error ? err.message : String(err));
    }
  }, [begin, site]);

  useEffect(() => {
    void refresh();
    const timer = setInterval(() => void refresh(), 30_000);
    return () => clearInterval(timer);
  }, [refresh]);

  return (
    <Page
      title="Waiting on me"
      documentTitle="Waiting on me"
      actions={
        <Button variant="default" onClick={() => void refresh()}>
          Refresh
        </Button>
      }
    >
      <Text size="sm" c="dark.4">
        Pending decisions for physicians{site ? ` at ${label(site)}` : ' at every site'}
        {session.site && !site ? ` (your site, ${label(session.site)}, receives patients from both referral sites)` : ''}. Open a case to see its recommendation and record the decision.
      </Text>
      {error ? (
        <Alert color="red" role="alert" title="The list could not be loaded">
          {error}
        </Alert>
      ) : null}
      <Paper withBorder radius="md" p="sm">
        {items === null ? (
          <Text c="dimmed">Loading…</Text>
        ) : items.length === 0 ? (
          <Text c="dimmed">Nothing is waiting on you.</Text>
        ) : (
          <Table.ScrollContainer minWidth={560}>
            <Table striped highlightOnHover verticalSpacing="xs">
              <Table.Caption>
                {items.length} decision{items.length === 1 ? '' : 's'} waiting, {items.filter((i) => i.overdue).length} overdue
              </Table.Caption>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th scope="col">Case</Table.Th>
                  <Table.Th scope="col">Decision</Table.Th>
                  <Table.Th scope="col">Due</Table.Th>
                  <Table.Th scope="col">Site</Table.Th>
                  <Table.Th scope="col">In stage since</Table.Th>
                  <Table.Th scope="col" title={VERSION_HINT}>
                    Pathway
                  </Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((p) => (
                  <Table.Tr key={p.patientId}>
                    <Table.Td>
                      <Link to={`/patients/${p.patientId}`} fw={600}>
                        {p.caseRef}
                      </Link>
                    </Table.Td>
                    <Table.Td>{label(p.awaiting?.stage ?? p.stage)}</Table.Td>
                    <Table.Td>
                      <Group gap={6} wrap="nowrap">
                        <span>
                          {formatDateTime(p.dueAt)} ({relativeDays(p.dueAt)})
                        </span>
                        {p.overdue ? (
                          <Badge color="red.8" variant="filled" size="sm">
                            Overdue
                          </Badge>
                        ) : null}
                      </Group>
                    </Table.Td>
                    <Table.Td>{label(p.site)}</Table.Td>
                    <Table.Td>{formatDateTime(p.stageEnteredAt)}</Table.Td>
                    <Table.Td>{versionLabel(p.pathwayVersion) ?? '—'}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Paper>
    </Page>
  );
}
