// The `area` filter of people search (SPEC §9) answers exactly what a plain query of the
// memberships answers, page after page, for a small area (its members fetched and sorted) and a
// large one (people walked in name order, memberships probed), alone and with other filters; on
// every dialect.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deactivateAccessCodes, issueAccessCodes } from '../src/access-codes/batches.service.js';
import { CLI_ACTOR } from '../src/audit/audit.js';
import type { Db } from '../src/db/database.js';
import type { PeopleTable } from '../src/db/schema.js';
import { newId } from '../src/lib/id.js';
import { newPersonRow } from '../src/people/people.service.js';
import { fragmentMatches } from '../src/people/person.js';
import {
  AREA_MEMBERS_SORTED_LIMIT,
  countPeople,
  insertPeople,
  searchPeopleRows,
  type PeopleFilter,
} from '../src/people/people.store.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

/** mulberry32: the same people on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const GIVEN = ['Anna', 'Åsa', 'Björn', 'Łukasz', 'Nguyễn', 'محمد', '王', 'Zoë', 'anna', 'Omar'];
// Half end in "son": that fragment matches more people than a name-ordered search sorts.
const FAMILY = ['Andersson', 'Berg', 'Kowalski', 'Persson', 'Nilsson', 'Yılmaz', 'Ali', 'Svensson'];

describe.each(DIALECTS)('the area filter against a plain query (%s)', (dialect) => {
  let context: TestContext;
  let db: Db;
  const areas = { large: newId(), small: newId(), empty: newId() };
  const now = Date.UTC(2026, 0, 1);

  beforeAll(async () => {
    context = await createTestContext(dialect);
    db = context.deps.db;
    const next = random(12);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
    const people: PeopleTable[] = [];
    for (let i = 0; i < 3000; i++) {
      const row = newPersonRow(
        { name: `${pick(GIVEN)} ${pick(FAMILY)}`, employee_id: `E${i}`, email: next() < 0.3 ? `p${i}@x.se` : null },
        now,
      );
      row.status = pick(['unclaimed', 'active', 'deactivated'] as const);
      people.push(row);
    }
    await insertPeople(db, people);
    await db
      .insertInto('areas')
      .values(
        Object.entries(areas).map(([name, id]) => ({ id, name, name_key: name, created_at: now, updated_at: now })),
      )
      .execute();
    const members: { area_id: string; person_id: string; added_at: number }[] = [];
    for (const person of people) {
      if (next() < 0.8) members.push({ area_id: areas.large, person_id: person.id, added_at: now });
      if (next() < 0.02) members.push({ area_id: areas.small, person_id: person.id, added_at: now });
    }
    for (let i = 0; i < members.length; i += 300)
      await db
        .insertInto('area_members')
        .values(members.slice(i, i + 300))
        .execute();
  }, 120_000);
  afterAll(async () => {
    await context.close();
  });

  async function plain(areaId: string, extra: (row: PeopleTable) => boolean): Promise<string[]> {
    const rows = await db
      .selectFrom('area_members')
      .innerJoin('people', 'people.id', 'area_members.person_id')
      .selectAll('people')
      .where('area_members.area_id', '=', areaId)
      .execute();
    return rows
      .filter(extra)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((row) => row.id);
  }

  async function everyPage(filter: PeopleFilter, limit: number): Promise<string[]> {
    const seen: string[] = [];
    let after = null;
    do {
      const page: Awaited<ReturnType<typeof searchPeopleRows>> = await searchPeopleRows(db, filter, {
        limit,
        after,
        now,
      });
      seen.push(...page.rows.map((row) => row.id));
      after = page.next;
    } while (after);
    return seen;
  }

  const cases: [string, Omit<PeopleFilter, 'area'>, (row: PeopleTable) => boolean][] = [
    ['the area alone', {}, () => true],
    ['without email', { hasEmail: false }, (row) => row.email === null],
    ['active', { status: 'active' }, (row) => row.status === 'active'],
    // One or two letters find the start of a word (person.ts: fragmentMatches).
    ['a one-letter fragment', { q: 'z' }, (row) => fragmentMatches(row.search_text, 'z')],
    ['a three-letter fragment', { q: 'ber' }, (row) => row.search_text.includes('ber')],
    ['a common fragment (newest first)', { q: 'son' }, (row) => row.search_text.includes('son')],
  ];

  it('the large area has more members than are fetched and sorted; the small one fewer', async () => {
    expect((await plain(areas.large, () => true)).length).toBeGreaterThan(AREA_MEMBERS_SORTED_LIMIT);
    expect((await plain(areas.small, () => true)).length).toBeLessThan(AREA_MEMBERS_SORTED_LIMIT);
  });

  for (const size of ['large', 'small', 'empty'] as const) {
    it.each(cases)(`${size} area, %s: the same people in the same order, and counted`, async (_name, more, test) => {
      const filter = { ...more, area: areas[size] };
      const expected = await plain(areas[size], test);
      const pages = await everyPage(filter, 137);
      // A text search matching many people comes newest first: compare as sets then.
      if (more.q && expected.length > 1000) expect([...pages].sort()).toEqual([...expected].sort());
      else expect(pages).toEqual(expected);
      expect(await countPeople(db, filter, { cap: 10_000, now })).toEqual({ count: expected.length, capped: false });
      expect(await countPeople(db, filter, { cap: 10, now })).toEqual(
        expected.length > 10 ? { count: 10, capped: true } : { count: expected.length, capped: false },
      );
    });
  }

  it('bulk issue and bulk deactivation by area reach exactly its members, across chunks', async () => {
    const members = await plain(areas.large, (row) => row.status !== 'deactivated');
    expect(members.length).toBeGreaterThan(1000); // more than one chunk of a bulk issue
    const { batch } = await issueAccessCodes(context.deps, { filter: { area: areas.large }, actor: CLI_ACTOR });
    expect(batch.count).toBe(members.length);
    const issued = await db
      .selectFrom('access_codes')
      .select('person_id')
      .where('batch_id', '=', batch.id)
      .orderBy('person_id')
      .execute();
    expect(issued.map((row) => row.person_id)).toEqual([...members].sort());
    const deactivated = await deactivateAccessCodes(context.deps, { filter: { area: areas.large }, actor: CLI_ACTOR });
    expect(deactivated).toBe(members.length);
  }, 120_000);
});
