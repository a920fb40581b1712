// Saved filters of a screen, per user: apply one, save the current filters under a name, delete.
import { Button, Group, NativeSelect, TextInput } from '@mantine/core';
import { useCallback, useEffect, useState } from 'react';
import { apiJson } from '../api.js';
import type { SavedFilterItem } from '../team-types.js';

type FilterValues<T> = { readonly [K in keyof T]: string | boolean };

/** Booleans travel as "true"/"false"; everything else as the string it is. */
function toQuery<T extends FilterValues<T>>(values: T): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) if (/^[a-zA-Z]{1,30}$/.test(k)) out[k] = String(v);
  return out;
}
function fromQuery<T extends FilterValues<T>>(current: T, query: Record<string, string>): T {
  const next: Record<string, string | boolean> = { ...current };
  for (const [k, v] of Object.entries(query)) {
    if (!(k in current)) continue;
    next[k] = typeof current[k as keyof T] === 'boolean' ? v === 'true' : v;
  }
  return next as T;
}

export function SavedFilters<T extends FilterValues<T>>({ view, current, onApply }: { view: string; current: T; onApply: (next: T) => void }) {
  const [items, setItems] = useState<SavedFilterItem[]>([]);
  const [name, setName] = useState('');
  const [chosen, setChosen] = useState('');
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setItems((await apiJson<{ items: SavedFilterItem[] }>('GET', '/filters')).items.filter((f) => f.view === view));
    } catch (err) {
      setError((err as Error).message);
    }
  }, [view]);
  useEffect(() => void load(), [load]);

  const apply = (filterId: string) => {
    setChosen(filterId);
    const f = items.find((i) => i.filterId === filterId);
    if (f) onApply(fromQuery(current, f.query));
  };
  const save = async () => {
    try {
      const f = await apiJson<SavedFilterItem>('POST', '/filters', { name: name.trim(), view, query: toQuery(current) });
      setName('');
      await load();
      setChosen(f.filterId);
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  };
  const remove = async () => {
    if (!chosen) return;
    await apiJson('DELETE', `/filters/${chosen}`).catch((err: Error) => setError(err.message));
    setChosen('');
    await load();
  };

  return (
    <Group gap="xs" align="flex-end" wrap="wrap" data-testid="saved-filters">
      <NativeSelect
        label="Saved filters"
        value={chosen}
        onChange={(e) => apply(e.currentTarget.value)}
        data={[{ value: '', label: items.length ? 'Choose a saved filter' : 'None saved yet' }, ...items.map((f) => ({ value: f.filterId, label: f.name }))]}
      />
      {chosen ? (
        <Button variant="subtle" size="sm" onClick={() => void remove()}>
          Delete
        </Button>
      ) : null}
      <TextInput label="Save these filters as" value={name} onChange={(e) => setName(e.currentTarget.value)} error={error ?? undefined} />
      <Button variant="default" disabled={!name.trim()} onClick={() => void save()}>
        Save filter
      </Button>
    </Group>
  );
}
