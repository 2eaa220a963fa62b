// People in the database: Kysely only, no HTTP, no rules beyond what the schema enforces.
import { sql, type SelectQueryBuilder } from 'kysely';
import type { Db } from '../db/database.js';
import { dialectOf } from '../db/dialect.js';
import type { Database, PeopleTable, PersonStatus } from '../db/schema.js';
import type { CodeState } from './person.js';

export async function findPersonById(db: Db, id: string): Promise<PeopleTable | null> {
  return (await db.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst()) ?? null;
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

export async function updatePersonRow(db: Db, id: string, changes: Partial<PeopleTable>): Promise<void> {
  await db.updateTable('people').set(changes).where('id', '=', id).execute();
}

export interface PeopleFilter {
  q?: string;
  hasEmail?: boolean;
  status?: PersonStatus;
  codeState?: CodeState;
  department?: string;
  location?: string;
}

type PeopleQuery = SelectQueryBuilder<Database, 'people', object>;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** PostgreSQL refuses text with NUL in it; no stored name or filter value can contain one. */
const hasNul = (text: string | undefined): boolean => text !== undefined && text.includes('\u0000');

/**
 * The filters of SPEC §6 applied to a query over people. Fragment search is a plain substring
 * test of the lower-cased search text, answered the same on both databases: PostgreSQL's LIKE is
 * exact (pg_trgm's GIN index serves it from three letters on); SQLite's FTS5 trigram index only
 * narrows the rows down, because it folds a few letters that lower-casing keeps apart (Greek
 * final sigma "ς" matches "σ"), and `instr` then decides exactly.
 */
export function applyPeopleFilter(db: Db, query: PeopleQuery, filter: PeopleFilter, now: number): PeopleQuery {
  const q = filter.q?.normalize('NFKC').toLowerCase().trim() ?? '';
  if (hasNul(q) || hasNul(filter.department) || hasNul(filter.location)) return query.where(sql<boolean>`1 = 0`);
  if (q !== '') {
    if (dialectOf(db) === 'postgres') {
      query = query.where(sql<boolean>`people.search_text like ${`%${escapeLike(q)}%`} escape '\\'`);
    } else {
      if ([...q].length >= 3) {
        // The fragment as one quoted FTS5 phrase ("" escapes a quote).
        const phrase = `"${q.replace(/"/g, '""')}"`;
        query = query.where(sql<boolean>`people.rowid in (select rowid from people_fts where people_fts match ${phrase})`);
      }
      query = query.where(sql<boolean>`instr(people.search_text, ${q}) > 0`);
    }
  }
  if (filter.hasEmail === true) query = query.where('people.email', 'is not', null);
  if (filter.hasEmail === false) query = query.where('people.email', 'is', null);
  if (filter.status) query = query.where('people.status', '=', filter.status);
  if (filter.department) query = query.where('people.department', '=', filter.department);
  if (filter.location) query = query.where('people.location', '=', filter.location);
  if (filter.codeState === 'active') {
    query = query.where('people.code_state', '=', 'active').where('people.code_expires_at', '>', now);
  } else if (filter.codeState === 'expired') {
    query = query.where('people.code_state', '=', 'active').where('people.code_expires_at', '<=', now);
  } else if (filter.codeState) {
    query = query.where('people.code_state', '=', filter.codeState);
  }
  return query;
}

export interface PeoplePageCursor {
  name: string;
  id: string;
}

export async function searchPeopleRows(
  db: Db,
  filter: PeopleFilter,
  options: { limit: number; after: PeoplePageCursor | null; now: number },
): Promise<{ rows: PeopleTable[]; next: PeoplePageCursor | null }> {
  let query = applyPeopleFilter(db, db.selectFrom('people'), filter, options.now);
  const after = options.after;
  if (after) {
    query = query.where((eb) => eb.or([eb('people.name', '>', after.name), eb.and([eb('people.name', '=', after.name), eb('people.id', '>', after.id)])]));
  }
  const rows = await query
    .selectAll('people')
    .orderBy('people.name')
    .orderBy('people.id')
    .limit(options.limit + 1)
    .execute();
  const page = rows.slice(0, options.limit);
  const last = page[page.length - 1];
  return { rows: page, next: rows.length > options.limit && last ? { name: last.name, id: last.id } : null };
}

/** How many people match, counted up to `cap` (an exact count of a million rows costs more than a page). */
export async function countPeople(db: Db, filter: PeopleFilter, options: { cap: number; now: number }): Promise<{ count: number; capped: boolean }> {
  const inner = applyPeopleFilter(db, db.selectFrom('people'), filter, options.now).select(sql`1`.as('one')).limit(options.cap + 1);
  const row = await db.selectFrom(inner.as('matches')).select((eb) => eb.fn.countAll<number | string>().as('count')).executeTakeFirstOrThrow();
  const count = Number(row.count);
  return count > options.cap ? { count: options.cap, capped: true } : { count, capped: false };
}

/** Distinct departments and locations, for the directory's filter menus. */
export async function listFacets(db: Db): Promise<{ departments: string[]; locations: string[] }> {
  const departments = await db.selectFrom('people').select('department').distinct().where('department', 'is not', null).orderBy('department').limit(500).execute();
  const locations = await db.selectFrom('people').select('location').distinct().where('location', 'is not', null).orderBy('location').limit(500).execute();
  return {
    departments: departments.map((r) => r.department!),
    locations: locations.map((r) => r.location!),
  };
}
