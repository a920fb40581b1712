// The referring doctor's view: the patients they referred (by their own referral id and the
// program's case reference), where each stands, what happens next, booked dates, notes the
// program shared, and the answer to a request for information.
import { Alert, Badge, Button, Paper, Stack, Table, Text, Textarea, TextInput, Title } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { ApiFailure, apiJson } from '../api.js';
import { Page } from '../components/page.js';
import { formatDate, formatDateTime, label } from '../labels.js';
import { Link, navigate } from '../router.js';
import type { ReferredPatient, ReferredPatientDetail } from '../team-types.js';

export function ReferrerHomePage() {
  const [items, setItems] = useState<ReferredPatient[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    apiJson<{ items: ReferredPatient[] }>('GET', '/referrer/patients').then((r) => setItems(r.items), (err: Error) => setError(err.message));
  }, []);
  return (
    <Page title="My referrals" documentTitle="My referrals" actions={<Button onClick={() => navigate('/referrals/new')}>New referral</Button>}>
      {error ? <Alert color="red" role="alert">{error}</Alert> : null}
      {items === null && !error ? <Text c="dimmed">Loading…</Text> : null}
      {items && !items.length ? <Text>You have no referrals with the program yet.</Text> : null}
      {items && items.length ? (
        <Table striped withTableBorder data-testid="referrals">
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Your reference</Table.Th>
              <Table.Th>Case</Table.Th>
              <Table.Th>Where it stands</Table.Th>
              <Table.Th>Next step</Table.Th>
              <Table.Th>Next booking</Table.Th>
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {items.map((p) => (
              <Table.Tr key={p.patientId} data-case-ref={p.caseRef}>
                <Table.Td>{p.referralId}</Table.Td>
                <Table.Td>
                  <Link to={`/referrer/patients/${p.patientId}`} fw={600}>
                    {p.caseRef}
                  </Link>
                </Table.Td>
                <Table.Td>
                  {label(p.stage)} · {label(p.status)}
                </Table.Td>
                <Table.Td>
                  {p.nextStep} {p.informationRequest && !p.informationRequest.answeredAt ? <Badge color="orange">Information requested</Badge> : null}
                </Table.Td>
                <Table.Td>{p.nextBooking ? `${label(p.nextBooking.kind)}: ${p.nextBooking.startsAtLocal}` : '—'}</Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      ) : null}
    </Page>
  );
}

export function ReferrerPatientPage({ patientId }: { patientId: string }) {
  const [p, setP] = useState<ReferredPatientDetail | null>(null);
  const [error, setError] = useState<ApiFailure | null>(null);
  const [text, setText] = useState('');
  const [attachmentName, setAttachmentName] = useState('');
  const [attachmentText, setAttachmentText] = useState('');
  const [notice, setNotice] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setP(await apiJson<ReferredPatientDetail>('GET', `/referrer/patients/${patientId}`));
      setError(null);
    } catch (err) {
      setError(err as ApiFailure);
    }
  }, [patientId]);
  useEffect(() => void load(), [load]);

  const send = async () => {
    try {
      await apiJson('POST', `/patients/${patientId}/information`, {
        text,
        attachments: attachmentName.trim() && attachmentText.trim() ? [{ name: attachmentName.trim(), text: attachmentText }] : [],
      });
      setText('');
      setAttachmentName('');
      setAttachmentText('');
      setNotice('Thank you: the program has your information and has been told.');
      await load();
    } catch (err) {
      setError(err as ApiFailure);
    }
  };

  if (!p) {
    return (
      <Page title="Referral" documentTitle="Referral">
        {error ? <Alert color="red" role="alert">{error.status === 404 ? 'There is no such referral of yours.' : error.message}</Alert> : <Text c="dimmed">Loading…</Text>}
      </Page>
    );
  }
  const request = p.informationRequest;
  return (
    <Page title={`${p.caseRef} · ${p.patient.givenName} ${p.patient.familyName}`} documentTitle={p.caseRef}>
      <div aria-live="polite">{notice ? <Alert color="green">{notice}</Alert> : null}</div>
      {error ? <Alert color="red" role="alert">{error.message}{error.issues.map((i) => ` ${label(i.path)} ${i.message}.`)}</Alert> : null}
      <Paper withBorder p="md" radius="md">
        <Stack gap={4}>
          <Text>
            Your reference <strong>{p.referralId}</strong>, referred {formatDate(p.referredAt)}; born {formatDate(p.patient.birthDate)}.
          </Text>
          <Text data-testid="where">
            Stage: <strong>{label(p.stage)}</strong> · Status: <strong>{label(p.status)}</strong>
          </Text>
          <Text data-testid="next-step">Next step: {p.nextStep}</Text>
        </Stack>
      </Paper>
      {request ? (
        <Paper withBorder p="md" radius="md" component="section" aria-labelledby="request-title" data-testid="information-request">
          <Stack gap="xs">
            <Title order={2} fz="md" id="request-title">
              The program asked for information ({formatDateTime(request.askedAt)})
            </Title>
            {request.asked ? <Text style={{ whiteSpace: 'pre-wrap' }}>{request.asked}</Text> : null}
            {request.answeredAt ? <Text c="green.9">You answered on {formatDateTime(request.answeredAt)}; you can send more below.</Text> : null}
            <Textarea label="Your answer" value={text} onChange={(e) => setText(e.currentTarget.value)} autosize minRows={3} />
            <TextInput label="Attachment name (optional)" value={attachmentName} onChange={(e) => setAttachmentName(e.currentTarget.value)} />
            <Textarea label="Attachment text (optional, e.g. a pasted report)" value={attachmentText} onChange={(e) => setAttachmentText(e.currentTarget.value)} autosize minRows={2} />
            <Button onClick={() => void send()} disabled={!text.trim()}>
              Send the information
            </Button>
          </Stack>
        </Paper>
      ) : null}
      <Paper withBorder p="md" radius="md" component="section" aria-label="Bookings">
        <Title order={2} fz="md" mb="xs">
          Booked dates <Text span size="xs" c="dimmed">({p.timeZone})</Text>
        </Title>
        {p.bookings.length ? (
          <Table data-testid="referrer-bookings">
            <Table.Tbody>
              {p.bookings.map((b, i) => (
                <Table.Tr key={i}>
                  <Table.Td>{label(b.kind)}{b.visit ? ` (${label(b.visit)})` : ''}</Table.Td>
                  <Table.Td>{b.startsAtLocal ?? 'To be scheduled'}</Table.Td>
                  <Table.Td>{b.site ? label(b.site) : ''}</Table.Td>
                  <Table.Td>{label(b.status)}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : (
          <Text size="sm" c="dimmed">Nothing booked yet.</Text>
        )}
      </Paper>
      {p.sharedNotes.length ? (
        <Paper withBorder p="md" radius="md" component="section" aria-label="Notes from the program">
          <Title order={2} fz="md" mb="xs">Notes from the program</Title>
          {p.sharedNotes.map((n) => (
            <Text key={n.noteId} size="sm" style={{ whiteSpace: 'pre-wrap' }}>
              {formatDateTime(n.createdAt)}: {n.text}
            </Text>
          ))}
        </Paper>
      ) : null}
      <Link to="/referrer">Back to my referrals</Link>
    </Page>
  );
}
