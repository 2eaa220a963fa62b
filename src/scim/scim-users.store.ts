// SCIM's view of people in the database (Kysely only): a person with what the SCIM client keeps
// about them (scim_users), the filtered and paged list, and the writes to scim_users. A person a
// SCIM DELETE removed (scim_users.deleted_at) is not in SCIM's view at all.
import type { Db } from '../db/database.js';
import { dialectOf } from '../db/dialect.js';
import type { PersonRow, ScimUsersTable } from '../db/schema.js';
import { CODE_STATE_COLUMNS } from '../people/people.store.js';
import { normaliseEmail, normaliseUsername } from '../people/person.js';
import type { EqCondition, UserFilterAttribute } from './scim-filter.js';

export interface ScimUserRow {
  person: PersonRow;
  scim: ScimUsersTable | null;
}

const SCIM_COLUMNS = [
  'scim_users.external_id',
  'scim_users.given_name',
  'scim_users.family_name',
  'scim_users.deleted_at',
  'scim_users.updated_at as scim_updated_at',
] as const;

type Joined = PersonRow & {
  external_id: string | null;
  given_name: string | null;
  family_name: string | null;
  deleted_at: number | null;
  scim_updated_at: number | null;
};

function split(row: Joined): ScimUserRow {
  const { external_id, given_name, family_name, deleted_at, scim_updated_at, ...person } = row;
  const scim =
    scim_updated_at === null
      ? null
      : { person_id: person.id, external_id, given_name, family_name, deleted_at, updated_at: scim_updated_at };
  return { person, scim };
}

function visiblePeople(db: Db) {
  return db
    .selectFrom('people')
    .leftJoin('scim_users', 'scim_users.person_id', 'people.id')
    .selectAll('people')
    .select(CODE_STATE_COLUMNS)
    .select(SCIM_COLUMNS)
    .where('scim_users.deleted_at', 'is', null);
}

/** A person as SCIM sees them, or null (unknown, or removed by a SCIM DELETE). */
export async function findScimUser(db: Db, id: string, options: { lock?: boolean } = {}): Promise<ScimUserRow | null> {
  // The person's row lock (PostgreSQL), as lockPerson takes it, then the read in a statement of its
  // own, which sees the code state as the lock's last holder left it; SQLite's write lock already
  // serialises.
  if (options.lock && dialectOf(db) === 'postgres')
    await db.selectFrom('people').select('id').where('id', '=', id).forUpdate().execute();
  const row = (await visiblePeople(db).where('people.id', '=', id).executeTakeFirst()) as Joined | undefined;
  return row ? split(row) : null;
}

/** The conditions as SQL; an impossible value (a userName Keyslip could never hold) matches no one. */
function applyConditions(
  query: ReturnType<typeof visiblePeople>,
  conditions: readonly EqCondition<UserFilterAttribute>[],
): ReturnType<typeof visiblePeople> | null {
  for (const { attribute, value } of conditions) {
    if (value.includes('\u0000')) return null;
    if (attribute === 'userName') {
      const username = normaliseUsername(value);
      if (username === null) return null;
      query = query.where('people.username', '=', username);
    } else if (attribute === 'email') {
      const email = normaliseEmail(value);
      if (email === null) return null;
      query = query.where('people.email', '=', email);
    } else if (attribute === 'workEmail') {
      // Keyslip's one email is of type "work": any other type has no address to match.
      if (value.toLowerCase() !== 'work') return null;
      query = query.where('people.email', 'is not', null);
    } else if (attribute === 'externalId') {
      query = query.where('scim_users.external_id', '=', value);
    } else {
      query = query.where('people.name', '=', value.normalize('NFC').trim().replace(/\s+/g, ' '));
    }
  }
  return query;
}

/** One page in id order (ids are time-ordered, so the order is stable and new people come last). */
export async function listScimUsers(
  db: Db,
  conditions: readonly EqCondition<UserFilterAttribute>[],
  options: { offset: number; limit: number },
): Promise<{ rows: ScimUserRow[]; total: number }> {
  const query = applyConditions(visiblePeople(db), conditions);
  if (query === null) return { rows: [], total: 0 };
  const counted = await query
    .clearSelect()
    .select((eb) => eb.fn.countAll<number | string>().as('n'))
    .executeTakeFirstOrThrow();
  const total = Number(counted.n);
  if (options.limit === 0 || options.offset >= total) return { rows: [], total };
  const rows = (await query.orderBy('people.id').offset(options.offset).limit(options.limit).execute()) as Joined[];
  return { rows: rows.map(split), total };
}

/** Writes what the SCIM client keeps about a person (insert or update). */
export async function saveScimUser(db: Db, row: ScimUsersTable): Promise<void> {
  const { person_id, ...rest } = row;
  await db
    .insertInto('scim_users')
    .values(row)
    .onConflict((oc) => oc.column('person_id').doUpdateSet(rest))
    .execute();
}
