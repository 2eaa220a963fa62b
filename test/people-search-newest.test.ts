// Newest first (the API's order), a fragment of 3+ characters: PostgreSQL tests the newest
// RECENT_WINDOW people one by one, then either walks on through the older ones or reads the rest
// from the trigram index (people.store.ts, containsNewestFirst), and counts the same way
// (countContains). Whichever way a page is read, paging gives every match once, newest first, and
// the count is exact: checked here against a plain scan with more people than the window, for a
// rare fragment (the index), a middling one (the walk on) and a common one (the window alone).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PeopleTable } from '../src/db/schema.js';
import { newPersonRow } from '../src/people/people.service.js';
import { fragmentMatches } from '../src/people/person.js';
import {
  countPeople,
  insertPeople,
  RECENT_WINDOW,
  searchPeopleRows,
  type PeopleFilter,
  type PeoplePageCursor,
} from '../src/people/people.store.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

const NOW = Date.UTC(2026, 0, 1, 9, 0, 0);
const PEOPLE = RECENT_WINDOW + 2500;

/**
 * Person `i`'s surname: "Qvxlund" for 4 people (3 of them older than the window), "Zywicka" for one
 * in 110 (45 in the window: fewer than a page of 50), else "Kqjson" (one in 3) or "Berg".
 */
function surname(i: number): string {
  if (i === 10 || i === 500 || i === 2000 || i === PEOPLE - 3) return 'Qvxlund';
  if (i % 110 === 7) return 'Zywicka';
  return i % 3 === 0 ? 'Kqjson' : 'Berg';
}

describe.each(DIALECTS)('newest first, 3+ characters: every match once, whichever way it is read (%s)', (dialect) => {
  let context: TestContext;
  const people: PeopleTable[] = [];

  beforeAll(async () => {
    context = await createTestContext(dialect);
    for (let i = 0; i < PEOPLE; i++) {
      const row = newPersonRow({ name: `Ida ${surname(i)} ${i}`, email: null, employee_id: `E${i}` }, NOW + i);
      // Every fifth person deactivated: a filter that competes with the text.
      people.push(i % 5 === 0 ? { ...row, status: 'deactivated', deactivated_at: NOW } : row);
    }
    await context.deps.db.transaction().execute((trx) => insertPeople(trx, people));
  }, 180_000);
  afterAll(async () => {
    await context?.close();
  });

  async function allPages(filter: PeopleFilter, limit: number): Promise<string[]> {
    const ids: string[] = [];
    let after: PeoplePageCursor | null = null;
    for (let page = 0; page < 2000; page++) {
      const result = await searchPeopleRows(context.deps.db, filter, { limit, after, now: NOW, order: 'newest' });
      expect(result.rows.length).toBeLessThanOrEqual(limit);
      ids.push(...result.rows.map((row) => row.id));
      if (!result.next) return ids;
      after = result.next;
    }
    throw new Error('paging did not end');
  }

  const expected = (q: string, status?: string): string[] =>
    people
      .filter((p) => fragmentMatches(p.search_text, q) && (status === undefined || p.status === status))
      .map((p) => p.id)
      .sort()
      .reverse();

  for (const q of ['qvxlund', 'zywic', 'kqjson', 'nomatchhere']) {
    it(`"${q}": pages of 50 and of 7, newest first, every match once; the count is exact`, async () => {
      const want = expected(q);
      expect(await allPages({ q }, 50)).toEqual(want);
      expect(await allPages({ q }, 7)).toEqual(want);
      const counted = await countPeople(context.deps.db, { q }, { cap: 10_000, now: NOW });
      expect(counted).toEqual({ count: want.length, capped: false });
      // Capped below the number of matches: "N+".
      if (want.length > 3)
        expect(await countPeople(context.deps.db, { q }, { cap: 3, now: NOW })).toEqual({ count: 3, capped: true });
    });

    it(`"${q}" with a status: newest first, every match once`, async () => {
      for (const status of ['deactivated', 'unclaimed'] as const) {
        const want = expected(q, status);
        expect(await allPages({ q, status }, 50)).toEqual(want);
        expect(await allPages({ q, status }, 9)).toEqual(want);
      }
    });
  }

  it('inside a transaction: the same page and count, the trigram index read without its own', async () => {
    await context.deps.db.transaction().execute(async (trx) => {
      const page = await searchPeopleRows(trx, { q: 'qvxlund' }, { limit: 50, after: null, now: NOW, order: 'newest' });
      expect(page.rows.map((row) => row.id)).toEqual(expected('qvxlund'));
      expect(await countPeople(trx, { q: 'qvxlund' }, { cap: 10_000, now: NOW })).toEqual({ count: 4, capped: false });
    });
  });

  it('the fragments span the three ways: rare, one in 110, one in 3', () => {
    expect(expected('qvxlund').length).toBe(4);
    expect(expected('zywic').length).toBe(Math.floor((PEOPLE - 7 - 1) / 110) + 1);
    expect(expected('kqjson').length).toBeGreaterThan(RECENT_WINDOW / 4);
  });
});
