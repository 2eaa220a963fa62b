// Whether a text search comes by name or newest first depends on whether it matches more than
// NAME_ORDER_LIMIT people. PostgreSQL may decide that from the newest RECENT_WINDOW people alone when
// they show it beyond doubt (windowShowsAtLeast), instead of counting a thousand matches on every
// keystroke. A fragment whose few matches crowd the newest people then comes newest first: still
// every match once, page by page, and the count stays exact. A fragment spread evenly is counted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeopleTable } from '../src/db/schema.js';
import { newPersonRow } from '../src/people/people.service.js';
import { fragmentMatches } from '../src/people/person.js';
import {
  countPeople,
  insertPeople,
  NAME_ORDER_LIMIT,
  RECENT_WINDOW,
  refreshPeopleStatistics,
  searchPeopleRows,
  type PeopleFilter,
  type PeoplePageCursor,
  windowShowsAtLeast,
} from '../src/people/people.store.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

const NOW = Date.UTC(2026, 0, 1, 9, 0, 0);
const PEOPLE = 25_000;

describe('windowShowsAtLeast', () => {
  it('says yes only for a clear sample of a large directory', () => {
    // A million people: 25 matches among the newest 5,000 stand for about 5,000 in all.
    expect(windowShowsAtLeast(25, 5000, 1_000_000, 1001)).toBe(true);
    // Too few matches to go by, whatever the directory's size.
    expect(windowShowsAtLeast(19, 5000, 100_000_000, 1001)).toBe(false);
    // Evenly spread, 15 of 5,000 would be 3,000 in all: less than four times the limit.
    expect(windowShowsAtLeast(15, 5000, 1_000_000, 1001)).toBe(false);
    // The window holds everyone, or the table's size is unknown (never analysed): counted.
    expect(windowShowsAtLeast(900, 5000, 5000, 1001)).toBe(false);
    expect(windowShowsAtLeast(900, 5000, -1, 1001)).toBe(false);
  });
});

/** "Crowdlund" for every fifth of the newest RECENT_WINDOW people, "Evenlund" for one in 27 of all. */
function surname(i: number): string {
  if (i >= PEOPLE - RECENT_WINDOW && i % 5 === 1) return 'Crowdlund';
  if (i % 27 === 3) return 'Evenlund';
  return i % 2 === 0 ? 'Berg' : 'Sund';
}

describe.each(DIALECTS)('a fragment crowding the newest people (%s)', (dialect) => {
  let context: TestContext;
  const people: PeopleTable[] = [];

  beforeAll(async () => {
    context = await createTestContext(dialect);
    for (let i = 0; i < PEOPLE; i++)
      people.push(newPersonRow({ name: `Ida ${surname(i)} ${i}`, email: null, employee_id: `E${i}` }, NOW + i));
    await context.deps.db.transaction().execute((trx) => insertPeople(trx, people));
    // The planner's estimate of the table's size, as after any import.
    await refreshPeopleStatistics(context.deps.db);
  }, 180_000);
  afterAll(async () => {
    await context?.close();
  });

  async function allPages(filter: PeopleFilter) {
    const ids: string[] = [];
    const orders = new Set<string>();
    let after: PeoplePageCursor | null = null;
    for (let page = 0; page < 100; page++) {
      const result = await searchPeopleRows(context.deps.db, filter, { limit: 50, after, now: NOW });
      ids.push(...result.rows.map((row) => row.id));
      orders.add(result.order);
      if (!result.next) return { ids, orders: [...orders] };
      after = result.next;
    }
    throw new Error('paging did not end');
  }

  const matching = (q: string) => people.filter((p) => fragmentMatches(p.search_text, q));
  const byName = (a: PeopleTable, b: PeopleTable) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : 1;

  it('the people hold both shapes, each at most NAME_ORDER_LIMIT', () => {
    expect(matching('crowdlund').length).toBe(RECENT_WINDOW / 5);
    expect(matching('crowdlund').length).toBeLessThanOrEqual(NAME_ORDER_LIMIT);
    expect(matching('evenlund').length).toBeGreaterThan(800);
    expect(matching('evenlund').length).toBeLessThanOrEqual(NAME_ORDER_LIMIT);
  });

  it('crowding the newest: every match once; newest first on PostgreSQL, by name on SQLite; count exact', async () => {
    const want = matching('crowdlund');
    const { ids, orders } = await allPages({ q: 'crowdlund' });
    if (dialect === 'postgres') {
      expect(orders).toEqual(['newest']);
      expect(ids).toEqual(
        want
          .map((p) => p.id)
          .sort()
          .reverse(),
      );
    } else {
      expect(orders).toEqual(['name']);
      expect(ids).toEqual([...want].sort(byName).map((p) => p.id));
    }
    expect(await countPeople(context.deps.db, { q: 'crowdlund' }, { cap: 10_000, now: NOW })).toEqual({
      count: want.length,
      capped: false,
    });
  });

  it('spread evenly: counted, so by name on both databases', async () => {
    const want = matching('evenlund');
    const { ids, orders } = await allPages({ q: 'evenlund' });
    expect(orders).toEqual(['name']);
    expect(ids).toEqual([...want].sort(byName).map((p) => p.id));
  });
});
