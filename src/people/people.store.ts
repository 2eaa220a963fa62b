// People in the database: Kysely only, no HTTP, no rules beyond what the schema enforces.
import { sql, type Expression, type ExpressionBuilder, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { Db } from '../db/database.js';
import { dialectOf } from '../db/dialect.js';
import type { Database, PeopleTable, PersonRole, PersonStatus } from '../db/schema.js';
import { searchTextOf, type CodeState, type SignedInPerson, type ValidPersonFields } from './person.js';

export async function findPersonById(db: Db, id: string): Promise<PeopleTable | null> {
  return (await db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
}

/** Every column a signed-in request may carry: all but the password hash. */
const SIGNED_IN_COLUMNS = [
  'id',
  'name',
  'username',
  'email',
  'employee_id',
  'department',
  'location',
  'title',
  'role',
  'status',
  'search_text',
  'code_state',
  'code_expires_at',
  'failed_sign_ins',
  'last_failed_sign_in_at',
  'created_at',
  'updated_at',
  'claimed_at',
  'last_sign_in_at',
  'deactivated_at',
] as const satisfies readonly (keyof SignedInPerson)[];

/** The person behind a session, without the password hash. */
export async function findSignedInPerson(db: Db, id: string): Promise<SignedInPerson | null> {
  return (await db.selectFrom('people').select(SIGNED_IN_COLUMNS).where('id', '=', id).executeTakeFirst()) ?? null;
}

export async function findPersonByUsername(db: Db, username: string): Promise<PeopleTable | null> {
  return (await db.selectFrom('people').selectAll().where('username', '=', username).executeTakeFirst()) ?? null;
}

export async function findPersonByEmail(db: Db, email: string): Promise<PeopleTable | null> {
  return (await db.selectFrom('people').selectAll().where('email', '=', email).executeTakeFirst()) ?? null;
}

/**
 * Takes the row lock on a person for the rest of the transaction (PostgreSQL), so two writers
 * touching one person's codes queue up. SQLite needs nothing: BEGIN IMMEDIATE already holds the
 * database's single write lock.
 */
export async function lockPerson(db: Db, id: string): Promise<PeopleTable | null> {
  let query = db.selectFrom('people').selectAll().where('id', '=', id);
  if (dialectOf(db) === 'postgres') query = query.forUpdate();
  return (await query.executeTakeFirst()) ?? null;
}

export async function insertPerson(db: Db, row: PeopleTable): Promise<void> {
  await db.insertInto('people').values(row).execute();
}

/** Many new people at once, in multi-row inserts kept under SQLite's and PostgreSQL's parameter limits. */
export async function insertPeople(db: Db, rows: readonly PeopleTable[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200)
    await db
      .insertInto('people')
      .values(rows.slice(i, i + 200))
      .execute();
}

/** A person's own fields (from the API, the pages or an import), with the search text they make. */
export async function updatePersonFields(
  db: Db,
  id: string,
  fields: ValidPersonFields,
  options: { searchText: string; now: number },
): Promise<void> {
  await db
    .updateTable('people')
    .set({ ...fields, search_text: options.searchText, updated_at: options.now })
    .where('id', '=', id)
    .execute();
}

export async function markPersonDeactivated(db: Db, id: string, now: number): Promise<void> {
  await db
    .updateTable('people')
    .set({ status: 'deactivated', deactivated_at: now, updated_at: now })
    .where('id', '=', id)
    .execute();
}

/**
 * A redeemed code's account: the username (kept, or chosen now), the new password, active and
 * signed in, the failed sign-ins forgiven. The code state is the access codes' to write.
 */
export async function setRedeemedCredentials(
  db: Db,
  current: PeopleTable,
  options: { username: string | null; passwordHash: string; now: number },
): Promise<void> {
  const { username, passwordHash, now } = options;
  await db
    .updateTable('people')
    .set({
      username,
      password_hash: passwordHash,
      status: 'active',
      claimed_at: current.claimed_at ?? now,
      last_sign_in_at: now,
      failed_sign_ins: 0,
      last_failed_sign_in_at: null,
      updated_at: now,
      ...(current.username === null ? { search_text: searchTextOf({ ...current, username }) } : {}),
    })
    .where('id', '=', current.id)
    .execute();
}

/**
 * Counts a sign-in attempt as a failure in a row *before* the password is verified, in one
 * conditional update that applies only when `mayTry` (the account's delay, as SQL over the row's
 * own columns) holds. Of parallel attempts at most one per delay sees true.
 */
export async function takeSignInTurn(
  db: Db,
  personId: string,
  now: number,
  mayTry: (eb: ExpressionBuilder<Database, 'people'>) => Expression<SqlBool>,
): Promise<boolean> {
  const result = await db
    .updateTable('people')
    .set((eb) => ({ failed_sign_ins: eb('failed_sign_ins', '+', 1), last_failed_sign_in_at: now }))
    .where('id', '=', personId)
    .where(mayTry)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** A successful sign-in: the failures in a row start again from zero. */
export async function recordSignIn(db: Db, personId: string, now: number): Promise<void> {
  await db
    .updateTable('people')
    .set({ failed_sign_ins: 0, last_failed_sign_in_at: null, last_sign_in_at: now })
    .where('id', '=', personId)
    .execute();
}

/** Whether the directory has anyone at all (the first start's bootstrap asks). */
export async function anyPersonExists(db: Db): Promise<boolean> {
  return (await db.selectFrom('people').select('id').limit(1).executeTakeFirst()) !== undefined;
}

export interface PeopleFilter {
  q?: string;
  hasEmail?: boolean;
  status?: PersonStatus;
  codeState?: CodeState;
  department?: string;
  location?: string;
  /** An area's id (SPEC §9): its members only. */
  area?: string;
  /** Only members of these areas (a manager's scope, SPEC §9); none given means no one. */
  withinAreas?: readonly string[];
  /** Only people with these roles (bulk issue: never admins). */
  roles?: readonly PersonRole[];
  /** Exact lookups (as stored: username and email lower-cased, employee id trimmed). */
  employeeId?: string;
  username?: string;
  email?: string;
  /** People whose fields or status changed at or after this time (ms), for incremental sync. */
  updatedSince?: number;
}

type PeopleQuery = SelectQueryBuilder<Database, 'people', object>;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** PostgreSQL refuses text with NUL in it; no stored name or filter value can contain one. */
const hasNul = (text: string | undefined): boolean => text?.includes('\u0000') === true;

/** The search fragment as the search text stores it: NFKC, lower case, trimmed. */
function searchFragment(filter: PeopleFilter): string {
  return filter.q?.normalize('NFKC').toLowerCase().trim() ?? '';
}

/** SQLite answers fragments of three or more letters from its FTS5 trigram index. */
function ftsPhrase(db: Db, q: string): string | null {
  if (dialectOf(db) !== 'sqlite' || [...q].length < 3) return null;
  // The fragment as one quoted FTS5 phrase ("" escapes a quote).
  return `"${q.replace(/"/g, '""')}"`;
}

/**
 * How the area filter is applied: `areaProbe` tests each person's membership (a large area's
 * page in name order); `areaAfterId`, for a walk in id order after that id, starts the area's
 * members there too (without it, each chunk of a bulk issue read the area's members from the
 * first: 25 s of lookups for a region of 100,000).
 */
export interface AreaFilterOptions {
  areaProbe?: boolean;
  areaAfterId?: string;
}

/**
 * The filters of SPEC §6 applied to a query over people. Fragment search is a plain substring
 * test of the lower-cased search text, answered the same on both databases: PostgreSQL's LIKE is
 * exact (pg_trgm's GIN index serves it from three letters on); SQLite's FTS5 trigram index only
 * narrows the rows down, because it folds a few letters that lower-casing keeps apart (Greek
 * final sigma "ς" matches "σ"), and `instr` then decides exactly.
 */
export function applyPeopleFilter(
  db: Db,
  query: PeopleQuery,
  filter: PeopleFilter,
  now: number,
  options: AreaFilterOptions = {},
): PeopleQuery {
  const q = searchFragment(filter);
  if (hasNul(q) || [filter.department, filter.location, filter.employeeId, filter.username, filter.email].some(hasNul))
    return query.where(sql<boolean>`1 = 0`);
  if (q !== '') {
    const phrase = ftsPhrase(db, q);
    if (phrase !== null)
      query = query.where(
        sql<boolean>`people.rowid in (select rowid from people_fts where people_fts match ${phrase})`,
      );
    query = applyTextTest(db, query, q);
  }
  return applyFieldFilters(db, query, filter, now, options);
}

function applyTextTest(db: Db, query: PeopleQuery, q: string): PeopleQuery {
  if (dialectOf(db) === 'postgres')
    return query.where(sql<boolean>`people.search_text like ${`%${escapeLike(q)}%`} escape '\\'`);
  return query.where(sql<boolean>`instr(people.search_text, ${q}) > 0`);
}

function applyFieldFilters(
  db: Db,
  query: PeopleQuery,
  filter: PeopleFilter,
  now: number,
  options: AreaFilterOptions = {},
): PeopleQuery {
  if (filter.hasEmail !== undefined) {
    if (dialectOf(db) === 'sqlite') {
      // Unary + keeps SQLite off the unique email index: "email IS NULL" holds for most people
      // (staff without email), and walking that index then sorting would cost a million rows.
      query = query.where(
        filter.hasEmail ? sql<boolean>`+people.email is not null` : sql<boolean>`+people.email is null`,
      );
    } else {
      query = query.where('people.email', filter.hasEmail ? 'is not' : 'is', null);
    }
  }
  if (filter.status) query = query.where('people.status', '=', filter.status);
  if (filter.withinAreas !== undefined) {
    const areas = filter.withinAreas;
    query =
      areas.length === 0
        ? query.where(sql<boolean>`1 = 0`)
        : query.where('people.id', 'in', (eb) =>
            eb.selectFrom('area_members').select('area_members.person_id').where('area_members.area_id', 'in', areas),
          );
  }
  if (filter.roles !== undefined) {
    query =
      filter.roles.length === 0 ? query.where(sql<boolean>`1 = 0`) : query.where('people.role', 'in', filter.roles);
  }
  if (filter.department) query = query.where('people.department', '=', filter.department);
  if (filter.location) query = query.where('people.location', '=', filter.location);
  if (filter.area !== undefined && options.areaProbe) {
    const areaId = filter.area;
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('area_members')
          .select(sql`1`.as('one'))
          .where('area_members.area_id', '=', areaId)
          .whereRef('area_members.person_id', '=', 'people.id'),
      ),
    );
  } else if (filter.area !== undefined) {
    const members = areaMemberIds(db, filter.area);
    // A walk in id order (bulk issue) starts the members' key where the last chunk ended.
    const after = options.areaAfterId;
    query = query.where('people.id', 'in', after ? members.where('area_members.person_id', '>', after) : members);
  }
  if (filter.employeeId !== undefined) query = query.where('people.employee_id', '=', filter.employeeId);
  if (filter.username !== undefined) query = query.where('people.username', '=', filter.username);
  if (filter.email !== undefined) query = query.where('people.email', '=', filter.email);
  if (filter.updatedSince !== undefined) query = query.where('people.updated_at', '>=', filter.updatedSince);
  if (filter.codeState === 'active') {
    query = query.where('people.code_state', '=', 'active').where('people.code_expires_at', '>', now);
  } else if (filter.codeState === 'expired') {
    query = query.where('people.code_state', '=', 'active').where('people.code_expires_at', '<=', now);
  } else if (filter.codeState) {
    query = query.where('people.code_state', '=', filter.codeState);
  }
  return query;
}

/**
 * An area's members, for `people.id IN (…)`: read from the primary key (area_id, person_id), so
 * both databases start from the area's few hundred members, fetch those people by id and sort
 * that handful by name, instead of walking a million people in name order testing each.
 */
function areaMemberIds(db: Db, areaId: string) {
  return db.selectFrom('area_members').select('area_members.person_id').where('area_members.area_id', '=', areaId);
}

/**
 * A page in name order of an area with more members than this walks the people in name order
 * and probes each one's membership (EXISTS on the same key) instead: for a region holding a
 * tenth of a million people, 500 probes find 50 members, where fetching and sorting its 100,000
 * members took half a second. Below it, fetching and sorting the members is the quicker way.
 */
export const AREA_MEMBERS_SORTED_LIMIT = 2000;

/**
 * How an area filter is answered: 'members' (at most AREA_MEMBERS_SORTED_LIMIT) drive the query,
 * a text search included (testing a few hundred names beats walking the text index's matches of
 * "son" for the few in the area); 'probe' tests the membership of each person the rest of the
 * query walks. Asked of the membership key, up to the limit: well under a millisecond.
 */
type AreaPlan = 'members' | 'probe';

async function areaPlanOf(db: Db, filter: PeopleFilter): Promise<AreaPlan | null> {
  if (filter.area === undefined) return null;
  const inner = areaMemberIds(db, filter.area).limit(AREA_MEMBERS_SORTED_LIMIT + 1);
  const row = await db
    .selectFrom(inner.as('members'))
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count) > AREA_MEMBERS_SORTED_LIMIT ? 'probe' : 'members';
}

/**
 * SQLite, fragment of 3+ letters: the FTS5 index drives the query. CROSS JOIN keeps it the outer
 * loop (SQLite never reorders a CROSS JOIN), so matches arrive in rowid order and a page ordered
 * by rowid stops after `limit` rows instead of collecting every match first.
 */
function ftsDrivenPeople(db: Db, phrase: string): PeopleQuery {
  const query = db
    .selectFrom(sql<{ rowid: number }>`people_fts`.as('people_fts'))
    .crossJoin('people')
    .where(sql<boolean>`people_fts match ${phrase}`)
    .where(sql<boolean>`people.rowid = people_fts.rowid`);
  // Every filter refers to people.*; the FTS table only adds rows to join.
  return query as unknown as PeopleQuery;
}

/**
 * The people a filter selects, with the text search answered from the FTS5 index when it can
 * be (SQLite); `sqliteRowid` is the expression that orders them newest first.
 */
function filteredPeople(
  db: Db,
  filter: PeopleFilter,
  now: number,
  areaPlan: AreaPlan | null = null,
): { query: PeopleQuery; sqliteRowid: string } {
  const q = searchFragment(filter);
  const areaProbe = areaPlan === 'probe';
  if (areaPlan === 'members') {
    if (hasNul(q) || hasNul(filter.department) || hasNul(filter.location))
      return { query: db.selectFrom('people').where(sql<boolean>`1 = 0`), sqliteRowid: 'people.rowid' };
    const texted = q === '' ? db.selectFrom('people') : applyTextTest(db, db.selectFrom('people'), q);
    return { query: applyFieldFilters(db, texted, filter, now), sqliteRowid: 'people.rowid' };
  }
  const phrase = hasNul(q) ? null : ftsPhrase(db, q);
  if (phrase === null)
    return {
      query: applyPeopleFilter(db, db.selectFrom('people'), filter, now, { areaProbe }),
      sqliteRowid: 'people.rowid',
    };
  const query = applyFieldFilters(db, applyTextTest(db, ftsDrivenPeople(db, phrase), q), filter, now, { areaProbe });
  return {
    query: [filter.department, filter.location, filter.employeeId, filter.username, filter.email].some(hasNul)
      ? query.where(sql<boolean>`1 = 0`)
      : query,
    sqliteRowid: 'people_fts.rowid',
  };
}

/**
 * A text search that matches more people than this comes newest first rather than by name:
 * sorting the 230,000 matches of "son" by name on every keystroke costs a tenth of a second or
 * more at a million people, while the newest 50 of them come straight from the index. Up to
 * this many matches the sort takes a millisecond or two and results stay alphabetical.
 */
export const NAME_ORDER_LIMIT = 1000;

export type PeopleOrder = 'name' | 'newest';

export interface PeoplePageCursor {
  /** Absent in an opaque cursor: looked up from the id (the person's current name). */
  name?: string;
  id: string;
  /** 'newest' on the pages of a large text search (see NAME_ORDER_LIMIT); name order otherwise. */
  order?: PeopleOrder;
}

/** How many people the text alone matches, counted up to `limit` (other filters ignored). */
async function countTextMatches(db: Db, q: string, limit: number): Promise<number> {
  const phrase = ftsPhrase(db, q);
  const matches =
    phrase !== null
      ? sql`select 1 from people_fts where people_fts match ${phrase} limit ${limit}`
      : dialectOf(db) === 'postgres'
        ? sql`select 1 from people where search_text like ${`%${escapeLike(q)}%`} escape '\\' limit ${limit}`
        : sql`select 1 from people where instr(search_text, ${q}) > 0 limit ${limit}`;
  const result = await sql<{ count: number | string }>`select count(*) as count from (${matches}) as matches`.execute(
    db,
  );
  return Number(result.rows[0]?.count ?? 0);
}

/**
 * One page of the directory. Without a text search, or when the text matches at most
 * NAME_ORDER_LIMIT people, in name order (then id); a larger text search comes newest first.
 * The cursor carries the order, so a search keeps its order from page to page.
 */
export async function searchPeopleRows(
  db: Db,
  filter: PeopleFilter,
  /** `order`: always this order (the API), instead of the pages' choice by the number of matches. */
  options: { limit: number; after: PeoplePageCursor | null; now: number; order?: PeopleOrder },
): Promise<{ rows: PeopleTable[]; next: PeoplePageCursor | null; order: PeopleOrder }> {
  const q = searchFragment(filter);
  const after = options.after ? await withCursorName(db, options.after) : null;
  const areaPlan = await areaPlanOf(db, filter);
  let order: PeopleOrder = options.order ?? 'name';
  // An area of few members stays in name order whatever the text: they are all there is to sort.
  if (options.order === undefined && q !== '' && !hasNul(q) && areaPlan !== 'members') {
    order = after
      ? (after.order ?? 'name')
      : (await countTextMatches(db, q, NAME_ORDER_LIMIT + 1)) > NAME_ORDER_LIMIT
        ? 'newest'
        : 'name';
  }
  let { query, sqliteRowid } = filteredPeople(db, filter, options.now, areaPlan);
  if (order === 'newest') {
    if (dialectOf(db) === 'sqlite') {
      if (after)
        query = query.where(
          sql<boolean>`${sql.raw(sqliteRowid)} < coalesce((select rowid from people where id = ${after.id}), 0)`,
        );
      query = query.orderBy(sql.raw(sqliteRowid), 'desc');
    } else {
      if (after) query = query.where('people.id', '<', after.id);
      // Newest first asked for (the API) with few matches: collect them from the trigram index and
      // sort, rather than walk the id index testing every row for a rare fragment.
      if (
        q !== '' &&
        !hasNul(q) &&
        options.order === 'newest' &&
        (await countTextMatches(db, q, NAME_ORDER_LIMIT + 1)) <= NAME_ORDER_LIMIT
      ) {
        const matches = query.selectAll('people').offset(0).as('people');
        const rows = await db
          .selectFrom(matches)
          .selectAll()
          .orderBy('people.id', 'desc')
          .limit(options.limit + 1)
          .execute();
        return pageOf(rows, options.limit, order);
      }
      query = query.orderBy('people.id', 'desc');
    }
  } else {
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('people.name', '>', after.name!),
          eb.and([eb('people.name', '=', after.name!), eb('people.id', '>', after.id)]),
        ]),
      );
    }
    if (q !== '' && dialectOf(db) === 'postgres') {
      // At most NAME_ORDER_LIMIT matches: PostgreSQL collects them from the trigram index and
      // sorts them (OFFSET 0 keeps the subquery whole) instead of walking the name index and
      // testing every row, which visits most of the table for a fragment whose names sort late.
      const matches = query.selectAll('people').offset(0).as('people');
      return pageOf(
        await db
          .selectFrom(matches)
          .selectAll()
          .orderBy('people.name')
          .orderBy('people.id')
          .limit(options.limit + 1)
          .execute(),
        options.limit,
        order,
      );
    }
    query = query.orderBy('people.name').orderBy('people.id');
  }
  return pageOf(
    await query
      .selectAll('people')
      .limit(options.limit + 1)
      .execute(),
    options.limit,
    order,
  );
}

/** A cursor that carries only an id gets the person's current name (an unknown id: before everyone). */
async function withCursorName(db: Db, cursor: PeoplePageCursor): Promise<PeoplePageCursor> {
  if (cursor.name !== undefined || cursor.order === 'newest') return cursor;
  const row = await db.selectFrom('people').select('name').where('id', '=', cursor.id).executeTakeFirst();
  return { ...cursor, name: row?.name ?? '' };
}

function pageOf(
  rows: PeopleTable[],
  limit: number,
  order: PeopleOrder,
): { rows: PeopleTable[]; next: PeoplePageCursor | null; order: PeopleOrder } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const next =
    rows.length > limit && last ? { name: last.name, id: last.id, ...(order === 'newest' ? { order } : {}) } : null;
  return { rows: page, next, order };
}

/** How many people match, counted up to `cap` (an exact count of a million rows costs more than a page). */
export async function countPeople(
  db: Db,
  filter: PeopleFilter,
  options: { cap: number; now: number },
): Promise<{ count: number; capped: boolean }> {
  // An area alone: its members are counted from the membership key, without reading people.
  const inner =
    filter.area !== undefined && Object.keys(filter).length === 1
      ? (areaMemberIds(db, filter.area).limit(options.cap + 1) as unknown as PeopleQuery)
      : filteredPeople(db, filter, options.now, await areaPlanOf(db, filter))
          .query.select(sql`1`.as('one'))
          .limit(options.cap + 1);
  const row = await db
    .selectFrom(inner.as('matches'))
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirstOrThrow();
  const count = Number(row.count);
  return count > options.cap ? { count: options.cap, capped: true } : { count, capped: false };
}

/**
 * PostgreSQL: refreshes the planner's statistics on people. Right after a large import they still
 * describe a much smaller table, and the planner would then scan every row for a rare search
 * fragment until autovacuum gets round to it. SQLite's queries here do not use statistics.
 */
export async function refreshPeopleStatistics(db: Db): Promise<void> {
  if (dialectOf(db) === 'postgres') await sql`analyze people`.execute(db);
}

/** Distinct departments and locations, for the directory's filter menus (a manager's: of their areas). */
export async function listFacets(
  db: Db,
  options: { withinAreas?: readonly string[] } = {},
): Promise<{ departments: string[]; locations: string[] }> {
  const areas = options.withinAreas;
  if (areas !== undefined && areas.length === 0) return { departments: [], locations: [] };
  const scoped = (query: SelectQueryBuilder<Database, 'people', object>) =>
    areas === undefined
      ? query
      : query.where('people.id', 'in', (eb) =>
          eb.selectFrom('area_members').select('area_members.person_id').where('area_members.area_id', 'in', areas),
        );
  const departments = await scoped(db.selectFrom('people'))
    .select('department')
    .distinct()
    .where('department', 'is not', null)
    .orderBy('department')
    .limit(500)
    .execute();
  const locations = await scoped(db.selectFrom('people'))
    .select('location')
    .distinct()
    .where('location', 'is not', null)
    .orderBy('location')
    .limit(500)
    .execute();
  return {
    departments: departments.map((r) => r.department!),
    locations: locations.map((r) => r.location!),
  };
}

/**
 * "Start over" (accounts/start-over.ts): the password goes; after a wrong claim the account is
 * unclaimed again, and the username that claim chose (`clearUsername`) is cleared.
 */
export async function resetCredentials(
  db: Db,
  current: PeopleTable,
  options: { unclaim: boolean; clearUsername: boolean; now: number },
): Promise<void> {
  const username = options.clearUsername ? null : current.username;
  await db
    .updateTable('people')
    .set({
      password_hash: null,
      failed_sign_ins: 0,
      last_failed_sign_in_at: null,
      updated_at: options.now,
      ...(options.unclaim ? { status: 'unclaimed' as const, claimed_at: null, last_sign_in_at: null } : {}),
      ...(options.clearUsername ? { username, search_text: searchTextOf({ ...current, username }) } : {}),
    })
    .where('id', '=', current.id)
    .execute();
}
