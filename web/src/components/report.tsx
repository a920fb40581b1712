// Pieces shared by the administrators' report screens (Analytics, Service levels): the month
// range form, checked with the API's own schema, and the titled card each chart sits in.
import { Button, Group, Paper, Text, TextInput, Title } from '@mantine/core';
import { useState, type ReactNode } from 'react';
import { throughputQuerySchema } from '../../../functions/domain/schemas.js';
import { zodIssues } from '../form-issues.js';
import { setSearch } from '../router.js';

export interface MonthRange {
  readonly from: string;
  readonly to: string;
}

// Colour-blind-safe palette (Okabe-Ito), dark enough for text contrast on white.
export const COLORS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9', '#6b5a00', '#000000'];

const monthOf = (d: Date) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}`;

/** The last twelve months, this one included. */
export function defaultRange(): MonthRange {
  const now = new Date();
  return { from: monthOf(new Date(now.getFullYear(), now.getMonth() - 11, 1)), to: monthOf(now) };
}

/** The range in the address (?from=YYYY-MM&to=YYYY-MM) when it is one the API accepts, else the default. */
export function rangeFromAddress(): MonthRange {
  const q = new URLSearchParams(location.search);
  const asked = { from: q.get('from') ?? '', to: q.get('to') ?? '' };
  return throughputQuerySchema.safeParse(asked).success ? asked : defaultRange();
}

/** Keep an applied range in the address, so a reload or a shared link shows the same report. */
export function rangeToAddress(range: MonthRange): void {
  setSearch({ from: range.from, to: range.to });
}

/** From / To month inputs and a Show button; `onApply` receives only a range the API accepts. */
export function MonthRangeForm({ initial, onApply, status }: { initial: MonthRange; onApply: (range: MonthRange) => void; status?: ReactNode }) {
  const [range, setRange] = useState(initial);
  const [rangeError, setRangeError] = useState<string | null>(null);

  const apply = () => {
    const parsed = throughputQuerySchema.safeParse(range);
    if (!parsed.success) {
      const i = zodIssues(parsed.error)[0];
      setRangeError(i ? `${i.path === 'to' ? 'To' : 'From'} ${i.message}` : 'The range is invalid.');
      return;
    }
    setRangeError(null);
    onApply({ ...range });
  };

  return (
    <Paper withBorder p="sm" radius="md" component="section" aria-label="Date range">
      <form
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        <Group align="flex-end" gap="sm" wrap="wrap">
          <TextInput
            label="From month"
            type="month"
            value={range.from}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setRange((r) => ({ ...r, from: v }));
            }}
            error={rangeError?.startsWith('From') ? rangeError : undefined}
          />
          <TextInput
            label="To month"
            type="month"
            value={range.to}
            onChange={(e) => {
              const v = e.currentTarget.value;
              setRange((r) => ({ ...r, to: v }));
            }}
            error={rangeError?.startsWith('To') ? rangeError : undefined}
          />
          <Button type="submit" variant="default">
            Show
          </Button>
          <Text size="sm" c="dark.4" aria-live="polite">
            {status}
          </Text>
        </Group>
      </form>
    </Paper>
  );
}

export function ChartCard({ title, description, children, actions }: { title: string; description: string; children: ReactNode; actions?: ReactNode }) {
  const id = `chart-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return (
    <Paper withBorder radius="md" p="md" component="section" aria-labelledby={id} aria-describedby={`${id}-desc`}>
      <Group justify="space-between" align="flex-start" gap="sm" wrap="wrap">
        <div>
          <Title order={2} fz="lg" id={id}>
            {title}
          </Title>
          <Text size="xs" c="dark.4" id={`${id}-desc`} mb="sm">
            {description}
          </Text>
        </div>
        {actions}
      </Group>
      {children}
    </Paper>
  );
}
