// Administrator analytics from GET /metrics/throughput (pre-aggregated counters, no PHI): the
// funnel, time in stage, monthly throughput, localisation yield and outcomes, plus the CSV.
import { Button, NativeSelect, SimpleGrid, Stack, Table, Text } from '@mantine/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { Bar, BarChart, CartesianGrid, LabelList, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { FOLLOW_UP_VISITS } from '../../../functions/domain/vocabulary.js';
import { ApiFailure, apiJson, apiRequest, queryString } from '../api.js';
import type { ThroughputReport } from '../api-types.js';
import { LoadFailure, PageSkeleton } from '../components/loading.js';
import { Page } from '../components/page.js';
import { ChartCard, COLORS, MonthRangeForm, rangeFromAddress, rangeToAddress } from '../components/report.js';
import { label } from '../labels.js';
import { percentOf } from '../../../functions/app/figures.js';
import { useLatestRequest } from '../latest.js';

// Patients are counted once each; myelograms and procedures are events (a patient may have
// several), so they are charted and labelled apart and never read as "patients".
const MONTHLY = [
  ['referrals', 'Patients referred'],
  ['accepted', 'Patients accepted'],
  ['treated', 'Procedures performed'],
  ['completed', 'Patients completed'],
] as const;
const PATIENT_STEPS = [
  ['referrals', 'Referred'],
  ['accepted', 'Accepted at triage'],
  ['completed', 'Completed follow-up'],
] as const;
const EVENT_STEPS = [
  ['myelographies', 'Myelograms performed'],
  ['localised', 'Myelograms that localised a leak'],
  ['treated', 'Procedures performed'],
] as const;

/** Whole hours under a day, whole days above (rounded down, as the counters bucket them). */
function stay(days: number | null, hours: number | null): string {
  if (days === null) return '—';
  if (days === 0) return hours === null ? 'under 1 day' : `${hours} h`;
  return `${days} d`;
}

/** A chart's figures as a table, one click away (and always there for screen readers). */
function DataTable({ caption, head, rows }: { caption: string; head: readonly string[]; rows: readonly (readonly (string | number)[])[] }) {
  return (
    <details className="data-table">
      <summary>Data table: {caption}</summary>
      <Table verticalSpacing={2} fz="sm" mt="xs" striped>
        <Table.Caption>{caption}</Table.Caption>
        <Table.Thead>
          <Table.Tr>
            {head.map((h) => (
              <Table.Th key={h} scope="col">
                {h}
              </Table.Th>
            ))}
          </Table.Tr>
        </Table.Thead>
        <Table.Tbody>
          {rows.map((r, i) => (
            <Table.Tr key={i}>
              {r.map((c, j) => (
                <Table.Td key={j}>{c}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </details>
  );
}

export function AnalyticsPage() {
  const [initial] = useState(rangeFromAddress);
  const [applied, setApplied] = useState(initial);
  const [report, setReport] = useState<ThroughputReport | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [visit, setVisit] = useState('');
  const [downloading, setDownloading] = useState(false);
  const [downloaded, setDownloaded] = useState<string | null>(null);

  const begin = useLatestRequest();
  const load = useCallback(
    async (r: { from: string; to: string }) => {
      const current = begin();
      try {
        const loaded = await apiJson<ThroughputReport>('GET', `/metrics/throughput${queryString(r)}`);
        if (!current()) return;
        setReport(loaded);
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

  const downloadCsv = async () => {
    setDownloading(true);
    setDownloaded(null);
    try {
      const res = await apiRequest('GET', `/metrics/throughput${queryString({ ...applied, format: 'csv' })}`);
      const blob = await res.blob();
      const name = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '')?.[1] ?? `throughput-${applied.from}-${applied.to}.csv`;
      const url = URL.createObjectURL(blob);
      const a = document.createElement('a');
      a.href = url;
      a.download = name;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setDownloaded(name);
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message : String(err));
    } finally {
      setDownloading(false);
    }
  };

  const patients = useMemo(() => (report ? PATIENT_STEPS.map(([k, name]) => ({ name, count: report.totals.funnel[k] })) : []), [report]);
  const events = useMemo(() => (report ? EVENT_STEPS.map(([k, name]) => ({ name, count: report.totals.funnel[k] })) : []), [report]);
  const stageRows = useMemo(() => (report ? report.totals.stages.filter((s) => s.stage !== 'REFERRAL') : []), [report]);
  // Hours when every stay is short (a new program, or a test), days otherwise.
  const inHours = stageRows.every((s) => (s.p90Days ?? 0) < 2);
  // Only stages someone left, and only figures known to the hour or day: a bar of 0 would read as "no time".
  const stageTimes = useMemo(
    () =>
      stageRows.filter((s) => s.exited > 0 && (!inHours || s.medianHours !== null || (s.medianDays ?? 0) > 0)).map((s) => ({
        name: label(s.stage),
        median: inHours ? (s.medianHours ?? (s.medianDays ?? 0) * 24) : (s.medianDays ?? 0),
        p90: inHours ? (s.p90Hours ?? (s.p90Days ?? 0) * 24) : (s.p90Days ?? 0),
      })),
    [stageRows, inHours],
  );
  const anyExit = stageRows.some((s) => s.exited > 0);
  const underADayUnknown = stageRows.filter((s) => s.exited > 0 && s.medianDays === 0 && s.medianHours === null).map((s) => label(s.stage));
  const monthly = useMemo(() => (report ? report.months.map((m) => ({ month: m.month, ...m.funnel })) : []), [report]);
  const yieldRows = useMemo(() => {
    const rows = new Map<string, { technique: string; slec: string; studies: number; localised: number }>();
    for (const m of report?.months ?? [])
      for (const y of m.yield) {
        const row = rows.get(`${y.technique}|${y.slec}`) ?? { technique: y.technique, slec: y.slec, studies: 0, localised: 0 };
        row.studies += y.studies;
        row.localised += y.localised;
        rows.set(`${y.technique}|${y.slec}`, row);
      }
    return [...rows.values()].sort((a, b) => a.technique.localeCompare(b.technique) || a.slec.localeCompare(b.slec));
  }, [report]);
  const slecs = [...new Set(yieldRows.map((r) => r.slec))].sort();
  const yieldChart = useMemo(() => {
    const byTech = new Map<string, Record<string, number | string>>();
    for (const r of yieldRows) {
      const row = byTech.get(r.technique) ?? { name: label(r.technique) };
      row[r.slec] = percentOf(r.localised, r.studies) ?? 0;
      byTech.set(r.technique, row);
    }
    return [...byTech.values()];
  }, [yieldRows]);
  const { outcomeChart, outcomeKinds } = useMemo(() => {
    const byProc = new Map<string, Record<string, number | string>>();
    const kinds = new Set<string>();
    for (const m of report?.months ?? [])
      for (const o of m.outcomes) {
        if (visit && o.visit !== visit) continue;
        const row = byProc.get(o.procedure) ?? { name: label(o.procedure) };
        row[o.outcome] = Number(row[o.outcome] ?? 0) + o.count;
        kinds.add(o.outcome);
        byProc.set(o.procedure, row);
      }
    return { outcomeChart: [...byProc.values()], outcomeKinds: [...kinds].sort() };
  }, [report, visit]);

  return (
    <Page
      title="Analytics"
      documentTitle="Analytics"
      actions={
        <Button onClick={() => void downloadCsv()} loading={downloading} variant="filled">
          Download CSV
        </Button>
      }
    >
      <MonthRangeForm
        initial={initial}
        onApply={(r) => {
          rangeToAddress(r);
          setApplied(r);
        }}
        status={
          <>
            {report ? `${report.from} to ${report.to}: ${report.totals.funnel.referrals} patient${report.totals.funnel.referrals === 1 ? '' : 's'} referred` : ''}
            {downloaded ? ` · Downloaded ${downloaded}` : ''}
          </>
        }
      />
      {error ? <LoadFailure title="Analytics could not be loaded" message={error} onRetry={() => void load(applied)} /> : null}
      {!report ? (
        error ? null : <PageSkeleton rows={5} />
      ) : (
        <Stack gap="md">
          <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
            <ChartCard title="Patients" description="Patients reaching each step in the range, each counted once.">
              <ResponsiveContainer width="100%" height={200}>
                <BarChart data={patients} layout="vertical" margin={{ left: 16, right: 40 }}>
                  <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                  <XAxis type="number" allowDecimals={false} />
                  <YAxis type="category" dataKey="name" width={150} />
                  <Tooltip />
                  <Bar dataKey="count" name="Patients" fill={COLORS[0]} isAnimationActive={false} maxBarSize={48}>
                    <LabelList dataKey="count" position="right" />
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
              <DataTable caption="Patients per step" head={['Step', 'Patients']} rows={patients.map((r) => [r.name, r.count])} />
            </ChartCard>
            <ChartCard title="Myelograms and procedures" description="Events in the range: a patient may have several myelograms or procedures, so these are not patient counts.">
              <ResponsiveContainer width="100%" height={200}>
                <BarChart data={events} layout="vertical" margin={{ left: 16, right: 40 }}>
                  <CartesianGrid strokeDasharray="3 3" horizontal={false} />
                  <XAxis type="number" allowDecimals={false} />
                  <YAxis type="category" dataKey="name" width={150} />
                  <Tooltip />
                  <Bar dataKey="count" name="Events" fill={COLORS[2]} isAnimationActive={false} maxBarSize={48}>
                    <LabelList dataKey="count" position="right" />
                  </Bar>
                </BarChart>
              </ResponsiveContainer>
              <DataTable caption="Myelograms and procedures" head={['Measure', 'Count']} rows={events.map((r) => [r.name, r.count])} />
            </ChartCard>
          </SimpleGrid>
          <SimpleGrid cols={{ base: 1 }} spacing="md">
            <ChartCard title="Monthly throughput" description="Per month: patients referred, accepted and completed, and procedures performed (events).">
              <ResponsiveContainer width="100%" height={260}>
                <BarChart data={monthly} margin={{ left: 0, right: 16 }}>
                  <CartesianGrid strokeDasharray="3 3" vertical={false} />
                  <XAxis dataKey="month" tick={{ fontSize: 11 }} />
                  <YAxis allowDecimals={false} />
                  <Tooltip />
                  <Legend itemSorter={null} />
                  {MONTHLY.map(([k, name], i) => (
                    <Bar key={k} dataKey={k} name={name} fill={COLORS[i]} isAnimationActive={false} maxBarSize={56} />
                  ))}
                </BarChart>
              </ResponsiveContainer>
              <DataTable caption="Monthly throughput" head={['Month', ...MONTHLY.map(([, n]) => n)]} rows={monthly.map((m) => [m.month, ...MONTHLY.map(([k]) => m[k])])} />
            </ChartCard>
          </SimpleGrid>
          <ChartCard title="Time in stage" description={`Time spent in each stage by patients who left it in the range, holds excluded: median and 90th percentile, in ${inHours ? 'hours' : 'days'} (whole hours under a day, whole days above, rounded down).`}>
            <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
              {!anyExit || stageTimes.length === 0 ? (
                <Text size="sm" c="dimmed" data-testid="time-in-stage-note">
                  {!anyExit
                    ? 'No patient left a stage in this range, so there is no time to show yet.'
                    : `Every stay that ended in this range lasted under a day (${underADayUnknown.join(', ')}); the table says so, and the chart has no bar to draw until the counters record hours.`}
                </Text>
              ) : (
              <ResponsiveContainer width="100%" height={260}>
                <BarChart data={stageTimes} margin={{ left: 0, right: 16, bottom: 8 }}>
                  <CartesianGrid strokeDasharray="3 3" />
                  <XAxis dataKey="name" interval={0} angle={-25} textAnchor="end" height={70} tick={{ fontSize: 11 }} />
                  <YAxis allowDecimals={false} unit={inHours ? ' h' : ' d'} />
                  <Tooltip />
                  <Legend verticalAlign="top" itemSorter={null} />
                  <Bar dataKey="median" name={`Median (${inHours ? 'hours' : 'days'})`} fill={COLORS[0]} isAnimationActive={false} maxBarSize={56} minPointSize={2} />
                  <Bar dataKey="p90" name={`90th percentile (${inHours ? 'hours' : 'days'})`} fill={COLORS[1]} isAnimationActive={false} maxBarSize={56} minPointSize={2} />
                </BarChart>
              </ResponsiveContainer>
              )}
              <Table.ScrollContainer minWidth={420}>
                <Table striped verticalSpacing={4} fz="sm">
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th scope="col">Stage</Table.Th>
                      <Table.Th scope="col">Entries</Table.Th>
                      <Table.Th scope="col">Exits</Table.Th>
                      <Table.Th scope="col">Median</Table.Th>
                      <Table.Th scope="col">90th pct.</Table.Th>
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {report.totals.stages.map((s) => (
                      <Table.Tr key={s.stage}>
                        <Table.Td>{label(s.stage)}</Table.Td>
                        <Table.Td>{s.entered}</Table.Td>
                        <Table.Td>{s.exited}</Table.Td>
                        <Table.Td>{stay(s.medianDays, s.medianHours)}</Table.Td>
                        <Table.Td>{stay(s.p90Days, s.p90Hours)}</Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            </SimpleGrid>
          </ChartCard>
          <SimpleGrid cols={{ base: 1, lg: 2 }} spacing="md">
            <ChartCard title="Localisation yield" description="Share of myelograms that localised a leak, by technique and SLEC status on spine MRI.">
              {yieldRows.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No myelograms in this range.
                </Text>
              ) : (
                <>
                  <ResponsiveContainer width="100%" height={240}>
                    <BarChart data={yieldChart} margin={{ left: 0, right: 16 }}>
                      <CartesianGrid strokeDasharray="3 3" />
                      <XAxis dataKey="name" tick={{ fontSize: 11 }} />
                      <YAxis unit="%" domain={[0, 100]} />
                      <Tooltip />
                      <Legend itemSorter={null} />
                      {slecs.map((s, i) => (
                        <Bar key={s} dataKey={s} name={`SLEC ${label(s).toLowerCase()}`} fill={COLORS[i % COLORS.length]} isAnimationActive={false} maxBarSize={56} />
                      ))}
                    </BarChart>
                  </ResponsiveContainer>
                  <Table verticalSpacing={2} fz="sm" mt="xs">
                    <Table.Thead>
                      <Table.Tr>
                        <Table.Th scope="col">Technique</Table.Th>
                        <Table.Th scope="col">SLEC</Table.Th>
                        <Table.Th scope="col">Myelograms</Table.Th>
                        <Table.Th scope="col">Localised</Table.Th>
                        <Table.Th scope="col">Yield</Table.Th>
                      </Table.Tr>
                    </Table.Thead>
                    <Table.Tbody>
                      {yieldRows.map((r) => (
                        <Table.Tr key={`${r.technique}|${r.slec}`}>
                          <Table.Td>{label(r.technique)}</Table.Td>
                          <Table.Td>{label(r.slec)}</Table.Td>
                          <Table.Td>{r.studies}</Table.Td>
                          <Table.Td>{r.localised}</Table.Td>
                          <Table.Td>{r.studies ? `${percentOf(r.localised, r.studies)}%` : '—'}</Table.Td>
                        </Table.Tr>
                      ))}
                    </Table.Tbody>
                  </Table>
                </>
              )}
            </ChartCard>
            <ChartCard title="Outcomes by procedure" description="Follow-up visits (events) by outcome, after each procedure type.">
              <NativeSelect
                label="Follow-up visit"
                value={visit}
                onChange={(e) => setVisit(e.currentTarget.value)}
                data={[{ value: '', label: 'All visits' }, ...FOLLOW_UP_VISITS.map((v) => ({ value: v, label: label(v) }))]}
                maw={220}
                mb="xs"
              />
              {outcomeChart.length === 0 ? (
                <Text size="sm" c="dimmed">
                  No follow-up outcomes in this range.
                </Text>
              ) : (
                <>
                <ResponsiveContainer width="100%" height={260}>
                  <BarChart data={outcomeChart} margin={{ left: 0, right: 16 }}>
                    <CartesianGrid strokeDasharray="3 3" />
                    <XAxis dataKey="name" tick={{ fontSize: 11 }} />
                    <YAxis allowDecimals={false} />
                    <Tooltip />
                    <Legend itemSorter={null} />
                    {outcomeKinds.map((o, i) => (
                      <Bar key={o} dataKey={o} name={label(o)} stackId="outcomes" fill={COLORS[i % COLORS.length]} isAnimationActive={false} maxBarSize={56} />
                    ))}
                  </BarChart>
                </ResponsiveContainer>
                <DataTable caption="Follow-up visits by procedure and outcome" head={['Procedure', ...outcomeKinds.map((o) => label(o))]} rows={outcomeChart.map((r) => [String(r.name), ...outcomeKinds.map((o) => Number(r[o] ?? 0))])} />
                </>
              )}
            </ChartCard>
          </SimpleGrid>
        </Stack>
      )}
    </Page>
  );
}
