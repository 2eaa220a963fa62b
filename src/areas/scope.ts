// A manager's scope (SPEC §9): the areas they manage and the people who are members of them. Read
// from the database on every call, never cached, so removing a manager from an area takes effect
// on their very next request. Only area_members and area_managers are read here; the areas
// themselves (names, CRUD) are the areas module's.
import type { Db } from '../db/database.js';

/** The ids of the areas a person manages, sorted (none for a person who manages none). */
export async function managedAreaIdsOf(db: Db, personId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('area_managers')
    .select('area_id')
    .where('person_id', '=', personId)
    .orderBy('area_id')
    .execute();
  return rows.map((row) => row.area_id);
}

/**
 * The areas a manager manages that a person is a member of, sorted: empty when the person is
 * outside the manager's scope. The first is "the area" an audit entry about them names.
 */
export async function sharedAreaIdsOf(db: Db, managerId: string, personId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('area_members')
    .innerJoin('area_managers', 'area_managers.area_id', 'area_members.area_id')
    .select('area_members.area_id')
    .where('area_managers.person_id', '=', managerId)
    .where('area_members.person_id', '=', personId)
    .orderBy('area_members.area_id')
    .execute();
  return rows.map((row) => row.area_id);
}

/** Whether a person is a member of an area the manager manages. */
export async function isInScope(db: Db, managerId: string, personId: string): Promise<boolean> {
  return (await sharedAreaIdsOf(db, managerId, personId)).length > 0;
}

/**
 * For each of the given people, the first (lowest id) of the given areas they are a member of:
 * the area a bulk action's entry about them names. People in none of them are absent.
 */
export async function firstAreaOfEach(
  db: Db,
  personIds: readonly string[],
  areaIds: readonly string[],
): Promise<Map<string, string>> {
  const first = new Map<string, string>();
  if (personIds.length === 0 || areaIds.length === 0) return first;
  for (let i = 0; i < personIds.length; i += 500) {
    const rows = await db
      .selectFrom('area_members')
      .select(['person_id', 'area_id'])
      .where('person_id', 'in', personIds.slice(i, i + 500))
      .where('area_id', 'in', [...areaIds])
      .execute();
    for (const row of rows) {
      const known = first.get(row.person_id);
      if (known === undefined || row.area_id < known) first.set(row.person_id, row.area_id);
    }
  }
  return first;
}
