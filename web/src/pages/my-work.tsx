// "My work": the cases I own, the decisions assigned to me, my follow-ups due today, my team's
// unassigned decisions, and the bookings still to make, this week's and those overdue. Case
// references only: names stay on the patient page.
import { Alert, Badge, Button, Group, Paper, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { apiJson } from '../api.js';
import { Page } from '../components/page.js';
import { formatDate, label, relativeDays } from '../labels.js';
import { Link } from '../router.js';
import type { Session } from '../session.js';
import type { BookingItem, MyWork, WorkRow } from '../team-types.js';

interface Bookings {
  readonly needs: { items: BookingItem[]; unbooked: { patientId: string; caseRef: string; stage: string; kind: string }[] };
  readonly week: { items: BookingItem[] };
  readonly overdue: { items: BookingItem[] };
}

function Rows({ rows, empty, testId, claim }: { rows: readonly WorkRow[]; empty: string; testId: string; claim?: (id: string) => void }) {
  if (!rows.length) return <Text size="sm" c="dimmed">{empty}</Text>;
  return (
    <Table striped withTableBorder data-testid={testId}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>Case</Table.Th>
          <Table.Th>Stage</Table.Th>
          <Table.Th>Due</Table.Th>
          <Table.Th>Follow-up</Table.Th>
          {claim ? <Table.Th>Take it</Table.Th> : null}
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {rows.map((r) => (
          <Table.Tr key={r.patientId} data-case-ref={r.caseRef}>
            <Table.Td>
              <Link to={`/patients/${r.patientId}`} fw={600}>
                {r.caseRef}
              </Link>{' '}
              {r.status === 'on_hold' ? <Badge color="yellow">On hold</Badge> : null}
            </Table.Td>
            <Table.Td>{label(r.stage)}</Table.Td>
            <Table.Td>
              {r.dueAt ? `${formatDate(r.dueAt)} (${relativeDays(r.dueAt)})` : '—'} {r.overdue ? <Badge color="red.8">Overdue</Badge> : null}
            </Table.Td>
            <Table.Td>{r.followUpOn ? formatDate(r.followUpOn) : '—'}</Table.Td>
            {claim ? (
              <Table.Td>
                <Button size="compact-xs" variant="default" onClick={() => claim(r.patientId)} aria-label={`Claim ${r.caseRef}`}>
                  Claim
                </Button>
              </Table.Td>
            ) : null}
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function BookingRows({ items, testId, empty }: { items: readonly BookingItem[]; testId: string; empty: string }) {
  if (!items.length) return <Text size="sm" c="dimmed">{empty}</Text>;
  return (
    <Table striped withTableBorder data-testid={testId}>
      <Table.Tbody>
        {items.map((b) => (
          <Table.Tr key={b.bookingId}>
            <Table.Td>
              <Link to={`/patients/${b.patientId}`} fw={600}>
                {b.caseRef}
              </Link>
            </Table.Td>
            <Table.Td>{label(b.kind)}</Table.Td>
            <Table.Td>{b.startsAtLocal ?? 'To schedule'}</Table.Td>
            <Table.Td>{[b.site ? label(b.site) : null, b.place ? `${label(b.place.kind)} ${b.place.label}` : null].filter(Boolean).join(', ')}</Table.Td>
            <Table.Td>{b.overdue ? <Badge color="red.8">Overdue: no result</Badge> : label(b.status)}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function Section({ title, count, children }: { title: string; count: number; children: React.ReactNode }) {
  return (
    <Paper withBorder p="sm" radius="md" component="section" aria-label={title}>
      <Stack gap="xs">
        <Title order={2} fz="md">
          {title} <Badge variant="light">{count}</Badge>
        </Title>
        {children}
      </Stack>
    </Paper>
  );
}

export function MyWorkPage({ session }: { session: Session }) {
  const [work, setWork] = useState<MyWork | null>(null);
  const [bookings, setBookings] = useState<Bookings | null>(null);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [w, needs, week, overdue] = await Promise.all([
        apiJson<MyWork>('GET', '/work/mine'),
        apiJson<Bookings['needs']>('GET', '/bookings?view=needs_booking'),
        apiJson<Bookings['week']>('GET', '/bookings?view=this_week'),
        apiJson<Bookings['overdue']>('GET', '/bookings?view=overdue'),
      ]);
      setWork(w);
      setBookings({ needs, week, overdue });
      setError(null);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  }, []);
  useEffect(() => void load(), [load]);

  const claim = (patientId: string) => void apiJson('POST', `/patients/${patientId}/claim`).then(load, (err: Error) => setError(err.message));

  return (
    <Page title="My work" documentTitle="My work" actions={<Button variant="default" onClick={() => void load()}>Refresh</Button>}>
      {error ? <Alert color="red" role="alert">{error}</Alert> : null}
      {!work || !bookings ? <Text c="dimmed">Loading…</Text> : (
        <>
          <Text size="sm" c="dark.5">
            {work.me.name} · {label(work.me.role)}
            {work.me.team ? ` · ${label(work.me.team)}` : ''}
            {work.me.site ? ` · ${label(work.me.site)}` : ''} · today is {formatDate(work.today)} ({work.timeZone})
          </Text>
          <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="sm">
            <Section title="Follow-ups due today" count={work.followUpsDue.length}>
              <Rows rows={work.followUpsDue} empty="Nothing to chase today." testId="follow-ups-due" />
            </Section>
            <Section title={session.role === 'physician' ? 'Assigned to me' : 'Decisions assigned to me'} count={work.assigned.length}>
              <Rows rows={work.assigned} empty="No decision is assigned to you." testId="assigned" />
            </Section>
            {session.role === 'coordinator' ? (
              <Section title="Cases I own" count={work.owned.length}>
                <Rows rows={work.owned} empty="You own no open case." testId="owned" />
              </Section>
            ) : null}
            <Section title="My team's unassigned" count={work.teamUnassigned.length}>
              <Rows rows={work.teamUnassigned} empty="Every pending decision of your team has someone." testId="team-unassigned" claim={claim} />
            </Section>
            <Section title="Needs booking" count={bookings.needs.items.length + bookings.needs.unbooked.length}>
              {bookings.needs.unbooked.length ? (
                <Table withTableBorder data-testid="unbooked">
                  <Table.Tbody>
                    {bookings.needs.unbooked.map((u) => (
                      <Table.Tr key={`${u.patientId}-${u.kind}`}>
                        <Table.Td>
                          <Link to={`/patients/${u.patientId}`} fw={600}>
                            {u.caseRef}
                          </Link>
                        </Table.Td>
                        <Table.Td>{label(u.kind)}</Table.Td>
                        <Table.Td>Not booked yet</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              ) : null}
              <BookingRows items={bookings.needs.items} testId="to-schedule" empty={bookings.needs.unbooked.length ? '' : 'Nothing waits to be booked.'} />
            </Section>
            <Section title="Booked this week" count={bookings.week.items.length}>
              <BookingRows items={bookings.week.items} testId="booked-this-week" empty="Nothing booked this week." />
            </Section>
            <Section title="Bookings overdue (no result)" count={bookings.overdue.items.length}>
              <BookingRows items={bookings.overdue.items} testId="bookings-overdue" empty="No booking is past its time without a result." />
            </Section>
          </SimpleGrid>
          <Group />
        </>
      )}
    </Page>
  );
}
