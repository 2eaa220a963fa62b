// SCIM's view of areas in the database (Kysely only): an area with its externalId, the filtered
// and paged list, and its members as SCIM lists them (people a SCIM DELETE removed are left out).
import type { Db } from '../db/database.js';
import { areaNameKey } from '../areas/area.js';
import type { EqCondition, GroupFilterAttribute } from './scim-filter.js';

export interface ScimGroupRow {
  id: string;
  name: string;
  created_at: number;
  updated_at: number;
  external_id: string | null;
}

export interface ScimMember {
  id: string;
  name: string;
}

function groups(db: Db) {
  return db
    .selectFrom('areas')
    .leftJoin('scim_groups', 'scim_groups.area_id', 'areas.id')
    .select(['areas.id', 'areas.name', 'areas.created_at', 'areas.updated_at', 'scim_groups.external_id']);
}

export async function findScimGroup(db: Db, id: string): Promise<ScimGroupRow | null> {
  return (await groups(db).where('areas.id', '=', id).executeTakeFirst()) ?? null;
}

/** One page of areas in id order (time-ordered ids: stable, new areas last), and the exact total. */
export async function listScimGroups(
  db: Db,
  conditions: readonly EqCondition<GroupFilterAttribute>[],
  options: { offset: number; limit: number },
): Promise<{ rows: ScimGroupRow[]; total: number }> {
  let query = groups(db);
  for (const { attribute, value } of conditions) {
    if (value.includes('\u0000')) return { rows: [], total: 0 };
    if (attribute === 'displayName') query = query.where('areas.name_key', '=', areaNameKey(value));
    else if (attribute === 'externalId') query = query.where('scim_groups.external_id', '=', value);
    else if (attribute === 'id') query = query.where('areas.id', '=', value);
    else
      query = query.where((eb) =>
        eb.exists(
          eb
            .selectFrom('area_members')
            .select('area_members.person_id')
            .whereRef('area_members.area_id', '=', 'areas.id')
            .where('area_members.person_id', '=', value),
        ),
      );
  }
  const counted = await query
    .clearSelect()
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  const total = Number(counted.n);
  if (options.limit === 0 || options.offset >= total) return { rows: [], total };
  return { rows: await query.orderBy('areas.id').offset(options.offset).limit(options.limit).execute(), total };
}

/** The members of these areas, each area's in id order. */
export async function membersOfGroups(db: Db, areaIds: readonly string[]): Promise<Map<string, ScimMember[]>> {
  const members = new Map<string, ScimMember[]>(areaIds.map((id) => [id, []]));
  if (areaIds.length === 0) return members;
  const rows = await db
    .selectFrom('area_members')
    .innerJoin('people', 'people.id', 'area_members.person_id')
    .leftJoin('scim_users', 'scim_users.person_id', 'people.id')
    .select(['area_members.area_id', 'people.id', 'people.name'])
    .where('area_members.area_id', 'in', [...areaIds])
    .where('scim_users.deleted_at', 'is', null)
    .orderBy('area_members.area_id')
    .orderBy('people.id')
    .execute();
  for (const row of rows) members.get(row.area_id)?.push({ id: row.id, name: row.name });
  return members;
}

export async function saveScimGroup(db: Db, areaId: string, externalId: string | null): Promise<void> {
  await db
    .insertInto('scim_groups')
    .values({ area_id: areaId, external_id: externalId })
    .onConflict((oc) => oc.column('area_id').doUpdateSet({ external_id: externalId }))
    .execute();
}
