// The work around one case, on the patient page: who owns it, who takes the pending decision,
// the follow-up date, bookings (times in the program's zone), case notes and information the
// referring doctor sent. Every change goes through the team API, which audits it.
import { Alert, Badge, Button, Checkbox, Group, NativeSelect, Paper, SimpleGrid, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { BOOKING_KINDS, PLACE_KINDS, instantOf } from '../../../functions/domain/team-work.js';
import { FOLLOW_UP_VISITS } from '../../../functions/domain/vocabulary.js';
import { ApiFailure, apiJson, type Issue } from '../api.js';
import { formatDateTime, label, todayIso } from '../labels.js';
import type { Session } from '../session.js';
import type { CaseWork, DirectoryMember, NoteItem } from '../team-types.js';

const SITES = ['santa-clara', 'roseville-sacramento', 'sacramento', 'redwood-city'];

function Problem({ error }: { error: ApiFailure | string | null }) {
  if (!error) return null;
  const issues: readonly Issue[] = error instanceof ApiFailure ? error.issues : [];
  return (
    <Alert color="red" role="alert" variant="light" p="xs">
      {error instanceof ApiFailure ? error.message : error}
      {issues.map((i) => (
        <Text key={`${i.path}${i.message}`} size="sm">
          {i.path ? `${label(i.path)}: ` : ''}
          {i.message}
        </Text>
      ))}
    </Alert>
  );
}

function NoteRow({ patientId, note, onSaved }: { patientId: string; note: NoteItem; onSaved: () => void }) {
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(note.text);
  const [error, setError] = useState<ApiFailure | null>(null);
  const save = async () => {
    try {
      await apiJson('PUT', `/patients/${patientId}/notes/${note.noteId}`, { text, rev: note.rev });
      setEditing(false);
      setError(null);
      onSaved();
    } catch (err) {
      setError(err as ApiFailure);
    }
  };
  return (
    <Paper withBorder p="xs" radius="sm" component="li" data-note-id={note.noteId}>
      <Group justify="space-between" gap="xs">
        <Text size="xs" c="dark.4">
          {note.author.email} ({note.author.role}) · {formatDateTime(note.createdAt)}
          {note.editedAt ? ' · corrected' : ''}
          {note.sharedWithReferrer ? ' · shared with the referring doctor' : ''}
        </Text>
        {note.editable && !editing ? (
          <Button size="compact-xs" variant="subtle" onClick={() => setEditing(true)}>
            Correct
          </Button>
        ) : null}
      </Group>
      {editing ? (
        <Stack gap={4}>
          <Textarea aria-label="Correct the note" value={text} onChange={(e) => setText(e.currentTarget.value)} autosize minRows={2} />
          <Group gap="xs">
            <Button size="xs" onClick={() => void save()}>
              Save correction
            </Button>
            <Button size="xs" variant="default" onClick={() => setEditing(false)}>
              Cancel
            </Button>
          </Group>
          <Problem error={error} />
        </Stack>
      ) : (
        <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
          {note.text}
        </Text>
      )}
    </Paper>
  );
}

export function CaseWorkPanel({ patientId, session }: { patientId: string; session: Session }) {
  const [work, setWork] = useState<CaseWork | null>(null);
  const [coordinators, setCoordinators] = useState<DirectoryMember[]>([]);
  const [error, setError] = useState<ApiFailure | string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [note, setNote] = useState('');
  const [share, setShare] = useState(false);
  const [followOn, setFollowOn] = useState('');
  const [followReason, setFollowReason] = useState('');
  const [booking, setBooking] = useState({ kind: 'myelography', visit: 'day1', date: todayIso(), time: '09:00', site: 'santa-clara', placeKind: 'scanner', placeLabel: '' });
  const isCoordinator = session.role === 'coordinator';

  const load = useCallback(async () => {
    try {
      setWork(await apiJson<CaseWork>('GET', `/patients/${patientId}/work`));
    } catch (err) {
      setError(err as ApiFailure);
    }
  }, [patientId]);

  useEffect(() => {
    void load();
    if (isCoordinator) void apiJson<{ items: DirectoryMember[] }>('GET', '/directory').then((d) => setCoordinators(d.items.filter((m) => m.role === 'coordinator')), () => undefined);
  }, [load, isCoordinator]);

  const run = async (what: string, fn: () => Promise<unknown>) => {
    try {
      await fn();
      setError(null);
      setNotice(what);
      await load();
    } catch (err) {
      setError(err as ApiFailure);
      setNotice(null);
    }
  };

  if (!work) {
    return (
      <Paper withBorder p="md" radius="md" component="section" aria-label="Case work">
        {error ? <Problem error={error} /> : <Text c="dimmed">Loading case work…</Text>}
      </Paper>
    );
  }

  const tz = work.timeZone;
  const book = (status: 'to_schedule' | 'booked') =>
    run(status === 'booked' ? 'Booked.' : 'Added to the bookings to make.', () =>
      apiJson('POST', `/patients/${patientId}/bookings`, {
        kind: booking.kind,
        ...(booking.kind === 'follow_up_visit' ? { visit: booking.visit } : {}),
        status,
        ...(status === 'booked' ? { startsAt: instantOf(tz, booking.date, booking.time).toISOString(), site: booking.site } : {}),
        ...(booking.placeLabel.trim() ? { place: { kind: booking.placeKind, label: booking.placeLabel.trim() } } : {}),
      }),
    );

  return (
    <Paper withBorder p="md" radius="md" component="section" aria-labelledby="case-work-title" data-testid="case-work">
      <Stack gap="sm">
        <Title order={2} fz="lg" id="case-work-title">
          Case work
        </Title>
        <div aria-live="polite">{notice ? <Alert color="green" p="xs">{notice}</Alert> : null}</div>
        <Problem error={error} />
        <SimpleGrid cols={{ base: 1, md: 3 }} spacing="sm">
          <Stack gap={4} data-testid="owner">
            <Text fw={600} size="sm">
              Owner
            </Text>
            <Text size="sm">{work.owner ? `${work.owner.name} (${work.owner.email})` : 'Nobody owns this case yet.'}</Text>
            {isCoordinator ? (
              <Group gap="xs" align="flex-end">
                <Button size="xs" variant="default" onClick={() => void run('You own this case.', () => apiJson('POST', `/patients/${patientId}/claim`))}>
                  Claim
                </Button>
                <NativeSelect
                  size="xs"
                  aria-label="Owner"
                  value={work.owner?.email ?? ''}
                  onChange={(e) => {
                    const coordinator = e.currentTarget.value || null;
                    void run(coordinator ? 'Owner changed.' : 'Owner removed.', () => apiJson('POST', `/patients/${patientId}/owner`, { coordinator }));
                  }}
                  data={[{ value: '', label: 'Nobody' }, ...coordinators.map((c) => ({ value: c.email, label: c.name }))]}
                />
              </Group>
            ) : null}
          </Stack>
          <Stack gap={4} data-testid="assignee">
            <Text fw={600} size="sm">
              Pending decision taken by
            </Text>
            <Text size="sm">{work.pendingDecisionId ? (work.assignee ? `${work.assignee.name} (${work.assignee.email})` : 'Nobody yet (the whole team is told).') : 'No decision is pending.'}</Text>
            {work.pendingDecisionId ? (
              <Group gap="xs" align="flex-end">
                {session.role === 'physician' ? (
                  <Button size="xs" variant="default" onClick={() => void run('The decision is yours.', () => apiJson('POST', `/patients/${patientId}/claim`))}>
                    Claim
                  </Button>
                ) : null}
                <NativeSelect
                  size="xs"
                  aria-label="Assignee"
                  value={work.assignee?.email ?? ''}
                  onChange={(e) => {
                    const clinician = e.currentTarget.value || null;
                    void run(clinician ? 'Assigned.' : 'Unassigned.', () => apiJson('POST', `/patients/${patientId}/assignee`, { clinician, pendingDecisionId: work.pendingDecisionId }));
                  }}
                  data={[{ value: '', label: 'Nobody' }, ...work.candidates.map((c) => ({ value: c.email, label: c.name }))]}
                />
              </Group>
            ) : null}
          </Stack>
          <Stack gap={4} data-testid="follow-up">
            <Text fw={600} size="sm">
              Follow-up date
            </Text>
            <Text size="sm">{work.followUp ? `${work.followUp.on}${work.followUp.reason ? `: ${work.followUp.reason}` : ''}` : 'None.'}</Text>
            <Group gap="xs" align="flex-end">
              <TextInput size="xs" type="date" label="On" value={followOn} onChange={(e) => setFollowOn(e.currentTarget.value)} />
              <TextInput size="xs" label="What to do" value={followReason} onChange={(e) => setFollowReason(e.currentTarget.value)} />
              <Button size="xs" variant="default" disabled={!followOn} onClick={() => void run('Follow-up date set.', () => apiJson('POST', `/patients/${patientId}/follow-up`, { on: followOn, ...(followReason.trim() ? { reason: followReason.trim() } : {}) }))}>
                Set
              </Button>
              {work.followUp ? (
                <Button size="xs" variant="subtle" onClick={() => void run('Follow-up date cleared.', () => apiJson('POST', `/patients/${patientId}/follow-up`, { on: null }))}>
                  Clear
                </Button>
              ) : null}
            </Group>
          </Stack>
        </SimpleGrid>

        <Title order={3} fz="md">
          Bookings <Text span size="xs" c="dimmed">(times in {tz})</Text>
        </Title>
        {work.bookings.length ? (
          <Table striped withTableBorder data-testid="bookings">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>What</Table.Th>
                <Table.Th>When</Table.Th>
                <Table.Th>Where</Table.Th>
                <Table.Th>Status</Table.Th>
                <Table.Th>Record</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {work.bookings.map((b) => (
                <Table.Tr key={b.bookingId}>
                  <Table.Td>
                    {label(b.kind)}
                    {b.visit ? ` (${label(b.visit)})` : ''}
                  </Table.Td>
                  <Table.Td>{b.startsAtLocal ?? '—'}</Table.Td>
                  <Table.Td>{[b.site ? label(b.site) : null, b.place ? `${label(b.place.kind)} ${b.place.label}` : null].filter(Boolean).join(', ') || '—'}</Table.Td>
                  <Table.Td>
                    {label(b.status)} {b.overdue ? <Badge color="red.8">Overdue: no result</Badge> : null}
                  </Table.Td>
                  <Table.Td>
                    <Group gap={4}>
                      {b.status === 'to_schedule' ? (
                        <Button size="compact-xs" variant="default" onClick={() => void run('Booked.', () => apiJson('PUT', `/patients/${patientId}/bookings/${b.bookingId}`, { status: 'booked', startsAt: instantOf(tz, booking.date, booking.time).toISOString(), site: booking.site, rev: b.rev }))}>
                          Book at the time below
                        </Button>
                      ) : null}
                      {b.status === 'booked'
                        ? (['done', 'did_not_attend', 'cancelled'] as const).map((s) => (
                            <Button key={s} size="compact-xs" variant="default" onClick={() => void run(`Marked ${label(s).toLowerCase()}.`, () => apiJson('PUT', `/patients/${patientId}/bookings/${b.bookingId}`, { status: s, rev: b.rev }))}>
                              {label(s)}
                            </Button>
                          ))
                        : null}
                    </Group>
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : (
          <Text size="sm" c="dimmed">
            Nothing booked yet.
          </Text>
        )}
        <Group gap="xs" align="flex-end" wrap="wrap" component="form" aria-label="New booking" onSubmit={(e) => e.preventDefault()}>
          <NativeSelect size="xs" label="Kind" value={booking.kind} onChange={(e) => setBooking({ ...booking, kind: e.currentTarget.value })} data={BOOKING_KINDS.map((k) => ({ value: k, label: label(k) }))} />
          {booking.kind === 'follow_up_visit' ? (
            <NativeSelect size="xs" label="Visit" value={booking.visit} onChange={(e) => setBooking({ ...booking, visit: e.currentTarget.value })} data={FOLLOW_UP_VISITS.map((v) => ({ value: v, label: label(v) }))} />
          ) : null}
          <TextInput size="xs" type="date" label="Date" value={booking.date} onChange={(e) => setBooking({ ...booking, date: e.currentTarget.value })} />
          <TextInput size="xs" type="time" label="Time" value={booking.time} onChange={(e) => setBooking({ ...booking, time: e.currentTarget.value })} />
          <NativeSelect size="xs" label="Site" value={booking.site} onChange={(e) => setBooking({ ...booking, site: e.currentTarget.value })} data={SITES.map((s) => ({ value: s, label: label(s) }))} />
          <NativeSelect size="xs" label="Place" value={booking.placeKind} onChange={(e) => setBooking({ ...booking, placeKind: e.currentTarget.value })} data={PLACE_KINDS.map((k) => ({ value: k, label: label(k) }))} />
          <TextInput size="xs" label="Scanner, room or phone" value={booking.placeLabel} onChange={(e) => setBooking({ ...booking, placeLabel: e.currentTarget.value })} />
          <Button size="xs" onClick={() => void book('booked')}>
            Book
          </Button>
          <Button size="xs" variant="default" onClick={() => void book('to_schedule')}>
            To schedule
          </Button>
        </Group>

        <Title order={3} fz="md">
          Notes <Text span size="xs" c="dimmed">(correctable by their author for {work.noteEditMinutes} min, then part of the record)</Text>
        </Title>
        {work.notes.length ? (
          <Stack gap={6} component="ul" style={{ listStyle: 'none', margin: 0, padding: 0 }} data-testid="notes">
            {work.notes.map((n) => (
              <NoteRow key={`${n.noteId}-${n.rev}`} patientId={patientId} note={n} onSaved={() => void load()} />
            ))}
          </Stack>
        ) : (
          <Text size="sm" c="dimmed">
            No notes yet.
          </Text>
        )}
        <Stack gap={4}>
          <Textarea label="New note" value={note} onChange={(e) => setNote(e.currentTarget.value)} autosize minRows={2} />
          <Group gap="sm">
            <Checkbox label="Share with the referring doctor" checked={share} onChange={(e) => setShare(e.currentTarget.checked)} />
            <Button
              size="xs"
              disabled={!note.trim()}
              onClick={() =>
                void run('Note added.', async () => {
                  await apiJson('POST', `/patients/${patientId}/notes`, { text: note, sharedWithReferrer: share });
                  setNote('');
                  setShare(false);
                })
              }
            >
              Add note
            </Button>
          </Group>
        </Stack>

        {work.information.length ? (
          <>
            <Title order={3} fz="md">
              Information from the referring doctor
            </Title>
            {work.information.map((i) => (
              <Paper key={i.infoId} withBorder p="xs" data-testid="information">
                <Text size="xs" c="dark.4">
                  {i.from} · {formatDateTime(i.receivedAt)}
                </Text>
                <Text size="sm" style={{ whiteSpace: 'pre-wrap' }}>
                  {i.text}
                </Text>
                {i.attachments.map((a) => (
                  <Text key={a.name} size="xs" style={{ whiteSpace: 'pre-wrap' }}>
                    <strong>{a.name}</strong>: {a.text}
                  </Text>
                ))}
              </Paper>
            ))}
          </>
        ) : null}
      </Stack>
    </Paper>
  );
}
