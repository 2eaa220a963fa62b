// Property (SPEC §9): for random areas, memberships and managers, a manager's People search (the
// service the API and the pages use, narrowed inside the query) returns exactly the members of the
// areas they manage: no one else, no one twice, and a count that agrees, page after page.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { managedAreaIdsOf } from '../src/areas/scope.js';
import { COUNT_CAP, withinAreas } from '../src/people/people-query.js';
import { countPeople, searchPeopleRows } from '../src/people/people.store.js';
import { addManager, addMember, makeArea, makePerson } from './helpers/areas.js';
import { createTestContext, DIALECTS, type TestContext } from './helpers/deps.js';

const PEOPLE = 14;
const AREAS = 5;

describe.each(DIALECTS)("a manager's search is exactly their areas' members (%s)", (dialect) => {
  let context: TestContext;
  const people: string[] = [];
  const areas: string[] = [];

  beforeAll(async () => {
    context = await createTestContext(dialect);
    for (let i = 0; i < PEOPLE; i++) {
      people.push(await makePerson(context.deps, { name: `Person ${String(i).padStart(2, '0')}`, username: `p${i}x` }));
    }
    for (let i = 0; i < AREAS; i++) areas.push(await makeArea(context.deps, `Area ${i}`));
  });

  afterAll(async () => {
    await context.close();
  });

  it('holds for random memberships, managers, search text and page sizes', { timeout: 300_000 }, async () => {
    const world = fc.record({
      // For each person, the areas they are a member of, and the areas they manage.
      members: fc.array(fc.subarray([...Array(AREAS).keys()]), { minLength: PEOPLE, maxLength: PEOPLE }),
      managers: fc.array(fc.subarray([...Array(AREAS).keys()], { maxLength: 3 }), {
        minLength: PEOPLE,
        maxLength: PEOPLE,
      }),
      manager: fc.integer({ min: 0, max: PEOPLE - 1 }),
      q: fc.constantFrom(undefined, 'person', 'son 1', 'p1'),
      pageSize: fc.integer({ min: 1, max: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(world, async ({ members, managers, manager, q, pageSize }) => {
        const { deps } = context;
        await deps.db.deleteFrom('area_members').execute();
        await deps.db.deleteFrom('area_managers').execute();
        for (let p = 0; p < PEOPLE; p++) {
          for (const a of members[p]!) await addMember(deps, areas[a]!, people[p]!);
          for (const a of managers[p]!) await addManager(deps, areas[a]!, people[p]!);
        }
        const managerId = people[manager]!;
        const managed = new Set(managers[manager]!);
        const expected = people
          .filter((_, p) => members[p]!.some((a) => managed.has(a)))
          .filter((id) => {
            const index = people.indexOf(id);
            const name = `person ${String(index).padStart(2, '0')} p${index}x`;
            return q === undefined || name.includes(q);
          })
          .sort();
        const scope = await managedAreaIdsOf(deps.db, managerId);
        const filter = withinAreas(q === undefined ? {} : { q }, scope);
        const now = deps.clock.now();
        const seen: string[] = [];
        let after = null;
        for (let guard = 0; guard < PEOPLE + 2; guard++) {
          const page = await searchPeopleRows(deps.db, filter, { limit: pageSize, after, now });
          seen.push(...page.rows.map((row) => row.id));
          after = page.next;
          if (!after) break;
        }
        expect([...seen].sort()).toEqual(expected);
        expect(new Set(seen).size).toBe(seen.length);
        const count = await countPeople(deps.db, filter, { cap: COUNT_CAP, now });
        expect(count).toEqual({ count: expected.length, capped: false });
      }),
      { numRuns: dialect === 'postgres' ? 25 : 60 },
    );
  });
});
