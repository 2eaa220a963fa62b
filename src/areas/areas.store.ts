// Areas, their members and managers in the database: Kysely only, no HTTP, no rules beyond what
// the schema enforces (name_key unique; memberships removed with their area or person).
import { sql, type ExpressionBuilder } from 'kysely';
import type { Db } from '../db/database.js';
import { dialectOf } from '../db/dialect.js';
import { prepared } from '../db/prepared.js';
import type { AreasTable, Database, PersonRole, PersonStatus } from '../db/schema.js';
import type { AreaRef } from './area.js';

/** Members or managers: the two tables have the same shape. */
export type AreaRoleTable = 'area_members' | 'area_managers';

export type AreaRow = AreasTable & { member_count: number | string; manager_count: number | string };

/** Counting one area's members walks its part of the primary key (area_id, person_id): no table scan. */
function withCounts(db: Db) {
  return db
    .selectFrom('areas')
    .selectAll('areas')
    .select((eb: ExpressionBuilder<Database, 'areas'>) => [
      eb
        .selectFrom('area_members')
        .select(eb.fn.countAll<number | string>().as('n'))
        .whereRef('area_members.area_id', '=', 'areas.id')
        .as('member_count'),
      eb
        .selectFrom('area_managers')
        .select(eb.fn.countAll<number | string>().as('n'))
        .whereRef('area_managers.area_id', '=', 'areas.id')
        .as('manager_count'),
    ]);
}

export async function findAreaRow(db: Db, id: string): Promise<AreaRow | null> {
  return ((await withCounts(db).where('areas.id', '=', id).executeTakeFirst()) as AreaRow | undefined) ?? null;
}

export async function findAreaRowByKey(db: Db, nameKey: string): Promise<AreaRow | null> {
  const row = await withCounts(db).where('areas.name_key', '=', nameKey).executeTakeFirst();
  return (row as AreaRow | undefined) ?? null;
}

/** The areas whose folded names are these (the import resolves a chunk's names at once). */
export async function findAreasByKeys(db: Db, nameKeys: readonly string[]): Promise<AreasTable[]> {
  const found: AreasTable[] = [];
  for (let i = 0; i < nameKeys.length; i += 500) {
    const slice = nameKeys.slice(i, i + 500);
    found.push(...(await db.selectFrom('areas').selectAll().where('name_key', 'in', slice).execute()));
  }
  return found;
}

/**
 * Takes the row lock on an area for the rest of the transaction (PostgreSQL), so a rename, a
 * delete and membership changes of one area queue up. FOR NO KEY UPDATE leaves the foreign-key
 * checks of membership inserts elsewhere (the import) free to go on. SQLite's BEGIN IMMEDIATE
 * already serialises.
 */
export async function lockArea(db: Db, id: string): Promise<AreasTable | null> {
  let query = db.selectFrom('areas').selectAll().where('id', '=', id);
  if (dialectOf(db) === 'postgres') query = query.forNoKeyUpdate();
  return (await query.executeTakeFirst()) ?? null;
}

export interface AreaPageCursor {
  name: string;
  id: string;
}

/** One page of areas in name order (then id), optionally those whose folded name holds `q`. */
export async function listAreaRows(
  db: Db,
  options: { q?: string; limit: number; after: AreaPageCursor | null; offset?: number },
): Promise<{ rows: AreaRow[]; next: AreaPageCursor | null }> {
  let query = withCounts(db);
  if (options.q) query = query.where(nameKeyContains(options.q));
  if (options.offset) query = query.offset(options.offset);
  const after = options.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('areas.name', '>', after.name),
        eb.and([eb('areas.name', '=', after.name), eb('areas.id', '>', after.id)]),
      ]),
    );
  }
  const rows = (await query
    .orderBy('areas.name')
    .orderBy('areas.id')
    .limit(options.limit + 1)
    .execute()) as AreaRow[];
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > options.limit && last ? { name: last.name, id: last.id } : null };
}

/** Folded names holding `q` (already folded): a LIKE with its wildcards escaped. */
function nameKeyContains(q: string) {
  const pattern = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return sql<boolean>`areas.name_key like ${pattern} escape '\\'`;
}

/** How many areas there are (whose folded name holds `q`): SCIM's totalResults. */
export async function countAreaRows(db: Db, options: { q?: string } = {}): Promise<number> {
  let query = db.selectFrom('areas').select((eb) => eb.fn.countAll<number | string>().as('n'));
  if (options.q) query = query.where(nameKeyContains(options.q));
  return Number((await query.executeTakeFirstOrThrow()).n);
}

export async function insertArea(db: Db, row: AreasTable): Promise<void> {
  await db.insertInto('areas').values(row).execute();
}

export async function insertAreas(db: Db, rows: readonly AreasTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('areas')
      .values(rows.slice(i, i + 200))
      .execute();
}

export async function renameAreaRow(db: Db, id: string, name: string, nameKey: string, now: number): Promise<void> {
  await db.updateTable('areas').set({ name, name_key: nameKey, updated_at: now }).where('id', '=', id).execute();
}

export async function touchArea(db: Db, id: string, now: number): Promise<void> {
  await db.updateTable('areas').set({ updated_at: now }).where('id', '=', id).execute();
}

/** Deletes an area; its memberships go with it (ON DELETE CASCADE). */
export async function deleteAreaRow(db: Db, id: string): Promise<boolean> {
  const result = await db.deleteFrom('areas').where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/** Adds a person to an area's members or managers; false when they already were. */
export async function insertAreaPerson(
  db: Db,
  table: AreaRoleTable,
  row: { areaId: string; personId: string; now: number },
): Promise<boolean> {
  const result = await db
    .insertInto(table)
    .values({ area_id: row.areaId, person_id: row.personId, added_at: row.now })
    .onConflict((oc) => oc.columns(['area_id', 'person_id']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
}

/** Removes a person from an area's members or managers; false when they were not there. */
export async function deleteAreaPerson(
  db: Db,
  table: AreaRoleTable,
  row: { areaId: string; personId: string },
): Promise<boolean> {
  const result = await db
    .deleteFrom(table)
    .where('area_id', '=', row.areaId)
    .where('person_id', '=', row.personId)
    .executeTakeFirst();
  return Number(result.numDeletedRows) === 1;
}

/**
 * The areas of each of these people (members, or managers), in name order; served by (person_id,
 * area_id). Compiled once per table and list size (paddedToListSize): every page of the directory asks.
 */
const areaRefsIn = (table: AreaRoleTable) =>
  prepared((db: Db, personIds: readonly string[]) =>
    db
      .selectFrom(table)
      .innerJoin('areas', 'areas.id', `${table}.area_id`)
      .select([`${table}.person_id as person_id`, 'areas.id as id', 'areas.name as name'])
      .where(`${table}.person_id`, 'in', personIds)
      .orderBy('areas.name')
      .orderBy('areas.id'),
  );

const areaRefsOf = { area_members: areaRefsIn('area_members'), area_managers: areaRefsIn('area_managers') };

/**
 * The ids repeated up to the next of a few list sizes (`in (…)` is the same with an id twice): the
 * statement is compiled and kept once per size, so a handful per table, not one per page length.
 */
function paddedToListSize(ids: readonly string[]): readonly string[] {
  const size = LIST_SIZES.find((candidate) => candidate >= ids.length) ?? ids.length;
  const last = ids[ids.length - 1];
  return last === undefined ? ids : [...ids, ...Array<string>(size - ids.length).fill(last)];
}

const LIST_SIZES = [10, 50, 100, 200, 500];

/** The areas of each of these people (members, or managers), in name order. */
export async function areaRefsOfPeople(
  db: Db,
  table: AreaRoleTable,
  personIds: readonly string[],
): Promise<Map<string, AreaRef[]>> {
  const byPerson = new Map<string, AreaRef[]>();
  for (let i = 0; i < personIds.length; i += 500) {
    const slice = personIds.slice(i, i + 500);
    if (slice.length === 0) continue;
    const { rows } = await areaRefsOf[table](db, paddedToListSize(slice));
    for (const row of rows) {
      const list = byPerson.get(row.person_id) ?? [];
      list.push({ id: row.id, name: row.name });
      byPerson.set(row.person_id, list);
    }
  }
  return byPerson;
}

/** The area ids a person has in one table (the import compares old with new). */
export async function areaIdsOfPeople(
  db: Db,
  table: AreaRoleTable,
  personIds: readonly string[],
): Promise<{ person_id: string; area_id: string }[]> {
  const found: { person_id: string; area_id: string }[] = [];
  for (let i = 0; i < personIds.length; i += 500) {
    const slice = personIds.slice(i, i + 500);
    if (slice.length === 0) continue;
    found.push(
      ...(await db.selectFrom(table).select(['person_id', 'area_id']).where('person_id', 'in', slice).execute()),
    );
  }
  return found;
}

export interface AreaPersonRow {
  id: string;
  name: string;
  username: string | null;
  employee_id: string | null;
  role: PersonRole;
  status: PersonStatus;
}

/** One page of an area's members or managers, in name order (then id). */
export async function listAreaPeople(
  db: Db,
  table: AreaRoleTable,
  areaId: string,
  options: { limit: number; after: AreaPageCursor | null },
): Promise<{ rows: AreaPersonRow[]; next: AreaPageCursor | null }> {
  let query = db
    .selectFrom(table)
    .innerJoin('people', 'people.id', `${table}.person_id`)
    .select(['people.id', 'people.name', 'people.username', 'people.employee_id', 'people.role', 'people.status'])
    .where(`${table}.area_id`, '=', areaId);
  const after = options.after;
  if (after) {
    query = query.where((eb) =>
      eb.or([
        eb('people.name', '>', after.name),
        eb.and([eb('people.name', '=', after.name), eb('people.id', '>', after.id)]),
      ]),
    );
  }
  const rows = await query
    .orderBy('people.name')
    .orderBy('people.id')
    .limit(options.limit + 1)
    .execute();
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > options.limit && last ? { name: last.name, id: last.id } : null };
}
