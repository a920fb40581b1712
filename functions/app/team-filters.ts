// Saved filters per user (board, worklists, my work, bookings): a name and the query string the
// screen had. Kept under the user's sub, so nobody reads or changes another user's filters.
import { MAX_SAVED_FILTERS, savedFilterSchema } from '../domain/team-work.js';
import { ConcurrentUpdateError, conflict, notFound } from '../shared/errors.js';
import { parse, requireRole, type Caller, type HttpResult } from '../shared/http.js';
import type { Deps } from '../shared/runtime.js';
import type { SavedFilter } from '../store/team-store.js';
import { teamDepsOf } from './team-runtime.js';

const FILTER_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;
const who = (caller: Caller) => requireRole(caller, ['coordinator', 'physician', 'administrator'], 'save filters');

export async function listFilters(deps: Deps, caller: Caller): Promise<HttpResult> {
  who(caller);
  const t = await teamDepsOf(deps);
  const items = (await t.team.listFilters(caller.sub)).sort((a, b) => a.name.localeCompare(b.name));
  return { status: 200, body: { items } };
}

export async function createFilter(deps: Deps, caller: Caller, body: unknown): Promise<HttpResult> {
  who(caller);
  const req = parse(savedFilterSchema, body, 'filter');
  const t = await teamDepsOf(deps);
  const existing = await t.team.listFilters(caller.sub);
  if (existing.length >= MAX_SAVED_FILTERS) throw conflict(`At most ${MAX_SAVED_FILTERS} saved filters; delete one first.`);
  const now = t.clock.now().toISOString();
  const filter: SavedFilter = { filterId: t.team.newId(), name: req.name, view: req.view, query: req.query, createdAt: now, updatedAt: now };
  await t.team.putFilter(caller.sub, filter, false);
  return { status: 201, body: filter };
}

export async function updateFilter(deps: Deps, caller: Caller, filterId: string, body: unknown): Promise<HttpResult> {
  who(caller);
  if (!FILTER_ID.test(filterId)) throw notFound('No such filter.');
  const req = parse(savedFilterSchema, body, 'filter');
  const t = await teamDepsOf(deps);
  const current = (await t.team.listFilters(caller.sub)).find((f) => f.filterId === filterId);
  if (!current) throw notFound('No such filter.');
  const next: SavedFilter = { ...current, name: req.name, view: req.view, query: req.query, updatedAt: t.clock.now().toISOString() };
  try {
    await t.team.putFilter(caller.sub, next, true);
  } catch (err) {
    if (err instanceof ConcurrentUpdateError) throw notFound('No such filter.');
    throw err;
  }
  return { status: 200, body: next };
}

export async function deleteFilter(deps: Deps, caller: Caller, filterId: string): Promise<HttpResult> {
  who(caller);
  if (!FILTER_ID.test(filterId)) throw notFound('No such filter.');
  const t = await teamDepsOf(deps);
  if (!(await t.team.deleteFilter(caller.sub, filterId))) throw notFound('No such filter.');
  return { status: 204, body: '' };
}
