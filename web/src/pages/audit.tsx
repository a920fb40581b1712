// The audit trail (administrators): filter by patient id (also from ?patientId=) and date range,
// page through with the API's nextToken. Filters are checked with the API's auditQuerySchema first.
import { Alert, Button, Group, NativeSelect, Paper, Table, Text, TextInput } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { auditQuerySchema } from '../../../functions/domain/schemas.js';
import { ApiFailure, apiJson, queryString, type Issue } from '../api.js';
import type { AuditEvent, Page as ApiPage } from '../api-types.js';
import { Page } from '../components/page.js';
import { fieldErrors, fieldMessage, zodIssues } from '../form-issues.js';
import { actionLabel, detailValue, formatDateTime, label } from '../labels.js';
import { useLatestRequest } from '../latest.js';

interface Filters {
  readonly patientId: string;
  readonly from: string;
  readonly to: string;
  readonly limit: string;
}

/** Calendar days in the user's time zone, as the instants the API compares against. */
function toQuery(f: Filters): Record<string, string | undefined> {
  return {
    patientId: f.patientId.trim() || undefined,
    from: f.from ? new Date(`${f.from}T00:00:00`).toISOString() : undefined,
    to: f.to ? new Date(`${f.to}T23:59:59.999`).toISOString() : undefined,
    limit: f.limit,
  };
}

/** A patient id handed over in the address (the service-levels page links here with one). */
function patientIdFromAddress(): string {
  const id = new URLSearchParams(location.search).get('patientId') ?? '';
  return /^[0-9A-Z]{26}$/.test(id) ? id : '';
}

function detailsText(details: Record<string, unknown> | undefined): string {
  if (!details) return '';
  return Object.entries(details)
    .map(([k, v]) => `${k}: ${detailValue(v)}`)
    .join('; ');
}

export function AuditPage() {
  const [filters, setFilters] = useState<Filters>(() => ({ patientId: patientIdFromAddress(), from: '', to: '', limit: '50' }));
  const [applied, setApplied] = useState<Filters>(filters);
  // tokens[i] opens page i (tokens[0] is the first page, no token).
  const [tokens, setTokens] = useState<(string | null)[]>([null]);
  const [pageIndex, setPageIndex] = useState(0);
  const [page, setPage] = useState<ApiPage<AuditEvent> | null>(null);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [error, setError] = useState<string | null>(null);
  const errors = fieldErrors(issues);
  // Filtered to one patient, the id column would repeat one value on every row.
  const byPatient = applied.patientId.trim() !== '';

  const begin = useLatestRequest();
  const load = useCallback(
    async (f: Filters, token: string | null) => {
      const current = begin();
      setPage(null);
      try {
        const result = await apiJson<ApiPage<AuditEvent>>('GET', `/audit${queryString({ ...toQuery(f), nextToken: token })}`);
        if (!current()) return;
        setPage(result);
        setError(null);
      } catch (err) {
        if (!current()) return;
        if (err instanceof ApiFailure && err.issues.length) setIssues([...err.issues]);
        setError(err instanceof Error ? err.message : String(err));
      }
    },
    [begin],
  );

  const token = tokens[pageIndex] ?? null;
  useEffect(() => {
    void load(applied, token);
  }, [applied, token, load]);

  const apply = () => {
    const q = toQuery(filters);
    const parsed = auditQuerySchema.safeParse(Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)));
    if (!parsed.success) return setIssues(zodIssues(parsed.error));
    setIssues([]);
    setTokens([null]);
    setPageIndex(0);
    setApplied({ ...filters });
  };

  const next = () => {
    if (!page?.nextToken) return;
    setTokens((t) => [...t.slice(0, pageIndex + 1), page.nextToken]);
    setPageIndex((i) => i + 1);
  };

  return (
    <Page title="Audit trail" documentTitle="Audit trail">
      <Paper withBorder p="sm" radius="md" component="section" aria-label="Audit filters">
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            apply();
          }}
        >
          <Group align="flex-start" gap="sm" wrap="wrap">
            <TextInput
              label="Patient id"
              placeholder="26-character id"
              value={filters.patientId}
              onChange={(e) => { const v = e.currentTarget.value; setFilters((f) => ({ ...f, patientId: v })); }}
              error={fieldMessage(errors, 'patientId')}
              w={{ base: '100%', sm: 300 }}
              styles={{ input: { fontFamily: 'monospace' } }}
            />
            <TextInput label="From" type="date" value={filters.from} onChange={(e) => { const v = e.currentTarget.value; setFilters((f) => ({ ...f, from: v })); }} error={fieldMessage(errors, 'from')} />
            <TextInput label="To" type="date" value={filters.to} onChange={(e) => { const v = e.currentTarget.value; setFilters((f) => ({ ...f, to: v })); }} error={fieldMessage(errors, 'to')} />
            <NativeSelect label="Per page" value={filters.limit} onChange={(e) => { const v = e.currentTarget.value; setFilters((f) => ({ ...f, limit: v })); }} data={['10', '25', '50', '100', '200']} />
            <Button type="submit" mt={25}>
              Apply
            </Button>
          </Group>
        </form>
      </Paper>
      {error ? (
        <Alert color="red" role="alert" title="The audit trail could not be loaded">
          {error}
        </Alert>
      ) : null}
      <Paper withBorder radius="md" p="sm">
        {!page ? (
          <Text c="dimmed">Loading…</Text>
        ) : (
          <>
            <Table.ScrollContainer minWidth={900}>
              <Table striped verticalSpacing={4} fz="sm">
                <Table.Caption>
                  Page {pageIndex + 1}: {page.items.length} event{page.items.length === 1 ? '' : 's'}
                  {applied.patientId ? ` for patient ${applied.patientId}` : ''}
                </Table.Caption>
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th scope="col">When</Table.Th>
                    <Table.Th scope="col">Action</Table.Th>
                    {byPatient ? null : <Table.Th scope="col">Patient id</Table.Th>}
                    <Table.Th scope="col">Stage</Table.Th>
                    <Table.Th scope="col">Actor</Table.Th>
                    <Table.Th scope="col">Details</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.items.map((e, i) => (
                    <Table.Tr key={`${e.at}-${i}`}>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(e.at)}</Table.Td>
                      <Table.Td>{actionLabel(e.action)}</Table.Td>
                      {byPatient ? null : (
                        <Table.Td>
                          {e.patientId ? (
                            <Button
                              variant="subtle"
                              size="compact-xs"
                              ff="monospace"
                              aria-label={`Show events of patient ${e.patientId}`}
                              onClick={() => {
                                const f = { ...filters, patientId: e.patientId ?? '' };
                                setFilters(f);
                                setTokens([null]);
                                setPageIndex(0);
                                setApplied(f);
                              }}
                            >
                              {e.patientId}
                            </Button>
                          ) : (
                            '—'
                          )}
                        </Table.Td>
                      )}
                      <Table.Td>{label(e.stage)}</Table.Td>
                      <Table.Td>{e.actor.role === 'system' ? 'System' : `${e.actor.email || e.actor.sub} (${e.actor.role})`}</Table.Td>
                      <Table.Td style={{ overflowWrap: 'anywhere', minWidth: 220, maxWidth: 420 }}>{detailsText(e.details)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group justify="space-between" mt="sm">
              <Button variant="default" disabled={pageIndex === 0} onClick={() => setPageIndex((i) => Math.max(0, i - 1))}>
                Previous page
              </Button>
              <Text size="sm">Page {pageIndex + 1}</Text>
              <Button variant="default" disabled={!page.nextToken} onClick={next}>
                Next page
              </Button>
            </Group>
          </>
        )}
      </Paper>
    </Page>
  );
}
