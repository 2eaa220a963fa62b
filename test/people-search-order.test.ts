// A text search that matches more than NAME_ORDER_LIMIT people comes newest first (a page then
// comes straight from the index at a million people); a smaller one stays in name order. Either
// way paging gives every match once, and the cursor keeps the order from page to page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeopleTable } from '../src/db/schema.js';
import type { SignedInPerson } from '../src/people/person.js';
import { newPersonRow } from '../src/people/people.service.js';
import { decodeCursor, encodeCursor } from '../src/people/people-query.js';
import {
  insertPerson,
  NAME_ORDER_LIMIT,
  searchPeopleRows,
  type PeopleFilter,
  type PeoplePageCursor,
} from '../src/people/people.store.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

const NOW = Date.UTC(2026, 0, 1, 9, 0, 0);
const GIVEN = ['Anna', 'Åsa', 'Zoë', 'Björn', 'Lars', 'Ida', 'Omar', 'Hương'];

/** Ids follow `index`, so "newest first" is a known order. */
function personRow(name: string, index: number, email: string | null): PeopleTable {
  return newPersonRow({ name, email, employee_id: `E${index}` }, NOW + index);
}

describe.each(DIALECTS)('large text searches come newest first, small ones by name (%s)', (dialect) => {
  let context: TestContext;
  const people: PeopleTable[] = [];

  beforeAll(async () => {
    context = await createTestContext(dialect);
    // More "berg"s than NAME_ORDER_LIMIT, names in no particular order; a few "Nyström"s.
    for (let i = 0; i < NAME_ORDER_LIMIT + 37; i++) {
      people.push(
        personRow(
          `${GIVEN[(i * 5) % GIVEN.length]} ${i % 3 === 0 ? 'Lindberg' : 'Bergström'} ${(i * 7919) % 1000}`,
          i,
          i % 4 === 0 ? `p${i}@example.se` : null,
        ),
      );
    }
    for (let i = 0; i < 12; i++)
      people.push(personRow(`${GIVEN[i % GIVEN.length]} Nyström`, NAME_ORDER_LIMIT + 100 + i, null));
    await context.deps.db.transaction().execute(async (trx) => {
      for (const person of people) await insertPerson(trx, person);
    });
  }, 120_000);
  afterAll(async () => {
    await context?.close();
  });

  async function allPages(filter: PeopleFilter, limit: number): Promise<{ rows: SignedInPerson[]; orders: string[] }> {
    const rows: SignedInPerson[] = [];
    const orders: string[] = [];
    let after: PeoplePageCursor | null = null;
    for (let page = 0; page < 500; page++) {
      const result = await searchPeopleRows(context.deps.db, filter, { limit, after, now: NOW });
      rows.push(...result.rows);
      orders.push(result.order);
      if (!result.next) return { rows, orders };
      // Through the API's cursor text, as a client would send it back.
      after = decodeCursor(encodeCursor(result.next) ?? undefined);
    }
    throw new Error('paging did not end');
  }

  const newestFirst = (a: PeopleTable, b: PeopleTable): number => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
  const byName = (a: PeopleTable, b: PeopleTable): number =>
    Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)) || (a.id < b.id ? -1 : 1);

  it(
    'a search matching more than the limit: newest first, ' + 'every match once, the order kept by the cursor',
    async () => {
      const expected = people.filter((p) => p.search_text.includes('berg')).sort(newestFirst);
      expect(expected.length).toBeGreaterThan(NAME_ORDER_LIMIT);
      const first = await searchPeopleRows(context.deps.db, { q: 'BERG' }, { limit: 50, after: null, now: NOW });
      expect(first.order).toBe('newest');
      expect(first.rows.map((p) => p.id)).toEqual(expected.slice(0, 50).map((p) => p.id));
      expect(first.next?.order).toBe('newest');

      const paged = await allPages({ q: 'berg' }, 97);
      expect(paged.orders.every((order) => order === 'newest')).toBe(true);
      expect(paged.rows.map((p) => p.id)).toEqual(expected.map((p) => p.id));
    },
  );

  it('other filters apply within a large search', async () => {
    const expected = people.filter((p) => p.search_text.includes('lindberg') && p.email === null).sort(byName);
    // "lindberg" alone matches fewer than the limit: name order.
    expect((await allPages({ q: 'lindberg', hasEmail: false }, 40)).rows.map((p) => p.id)).toEqual(
      expected.map((p) => p.id),
    );
    // A filter that itself matches more than the limit: newest first, filtered row by row.
    const unclaimed = people.filter((p) => p.search_text.includes('berg')).sort(newestFirst);
    const paged = await allPages({ q: 'berg', status: 'unclaimed' }, 60);
    expect(paged.orders.every((order) => order === 'newest')).toBe(true);
    expect(paged.rows.map((p) => p.id)).toEqual(unclaimed.map((p) => p.id));
    // A filter that matches at most the limit (a quarter have email): read from its side, by name.
    const withEmail = people.filter((p) => p.search_text.includes('berg') && p.email !== null).sort(byName);
    expect(withEmail.length).toBeLessThanOrEqual(NAME_ORDER_LIMIT);
    const byEmail = await allPages({ q: 'berg', hasEmail: true }, 60);
    expect(byEmail.orders.every((order) => order === 'name')).toBe(true);
    expect(byEmail.rows.map((p) => p.id)).toEqual(withEmail.map((p) => p.id));
  });

  it('a search matching at most the limit stays in name order', async () => {
    const expected = people.filter((p) => p.search_text.includes('nyström')).sort(byName);
    const paged = await allPages({ q: 'nyström' }, 5);
    expect(paged.orders.every((order) => order === 'name')).toBe(true);
    expect(paged.rows.map((p) => p.id)).toEqual(expected.map((p) => p.id));
  });

  it('the directory without a search is in name order', async () => {
    const result = await searchPeopleRows(context.deps.db, {}, { limit: 30, after: null, now: NOW });
    expect(result.order).toBe('name');
    expect(result.rows.map((p) => p.id)).toEqual(
      [...people]
        .sort(byName)
        .slice(0, 30)
        .map((p) => p.id),
    );
    expect(result.next?.order).toBeUndefined();
  });
});
