// "Waiting on me": the decisions the signed-in user may record, by their role, team and site
// (a neurosurgeon sees neurosurgical consults, a Santa Clara neuroradiologist the Santa Clara
// cases, a coordinator the follow-up check-ins), overdue and urgent first.
import { Badge, Button, Group, Paper, Table, Text } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { allPages } from '../api.js';
import type { PatientListItem } from '../api-types.js';
import { UrgencyBadge } from '../components/badges.js';
import { EmptyState, LoadFailure, PageSkeleton } from '../components/loading.js';
import { Page } from '../components/page.js';
import { formatDateTime, label, relativeDays, VERSION_HINT, versionLabel } from '../labels.js';
import { useLatestRequest } from '../latest.js';
import { Link } from '../router.js';
import type { Session } from '../session.js';
import { byPriority, isWaitingOnMe, waitingOn, waitingOnText } from '../waiting-on.js';

function whoIAm(session: Session): string {
  if (session.role === 'coordinator') return 'the coordinators';
  const team = session.team ? label(session.team) : 'program physicians';
  return session.team === 'neuroradiology' && session.site ? `${team} at ${label(session.site)}` : team;
}

export function WaitingPage({ session }: { session: Session }) {
  const [items, setItems] = useState<PatientListItem[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const begin = useLatestRequest();
  const refresh = useCallback(async () => {
    const current = begin();
    try {
      const all = await allPages<PatientListItem>('/patients', { status: 'active', limit: '200' });
      if (!current()) return;
      setItems(
        all
          .filter((p) => {
            const w = waitingOn(p);
            return w !== null && isWaitingOnMe(session, w);
          })
          .sort(byPriority),
      );
      setError(null);
    } catch (err) {
      if (current()) setError(err instanceof Error ? err.message : String(err));
    }
  }, [begin, session]);

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
      <Text size="sm" c="dark.6" data-testid="waiting-scope">
        Decisions waiting on {whoIAm(session)}, overdue and urgent first. Open a case to see its recommendation and record the decision.
      </Text>
      {error ? <LoadFailure title="The list could not be loaded" message={error} onRetry={() => void refresh()} /> : null}
      {items === null ? (
        error ? null : <PageSkeleton rows={5} />
      ) : items.length === 0 ? (
        <EmptyState>Nothing is waiting on you right now.</EmptyState>
      ) : (
        <Paper withBorder radius="md" p="sm">
          <Table striped highlightOnHover verticalSpacing="xs" fz="sm">
            <Table.Caption>
              {items.length} decision{items.length === 1 ? '' : 's'} waiting, {items.filter((i) => i.overdue).length} overdue
            </Table.Caption>
            <Table.Thead>
              <Table.Tr>
                <Table.Th scope="col">Case</Table.Th>
                <Table.Th scope="col">Decision</Table.Th>
                <Table.Th scope="col">Waiting on</Table.Th>
                <Table.Th scope="col">Due</Table.Th>
                <Table.Th scope="col">In stage since</Table.Th>
                <Table.Th scope="col" title={VERSION_HINT}>
                  Pathway
                </Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {items.map((p) => {
                const w = waitingOn(p);
                return (
                  <Table.Tr key={p.patientId} data-case-ref={p.caseRef}>
                    <Table.Td>
                      <Group gap={6} wrap="wrap">
                        <Link to={`/patients/${p.patientId}`} fw={600}>
                          {p.caseRef}
                        </Link>
                        <UrgencyBadge urgency={p.urgency} />
                      </Group>
                    </Table.Td>
                    <Table.Td>{label(p.awaiting?.stage ?? p.stage)}</Table.Td>
                    <Table.Td>{w ? waitingOnText(w) : '—'}</Table.Td>
                    <Table.Td>
                      <Group gap={6} wrap="wrap">
                        <span>
                          {formatDateTime(p.dueAt)} ({relativeDays(p.dueAt)})
                        </span>
                        {p.overdue ? (
                          <Badge color="red.9" variant="filled" size="sm">
                            Overdue
                          </Badge>
                        ) : null}
                      </Group>
                    </Table.Td>
                    <Table.Td>{formatDateTime(p.stageEnteredAt)}</Table.Td>
                    <Table.Td>{versionLabel(p.pathwayVersion) ?? '—'}</Table.Td>
                  </Table.Tr>
                );
              })}
            </Table.Tbody>
          </Table>
        </Paper>
      )}
    </Page>
  );
}
