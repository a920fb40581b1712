// The audit trail (administrators): newest first, to the second; filter by case reference (or
// patient id), action, actor and date range; the filters live in the address, so a reload or a
// shared link shows the same page. Filters are checked with the API's auditQuerySchema first.
import { Button, Group, NativeSelect, Paper, Table, Text, TextInput } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { auditQuerySchema } from '../../../functions/domain/schemas.js';
import { AUDIT_ACTIONS } from '../../../functions/domain/vocabulary.js';
import { ApiFailure, apiJson, queryString, type Issue } from '../api.js';
import type { AuditEvent, Page as ApiPage } from '../api-types.js';
import { ErrorSummary } from '../components/error-summary.js';
import { EmptyState, LoadFailure, PageSkeleton } from '../components/loading.js';
import { Page } from '../components/page.js';
import { actorText, eventDetails, eventTime } from '../event-text.js';
import { fieldErrors, fieldMessage, zodIssues } from '../form-issues.js';
import { actionLabel, label } from '../labels.js';
import { useLatestRequest } from '../latest.js';
import { setSearch, useSearch } from '../router.js';

interface Filters {
  /** A case reference (CSF-2026-000012) or a 26-character patient id. */
  readonly case: string;
  readonly action: string;
  readonly actor: string;
  readonly from: string;
  readonly to: string;
  readonly limit: string;
}

const LABELS = { caseRef: 'Case', patientId: 'Case', action: 'Action', actor: 'Actor', from: 'From', to: 'To', limit: 'Per page' };
const FIELD_OF: Record<string, keyof Filters> = { caseRef: 'case', patientId: 'case', action: 'action', actor: 'actor', from: 'from', to: 'to', limit: 'limit' };


function filtersFrom(q: URLSearchParams): Filters {
  return { case: q.get('case') ?? q.get('patientId') ?? '', action: q.get('action') ?? '', actor: q.get('actor') ?? '', from: q.get('from') ?? '', to: q.get('to') ?? '', limit: q.get('limit') ?? '50' };
}

/** Calendar days in the user's time zone, as the instants the API compares against. */
function toQuery(f: Filters): Record<string, string | undefined> {
  const c = f.case.trim();
  const day = (d: string, time: string) => {
    const t = new Date(`${d}T${time}`);
    return Number.isNaN(t.getTime()) ? d : t.toISOString();
  };
  return {
    ...(/^[0-9A-Za-z]{26}$/.test(c) ? { patientId: c.toUpperCase() } : c ? { caseRef: c.toUpperCase() } : {}),
    action: f.action || undefined,
    actor: f.actor.trim() || undefined,
    from: f.from ? day(f.from, '00:00:00') : undefined,
    to: f.to ? day(f.to, '23:59:59.999') : undefined,
    limit: f.limit,
  };
}

const defined = (q: Record<string, string | undefined>) => Object.fromEntries(Object.entries(q).filter(([, v]) => v !== undefined)) as Record<string, string>;

/** Problems the API would refuse, found before anything is sent. */
function check(f: Filters): Issue[] {
  const q = defined(toQuery(f));
  const parsed = auditQuerySchema.safeParse(q);
  const issues = parsed.success ? [] : zodIssues(parsed.error);
  if (q.from && q.to && q.from > q.to) issues.push({ path: 'to', message: 'must not be before from' });
  return issues;
}

export function AuditPage() {
  const search = useSearch();
  const applied = filtersFrom(search);
  const appliedKey = JSON.stringify(applied);
  const [draft, setDraft] = useState<Filters>(applied);
  // tokens[i] opens page i (tokens[0] is the first page, no token).
  const [tokens, setTokens] = useState<(string | null)[]>([null]);
  const [pageIndex, setPageIndex] = useState(0);
  const [page, setPage] = useState<ApiPage<AuditEvent> | null>(null);
  const [loading, setLoading] = useState(false);
  const [issues, setIssues] = useState<Issue[]>([]);
  const [error, setError] = useState<string | null>(null);
  const errors = fieldErrors(issues.map((i) => ({ ...i, path: FIELD_OF[i.path] ?? i.path })));
  const byPatient = applied.case.trim() !== '';

  const begin = useLatestRequest();
  const load = useCallback(
    async (f: Filters, token: string | null) => {
      const current = begin();
      const problems = check(f);
      if (problems.length) {
        // A bad filter in the address (typed or shared): say so instead of loading forever.
        setIssues(problems);
        setPage(null);
        setLoading(false);
        setError(null);
        return;
      }
      setLoading(true);
      setError(null);
      try {
        const result = await apiJson<ApiPage<AuditEvent>>('GET', `/audit${queryString({ ...toQuery(f), nextToken: token })}`);
        if (!current()) return;
        setPage(result);
        setIssues([]);
      } catch (err) {
        if (!current()) return;
        setPage(null);
        if (err instanceof ApiFailure && err.issues.length) setIssues([...err.issues]);
        else setError(err instanceof Error ? err.message : String(err));
      } finally {
        if (current()) setLoading(false);
      }
    },
    [begin],
  );

  const token = tokens[pageIndex] ?? null;
  useEffect(() => {
    void load(JSON.parse(appliedKey) as Filters, token);
  }, [appliedKey, token, load]);

  // The address changed under the form (Back, a link): show its filters.
  useEffect(() => setDraft(JSON.parse(appliedKey) as Filters), [appliedKey]);

  const apply = (f: Filters) => {
    const problems = check(f);
    setIssues(problems);
    if (problems.length) return;
    setTokens([null]);
    setPageIndex(0);
    setSearch({ case: f.case.trim(), patientId: null, action: f.action, actor: f.actor.trim(), from: f.from, to: f.to, limit: f.limit === '50' ? null : f.limit });
  };

  const next = () => {
    if (!page?.nextToken) return;
    setTokens((t) => [...t.slice(0, pageIndex + 1), page.nextToken]);
    setPageIndex((i) => i + 1);
  };

  const set = (k: keyof Filters) => (e: { currentTarget: { value: string } }) => {
    const v = e.currentTarget.value;
    setDraft((f) => ({ ...f, [k]: v }));
  };

  return (
    <Page title="Audit trail" documentTitle="Audit trail">
      <Paper withBorder p="sm" radius="md" component="section" aria-label="Audit filters">
        <form
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            apply(draft);
          }}
        >
          <Group align="flex-start" gap="sm" wrap="wrap">
            <TextInput id="field-case" label="Case" description="Case reference or patient id" placeholder="CSF-2026-000012" value={draft.case} onChange={set('case')} error={fieldMessage(errors, 'case')} w={{ base: '100%', sm: 260 }} />
            <NativeSelect
              id="field-action"
              label="Action"
              description="Any, or one kind of event"
              value={draft.action}
              onChange={set('action')}
              error={fieldMessage(errors, 'action')}
              data={[{ value: '', label: 'Any action' }, ...AUDIT_ACTIONS.map((a) => ({ value: a, label: actionLabel(a) }))]}
            />
            <TextInput id="field-actor" label="Actor" description="Part of an email, or “system”" placeholder="dr.x@example.org" value={draft.actor} onChange={set('actor')} error={fieldMessage(errors, 'actor')} />
            <TextInput id="field-from" label="From" description="First day" type="date" value={draft.from} onChange={set('from')} error={fieldMessage(errors, 'from')} />
            <TextInput id="field-to" label="To" description="Last day" type="date" value={draft.to} onChange={set('to')} error={fieldMessage(errors, 'to')} />
            <NativeSelect id="field-limit" label="Per page" description="Events" value={draft.limit} onChange={set('limit')} data={['10', '25', '50', '100', '200']} />
            <Group gap="xs" mt={46}>
              <Button type="submit">Apply</Button>
              <Button
                variant="default"
                onClick={() => {
                  const none = { case: '', action: '', actor: '', from: '', to: '', limit: '50' };
                  setDraft(none);
                  apply(none);
                }}
              >
                Clear
              </Button>
            </Group>
          </Group>
        </form>
      </Paper>
      <ErrorSummary issues={issues.map((i) => ({ ...i, path: FIELD_OF[i.path] ?? i.path }))} labels={{ case: LABELS.caseRef, action: LABELS.action, actor: LABELS.actor, from: LABELS.from, to: LABELS.to, limit: LABELS.limit }} />
      {error ? <LoadFailure title="The audit trail could not be loaded" message={error} onRetry={() => void load(applied, token)} /> : null}
      {loading && !page ? <PageSkeleton rows={6} /> : null}
      {page ? (
        page.items.length === 0 ? (
          <EmptyState>No events match these filters{pageIndex ? ' on this page' : ''}.</EmptyState>
        ) : (
          <Paper withBorder radius="md" p="sm" aria-busy={loading}>
            <Table.ScrollContainer minWidth={900}>
              <Table striped verticalSpacing={4} fz="sm" data-testid="audit-table">
                <Table.Caption>
                  Page {pageIndex + 1}: {page.items.length} event{page.items.length === 1 ? '' : 's'}
                  {applied.case ? ` for ${applied.case.toUpperCase()}` : ''}, newest first
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
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>
                        <time dateTime={e.at}>{eventTime(e.at)}</time>
                      </Table.Td>
                      <Table.Td>{actionLabel(e.action)}</Table.Td>
                      {byPatient ? null : (
                        <Table.Td>
                          {e.patientId ? (
                            <Button variant="subtle" size="compact-xs" ff="monospace" aria-label={`Show events of patient ${e.patientId}`} onClick={() => apply({ ...draft, case: e.patientId ?? '' })}>
                              {e.patientId}
                            </Button>
                          ) : (
                            '—'
                          )}
                        </Table.Td>
                      )}
                      <Table.Td>{label(e.stage)}</Table.Td>
                      <Table.Td style={{ overflowWrap: 'anywhere' }}>{actorText(e)}</Table.Td>
                      <Table.Td style={{ overflowWrap: 'anywhere', minWidth: 220, maxWidth: 420 }}>{eventDetails(e)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
            <Group justify="space-between" mt="sm">
              <Button variant="default" disabled={pageIndex === 0} onClick={() => setPageIndex((i) => Math.max(0, i - 1))}>
                Newer events
              </Button>
              <Text size="sm">Page {pageIndex + 1}</Text>
              <Button variant="default" disabled={!page.nextToken} onClick={next}>
                Older events
              </Button>
            </Group>
          </Paper>
        )
      ) : null}
    </Page>
  );
}
