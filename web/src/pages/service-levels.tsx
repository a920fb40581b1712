// Administrator service levels from GET /metrics/sla (pre-aggregated counters, plus the current
// overdue list by case reference only): the share of decisions made within their service level
// per stage and month, median program-driven and patient-driven days, and what is overdue now.
import { Checkbox, NativeSelect, SimpleGrid, Stack, Table, Text, VisuallyHidden } from '@mantine/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, LabelList, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { CARE_PATHWAY, decisionStageIds } from '../../../functions/domain/pathway.js';

const DECISION_STAGES = decisionStageIds(CARE_PATHWAY);
import { apiJson, queryString } from '../api.js';
import { percentOf } from '../../../functions/app/figures.js';
import type { SlaReport, SlaRow } from '../api-types.js';
import { LoadFailure, PageSkeleton } from '../components/loading.js';
import { Page } from '../components/page.js';
import { ChartCard, COLORS, MonthRangeForm, rangeFromAddress, rangeToAddress, type MonthRange } from '../components/report.js';
import { duration, formatDate, formatTime, label } from '../labels.js';
import { useLatestRequest } from '../latest.js';
import { Link } from '../router.js';

const monthFormat = new Intl.DateTimeFormat('en-US', { month: 'short', year: 'numeric' });
/** "2026-11" -> "Nov 2026". */
const monthLabel = (month: string) => {
  const d = new Date(`${month}-15T12:00:00`);
  return Number.isNaN(d.getTime()) ? month : monthFormat.format(d);
};
const percent = (p: number | null) => (p === null ? '—' : `${p}%`);
const days = (n: number | null) => (n === null ? '—' : `${n} d`);

interface Share {
  readonly name: string;
  readonly decisions: number;
  readonly within: number;
  /** Percent within service level; null when nothing was decided. */
  readonly share: number | null;
  readonly text: string;
}

function shareOf(name: string, rows: readonly SlaRow[]): Share {
  const decisions = rows.reduce((n, r) => n + r.decisions, 0);
  const within = rows.reduce((n, r) => n + r.withinServiceLevel, 0);
  const share = percentOf(within, decisions);
  return { name, decisions, within, share, text: share === null ? '' : `${share}% of ${decisions}` };
}

/** The share within service level as bars; a 0% share keeps a sliver so its label shows. */
function ShareChart({ data, layout }: { data: readonly Share[]; layout: 'stages' | 'months' }) {
  const byStage = layout === 'stages';
  return (
    <ResponsiveContainer width="100%" height={byStage ? 300 : 270}>
      <BarChart data={[...data]} layout={byStage ? 'vertical' : 'horizontal'} margin={{ left: 0, right: byStage ? 84 : 16, top: byStage ? 0 : 24 }}>
        <CartesianGrid strokeDasharray="3 3" horizontal={!byStage} vertical={byStage} />
        {byStage ? (
          <>
            <XAxis type="number" domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} unit="%" />
            <YAxis type="category" dataKey="name" width={180} tick={{ fontSize: 12 }} />
          </>
        ) : (
          <>
            <XAxis dataKey="name" tick={{ fontSize: 11 }} minTickGap={16} />
            <YAxis domain={[0, 100]} ticks={[0, 25, 50, 75, 100]} unit="%" />
          </>
        )}
        <Tooltip formatter={(_value, _name, item) => [(item.payload as Share).text, 'Within service level']} />
        <Bar dataKey="share" name="Within service level" fill={COLORS[0]} isAnimationActive={false} maxBarSize={byStage ? 28 : 40} minPointSize={(v) => (v === 0 ? 3 : 0)}>
          {/* Drawn by hand: Recharts' own label wraps "100% of 3" onto two lines. */}
          <LabelList
            dataKey="text"
            content={({ x, y, width, height, value }) => {
              const [bx, by, bw, bh] = [x, y, width, height].map(Number) as [number, number, number, number];
              return (
                <text
                  x={byStage ? bx + bw + 6 : bx + bw / 2}
                  y={byStage ? by + bh / 2 : by - 6}
                  textAnchor={byStage ? 'start' : 'middle'}
                  dominantBaseline={byStage ? 'central' : 'auto'}
                  fill="#343a40"
                  fontSize={12}
                >
                  {String(value ?? '')}
                </text>
              );
            }}
          />
        </Bar>
      </BarChart>
    </ResponsiveContainer>
  );
}

export function ServiceLevelsPage() {
  const [initial] = useState(rangeFromAddress);
  const [applied, setApplied] = useState<MonthRange>(initial);
  const [report, setReport] = useState<SlaReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [stage, setStage] = useState('');
  const [showEmpty, setShowEmpty] = useState(false);
  const [loadedAt, setLoadedAt] = useState(() => Date.now());

  const begin = useLatestRequest();
  const load = useCallback(
    async (r: MonthRange) => {
      const current = begin();
      try {
        const loaded = await apiJson<SlaReport>('GET', `/metrics/sla${queryString({ from: r.from, to: r.to })}`);
        if (!current()) return;
        setReport(loaded);
        setLoadedAt(Date.now());
        setError(null);
      } catch (err) {
        if (current()) setError(err instanceof Error ? err.message : String(err));
      }
    },
    [begin],
  );

  useEffect(() => {
    void load(applied);
  }, [applied, load]);

  const rows = useMemo(() => report?.rows ?? [], [report]);
  const months = useMemo(() => [...new Set(rows.map((r) => r.month))].sort(), [rows]);
  const byStage = useMemo(() => DECISION_STAGES.map((s) => shareOf(label(s), rows.filter((r) => r.stage === s))), [rows]);
  const byMonth = useMemo(() => months.map((m) => shareOf(monthLabel(m), rows.filter((r) => r.month === m && (!stage || r.stage === stage)))), [rows, months, stage]);
  const tableRows = useMemo(
    () => rows.filter((r) => showEmpty || r.decisions > 0 || r.medianProgramDrivenDays !== null || r.medianPatientDrivenDays !== null),
    [rows, showEmpty],
  );
  const overdue = useMemo(() => [...(report?.overdue ?? [])].sort((a, b) => (a.dueAt ?? '').localeCompare(b.dueAt ?? '') || a.caseRef.localeCompare(b.caseRef)), [report]);
  const total = shareOf('All', rows);

  return (
    <Page title="Service levels" documentTitle="Service levels">
      <MonthRangeForm
        initial={initial}
        onApply={(r) => {
          rangeToAddress(r);
          setApplied(r);
        }}
        status={
          report
            ? `${report.from} to ${report.to}: ${total.decisions} decision${total.decisions === 1 ? '' : 's'}${total.decisions ? `, ${total.share}% within service level` : ''} · ${overdue.length} overdue now`
            : ''
        }
      />
      {error ? <LoadFailure title="Service levels could not be loaded" message={error} onRetry={() => void load(applied)} /> : null}
      {!report ? (
        error ? null : <PageSkeleton rows={5} />
      ) : (
        <Stack gap="md">
          <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
            <ChartCard title="Within service level by stage" description="Share of the decisions made in the range that were made by their due date, and how many decisions.">
              {total.decisions === 0 ? (
                <Text size="sm" c="dimmed">
                  No decisions in this range.
                </Text>
              ) : (
                <ShareChart data={byStage} layout="stages" />
              )}
            </ChartCard>
            <ChartCard
              title="Within service level by month"
              description={`Share of decisions made by their due date, per month${stage ? `, at ${label(stage).toLowerCase()}` : ', all stages'}.`}
              actions={
                <NativeSelect
                  label="Stage"
                  size="xs"
                  value={stage}
                  onChange={(e) => setStage(e.currentTarget.value)}
                  data={[{ value: '', label: 'All stages' }, ...DECISION_STAGES.map((s) => ({ value: s, label: label(s) }))]}
                />
              }
            >
              {byMonth.every((m) => m.decisions === 0) ? (
                <Text size="sm" c="dimmed">
                  No decisions {stage ? `at ${label(stage).toLowerCase()} ` : ''}in this range.
                </Text>
              ) : (
                <ShareChart data={byMonth} layout="months" />
              )}
            </ChartCard>
          </SimpleGrid>

          <ChartCard
            title="By stage and month"
            description="Share of decisions within service level, and median days per decision: program-driven is the time in stage less patient-requested holds; patient-driven is the time on hold for the patient's reasons."
            actions={<Checkbox label="Show months without decisions" checked={showEmpty} onChange={(e) => setShowEmpty(e.currentTarget.checked)} />}
          >
            {tableRows.length === 0 ? (
              <Text size="sm" c="dimmed">
                No decisions in this range.
              </Text>
            ) : (
              <Table.ScrollContainer minWidth={640}>
                <Table striped verticalSpacing={4} fz="sm" data-testid="sla-table">
                  <Table.Caption>
                    {tableRows.length} row{tableRows.length === 1 ? '' : 's'}, {report.from} to {report.to}
                  </Table.Caption>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">Month</Table.Th>
                      <Table.Th scope="col">Stage</Table.Th>
                      <Table.Th scope="col" ta="right">
                        Decisions
                      </Table.Th>
                      <Table.Th scope="col" ta="right">
                        Within service level
                      </Table.Th>
                      <Table.Th scope="col" ta="right">
                        Share within
                      </Table.Th>
                      <Table.Th scope="col" ta="right">
                        Median program-driven
                      </Table.Th>
                      <Table.Th scope="col" ta="right">
                        Median patient-driven
                      </Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {tableRows.map((r) => (
                      <Table.Tr key={`${r.month}|${r.stage}`} data-stage={r.stage}>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>{monthLabel(r.month)}</Table.Td>
                        <Table.Td>{label(r.stage)}</Table.Td>
                        <Table.Td ta="right">{r.decisions}</Table.Td>
                        <Table.Td ta="right">{r.withinServiceLevel}</Table.Td>
                        <Table.Td ta="right" fw={r.shareWithinServiceLevel !== null && r.shareWithinServiceLevel < 1 ? 700 : undefined}>
                          {percent(r.percentWithinServiceLevel)}
                        </Table.Td>
                        <Table.Td ta="right">{days(r.medianProgramDrivenDays)}</Table.Td>
                        <Table.Td ta="right">{days(r.medianPatientDrivenDays)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          </ChartCard>

          <ChartCard
            title="Overdue now"
            description="Pending decisions past their due date at this moment, whatever the range above; patients on hold are never overdue. Patient pages open for coordinators and physicians; the audit trail link shows the case's events."
          >
            {overdue.length === 0 ? (
              <Text size="sm" c="dimmed">
                Nothing is overdue.
              </Text>
            ) : (
              <Table.ScrollContainer minWidth={640}>
                <Table striped highlightOnHover verticalSpacing={4} fz="sm" data-testid="overdue-table">
                  <Table.Caption>
                    {overdue.length} decision{overdue.length === 1 ? '' : 's'} overdue, longest first
                  </Table.Caption>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">Case</Table.Th>
                      <Table.Th scope="col">Stage</Table.Th>
                      <Table.Th scope="col">Site</Table.Th>
                      <Table.Th scope="col">Due</Table.Th>
                      <Table.Th scope="col">Overdue by</Table.Th>
                      <Table.Th scope="col">
                        <VisuallyHidden>Audit trail</VisuallyHidden>
                      </Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {overdue.map((o) => (
                      <Table.Tr key={o.patientId} data-case-ref={o.caseRef}>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>
                          <Link to={`/patients/${o.patientId}`} fw={600} size="sm">
                            {o.caseRef}
                          </Link>
                        </Table.Td>
                        <Table.Td>{label(o.stage)}</Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>{label(o.site)}</Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>
                          {formatDate(o.dueAt)}
                          <Text component="span" display="block" size="xs" c="dark.4">
                            {formatTime(o.dueAt)}
                          </Text>
                        </Table.Td>
                        <Table.Td c="red.9" fw={600} style={{ whiteSpace: 'nowrap' }}>
                          {o.dueAt ? duration(loadedAt - Date.parse(o.dueAt)) : '—'}
                        </Table.Td>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>
                          <Link to={`/audit?case=${o.caseRef}`} size="sm" aria-label={`Audit trail of ${o.caseRef}`}>
                            Audit trail
                          </Link>
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
          </ChartCard>
        </Stack>
      )}
    </Page>
  );
}
