// Bulk actions on the board (coordinators): choose patients, then reassign their owner, assign
// their pending decisions, or put them on hold with a reason. Each patient is its own audited
// change; the result lists which succeeded and why the others did not.
import { Alert, Button, Checkbox, Group, NativeSelect, Paper, ScrollArea, Stack, Table, Text, TextInput } from '@mantine/core';
import { useEffect, useState } from 'react';
import { HOLD_REASONS } from '../../../functions/domain/vocabulary.js';
import { ApiFailure, apiJson } from '../api.js';
import { label } from '../labels.js';
import type { BulkResult, DirectoryMember } from '../team-types.js';

type Action = 'reassign_owner' | 'assign' | 'hold';

export function BulkActionBar({ patients, onDone }: { patients: readonly { patientId: string; caseRef: string }[]; onDone: (message: string) => void }) {
  const [open, setOpen] = useState(false);
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [action, setAction] = useState<Action>('reassign_owner');
  const [target, setTarget] = useState('');
  const [reason, setReason] = useState<string>(HOLD_REASONS[0]);
  const [note, setNote] = useState('');
  const [people, setPeople] = useState<DirectoryMember[]>([]);
  const [result, setResult] = useState<BulkResult | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (open && !people.length) void apiJson<{ items: DirectoryMember[] }>('GET', '/directory').then((d) => setPeople(d.items), () => undefined);
  }, [open, people.length]);

  const caseRefOf = (id: string) => patients.find((p) => p.patientId === id)?.caseRef ?? id;
  const toggle = (id: string) => setSelected((s) => { const n = new Set(s); if (n.has(id)) n.delete(id); else n.add(id); return n; });
  const choices = action === 'reassign_owner' ? people.filter((p) => p.role === 'coordinator') : people.filter((p) => p.role === 'physician');

  const run = async () => {
    const patientIds = [...selected];
    const body =
      action === 'hold' ? { action, patientIds, reason, ...(note.trim() ? { note: note.trim() } : {}) } : action === 'assign' ? { action, patientIds, clinician: target || null } : { action, patientIds, coordinator: target || null };
    try {
      const r = await apiJson<BulkResult>('POST', '/bulk', body);
      setResult(r);
      setError(null);
      setSelected(new Set(r.results.filter((x) => !x.ok).map((x) => x.patientId)));
      onDone(`${label(action)}: ${r.succeeded} done, ${r.failed} not done.`);
    } catch (err) {
      setError(err instanceof ApiFailure ? `${err.message}${err.issues.map((i) => ` ${label(i.path)} ${i.message}.`).join('')}` : String(err));
    }
  };

  if (!open) {
    return (
      <Group>
        <Button variant="default" onClick={() => setOpen(true)}>
          Bulk actions…
        </Button>
      </Group>
    );
  }
  return (
    <Paper withBorder p="sm" radius="md" component="section" aria-label="Bulk actions" data-testid="bulk-actions">
      <Stack gap="xs">
        <Group justify="space-between">
          <Text fw={600}>Bulk actions: {selected.size} selected</Text>
          <Group gap="xs">
            <Button size="xs" variant="subtle" onClick={() => setSelected(new Set(patients.map((p) => p.patientId)))}>
              Select all shown
            </Button>
            <Button size="xs" variant="subtle" onClick={() => setSelected(new Set())}>
              Clear
            </Button>
            <Button size="xs" variant="default" onClick={() => setOpen(false)}>
              Close
            </Button>
          </Group>
        </Group>
        <ScrollArea.Autosize mah={160}>
          <Group gap="sm">
            {patients.map((p) => (
              <Checkbox key={p.patientId} label={p.caseRef} checked={selected.has(p.patientId)} onChange={() => toggle(p.patientId)} />
            ))}
          </Group>
        </ScrollArea.Autosize>
        <Group gap="xs" align="flex-end" wrap="wrap">
          <NativeSelect
            label="Action"
            value={action}
            onChange={(e) => { setAction(e.currentTarget.value as Action); setTarget(''); }}
            data={[
              { value: 'reassign_owner', label: 'Reassign owner' },
              { value: 'assign', label: 'Assign pending decision' },
              { value: 'hold', label: 'Put on hold' },
            ]}
          />
          {action === 'hold' ? (
            <>
              <NativeSelect label="Reason" value={reason} onChange={(e) => setReason(e.currentTarget.value)} data={HOLD_REASONS.map((r) => ({ value: r, label: label(r) }))} />
              <TextInput label="Note (optional)" value={note} onChange={(e) => setNote(e.currentTarget.value)} />
            </>
          ) : (
            <NativeSelect
              label={action === 'assign' ? 'Clinician' : 'New owner'}
              value={target}
              onChange={(e) => setTarget(e.currentTarget.value)}
              data={[{ value: '', label: 'Nobody (unassign)' }, ...choices.map((c) => ({ value: c.email, label: `${c.name}${c.team ? ` (${label(c.team)}${c.site ? `, ${label(c.site)}` : ''})` : ''}` }))]}
            />
          )}
          <Button disabled={!selected.size} onClick={() => void run()}>
            Apply to {selected.size}
          </Button>
        </Group>
        {error ? <Alert color="red" role="alert">{error}</Alert> : null}
        {result ? (
          <Table withTableBorder data-testid="bulk-results" aria-label="Bulk action results">
            <Table.Tbody>
              {result.results.map((r) => (
                <Table.Tr key={r.patientId}>
                  <Table.Td>{caseRefOf(r.patientId)}</Table.Td>
                  <Table.Td c={r.ok ? 'green.9' : 'red.9'}>{r.ok ? 'Done' : `Not done: ${r.message ?? r.code ?? r.status}`}</Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        ) : null}
      </Stack>
    </Paper>
  );
}
