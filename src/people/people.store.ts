// People in the database: Kysely only, no HTTP, no rules beyond what the schema enforces.
import {
  sql,
  type AliasedSelectQueryBuilder,
  type CompiledQuery,
  type Expression,
  type RawBuilder,
  type ExpressionBuilder,
  type QueryResult,
  type SelectQueryBuilder,
  type SqlBool,
} from 'kysely';
import type { Db } from '../db/database.js';
import { insertRows } from '../db/bulk-insert.js';
import { dialectOf } from '../db/dialect.js';
import { everyColumn, executeKept, prepared } from '../db/prepared.js';
import type { Database, PeopleTable, PersonCodeState, PersonRole, PersonRow, PersonStatus } from '../db/schema.js';
import {
  CONTAINS_FROM_LENGTH,
  searchTextOf,
  type CodeState,
  type SignedInPerson,
  type ValidPersonFields,
} from './person.js';

/**
 * A person's code state, read beside their row from person_code_states: two lookups on that
 * table's key, so any read of people, whatever it is joined to, carries it ('none' for a person
 * without a row, which only a row written outside people.store can be). The code state lives in a
 * table of its own so that issuing a code does not rewrite the person (migration 0014).
 */
export const CODE_STATE_COLUMNS = [
  sql<PersonCodeState>`coalesce((select s.state from person_code_states s where s.person_id = people.id), 'none')`.as(
    'code_state',
  ),
  sql<number | null>`(select s.expires_at from person_code_states s where s.person_id = people.id)`.as(
    'code_expires_at',
  ),
] as const;

export async function findPersonById(db: Db, id: string): Promise<PersonRow | null> {
  return (
    (await db
      .selectFrom('people')
      .select([...PEOPLE_COLUMNS, ...CODE_STATE_COLUMNS])
      .where('id', '=', id)
      .executeTakeFirst()) ?? null
  );
}

/** Every column of people a signed-in request may carry: all but the password hash. */
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
  'failed_sign_ins',
  'last_failed_sign_in_at',
  'created_at',
  'updated_at',
  'claimed_at',
  'last_sign_in_at',
  'deactivated_at',
] as const satisfies readonly (keyof PeopleTable)[];

/**
 * The same, as a page of the directory selects them (never the password hash). The page's code
 * states are read afterwards, for its people only (withCodeStates): SQLite computes a selected
 * subquery for every row it sorts, so a page sorted from 1,000 matches looked up 2,000 code states.
 */
const LISTED_COLUMNS = SIGNED_IN_COLUMNS.map((column) => `people.${column}` as const);

/** A person of a directory page before their code state is added. */
type ListedPerson = Omit<PeopleTable, 'password_hash'>;

/** The page's people with their code states, in one read of person_code_states' key. */
async function withCodeStates(db: Db, rows: readonly ListedPerson[]): Promise<SignedInPerson[]> {
  if (rows.length === 0) return [];
  const states = await db
    .selectFrom('person_code_states')
    .select(['person_id', 'state', 'expires_at'])
    .where(
      'person_id',
      'in',
      rows.map((row) => row.id),
    )
    .execute();
  const byPerson = new Map(states.map((state) => [state.person_id, state]));
  return rows.map((row) => {
    const state = byPerson.get(row.id);
    return { ...row, code_state: state?.state ?? 'none', code_expires_at: state?.expires_at ?? null };
  });
}

/** The person behind a session, without the password hash. */
export async function findSignedInPerson(db: Db, id: string): Promise<SignedInPerson | null> {
  return (
    (await db
      .selectFrom('people')
      .select([...SIGNED_IN_COLUMNS, ...CODE_STATE_COLUMNS])
      .where('id', '=', id)
      .executeTakeFirst()) ?? null
  );
}

// Compiled once (db/prepared.ts): every sign-in looks its person up by one of these.
const personByUsername = prepared((db: Db, username: string) =>
  db
    .selectFrom('people')
    .select([...PEOPLE_COLUMNS, ...CODE_STATE_COLUMNS])
    .where('username', '=', username),
);
const personByEmail = prepared((db: Db, email: string) =>
  db
    .selectFrom('people')
    .select([...PEOPLE_COLUMNS, ...CODE_STATE_COLUMNS])
    .where('email', '=', email),
);

export async function findPersonByUsername(db: Db, username: string): Promise<PersonRow | null> {
  return (await personByUsername(db, username)).rows[0] ?? null;
}

export async function findPersonByEmail(db: Db, email: string): Promise<PersonRow | null> {
  return (await personByEmail(db, email)).rows[0] ?? null;
}

/** What a sign-in's login is looked up by: a username or an email address, normalised as stored. */
export interface LoginKey {
  column: 'username' | 'email';
  value: string;
}

export async function findPersonByLoginKey(db: Db, key: LoginKey): Promise<PersonRow | null> {
  return key.column === 'email' ? findPersonByEmail(db, key.value) : findPersonByUsername(db, key.value);
}

/**
 * Takes the row lock on a person for the rest of the transaction (PostgreSQL), so two writers
 * touching one person's codes queue up. SQLite needs nothing: BEGIN IMMEDIATE already holds the
 * database's single write lock.
 */
export async function lockPerson(db: Db, id: string): Promise<PersonRow | null> {
  if (dialectOf(db) === 'postgres') {
    const locked = await db.selectFrom('people').select('id').where('id', '=', id).forUpdate().executeTakeFirst();
    if (!locked) return null;
  }
  // PostgreSQL: read in a statement after the lock's, so it sees what the lock's last holder
  // committed. A locking statement that waited reads the person's row again, but not the code
  // state beside it (another table), which it would show as it was before the wait.
  return findPersonById(db, id);
}

export async function insertPerson(db: Db, row: PeopleTable): Promise<void> {
  await db.insertInto('people').values(row).execute();
  await insertNoCodeStates(db, [row]);
}

/**
 * Every column of a new person (for the multi-row inserts below): those a signed-in request
 * carries and the password hash, so a column added to one list cannot be missing from the other.
 */
const PEOPLE_COLUMNS = everyColumn<PeopleTable>()([...SIGNED_IN_COLUMNS, 'password_hash']);

/** Many new people (an import's chunk) in the caller's transaction. */
export async function insertPeople(db: Db, rows: readonly PeopleTable[]): Promise<void> {
  await insertRows(db, 'people', PEOPLE_COLUMNS, rows);
  await insertNoCodeStates(db, rows);
}

/** New people's code state, 'none' until their first code (access-codes.store writes it from then on). */
async function insertNoCodeStates(db: Db, rows: readonly Pick<PeopleTable, 'id'>[]): Promise<void> {
  const states = rows.map((row) => ({ person_id: row.id, state: 'none' as const, expires_at: null }));
  await insertRows(db, 'person_code_states', ['person_id', 'state', 'expires_at'], states);
}

/**
 * SQLite: temporary files in memory (true) or where SQLite puts them by default (false). Each
 * multi-row insert into people keeps a statement journal (people has triggers, so SQLite must be
 * able to undo one statement alone), and past 64 KiB SQLite spills it to a temporary file: the
 * write system calls were a quarter of an import's CPU time. An import turns this on for its
 * duration only: for good, a VACUUM would build its whole copy of the database in memory.
 */
export async function keepTemporaryFilesInMemory(db: Db, inMemory: boolean): Promise<void> {
  if (dialectOf(db) !== 'sqlite') return;
  // Speed only: SQLite refuses the change while it has temporary storage open in a transaction (a
  // long read in progress, say); the import then runs as it did before, and nothing is wrong.
  await (inMemory ? sql`pragma temp_store = memory` : sql`pragma temp_store = default`)
    .execute(db)
    .catch(() => undefined);
}

/**
 * SQLite: the people inserted from now on wait in the search backlog (migration 0012) instead of
 * being indexed row by row; `indexSearchBacklog` indexes them in bulk. A backlog already open
 * (another import, or one a crash left) is kept: it starts lower. PostgreSQL: nothing to do.
 */
export async function deferSearchIndexing(db: Db): Promise<void> {
  if (dialectOf(db) !== 'sqlite') return;
  // "where true" tells SQLite's parser that "on conflict" is the upsert's, not the select's join.
  await sql`insert into people_search_backlog (singleton, from_rowid)
    select 1, coalesce(max(rowid), 0) + 1 from people where true
    on conflict (singleton) do nothing`.execute(db);
}

/**
 * SQLite: puts up to `rows` people of the search backlog into both search indexes, in the
 * caller's transaction, and moves the backlog past them (closing it when none are left).
 * True while people are still waiting (false once the backlog is closed, and on PostgreSQL).
 */
export async function indexSearchBacklog(db: Db, rows: number): Promise<boolean> {
  if (dialectOf(db) !== 'sqlite') return false;
  const { rows: open } = await sql<{ from_rowid: number }>`
    select from_rowid from people_search_backlog`.execute(db);
  const from = open[0]?.from_rowid;
  if (from === undefined) return false;
  const { rows: next } = await sql<{ rowid: number }>`
    select rowid from people where rowid >= ${from} order by rowid limit 1 offset ${rows}`.execute(db);
  const until = next[0]?.rowid ?? null;
  // Bulk inserts into FTS5 fill one in-memory segment for the whole range: about a quarter of
  // what the same rows cost through the per-row triggers, which flushed a segment per commit.
  const range = until === null ? sql`rowid >= ${from}` : sql`rowid >= ${from} and rowid < ${until}`;
  await sql`insert into people_fts(rowid, search_text) select rowid, search_text from people where ${range}`.execute(
    db,
  );
  await sql`insert into people_words(rowid, search_text) select rowid, search_text from people where ${range}`.execute(
    db,
  );
  if (until === null) {
    await sql`delete from people_search_backlog`.execute(db);
    return false;
  }
  await sql`update people_search_backlog set from_rowid = ${until}`.execute(db);
  return true;
}

/** A person's own fields (from the API, the pages or an import), with the search text they make. */
export async function updatePersonFields(
  db: Db,
  id: string,
  fields: ValidPersonFields,
  options: { searchText?: string; now: number },
): Promise<void> {
  // Without a search text the column is not set, so SQLite's search index triggers do not run.
  const searchText = options.searchText === undefined ? {} : { search_text: options.searchText };
  await db
    .updateTable('people')
    .set({ ...fields, ...searchText, updated_at: options.now })
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
export async function takeSignInTurn(db: Db, personId: string, now: number, mayTry: MayTry): Promise<boolean> {
  let take = turnStatements.get(mayTry);
  if (take === undefined) {
    take = prepared((db: Db, personId: string, now: number) =>
      db
        .updateTable('people')
        .set((eb) => turnTaken(eb, now))
        .where('id', '=', personId)
        .where((eb) => mayTry(eb, now)),
    );
    turnStatements.set(mayTry, take);
  }
  return Number((await take(db, personId, now)).numAffectedRows) === 1;
}

/**
 * takeSignInTurn for the person a login names, looked up and updated in one statement: the row
 * (as updated) when the turn was taken. Null when no one has that login or when the account may
 * not try yet; the caller tells those apart the slower way (findPersonByLoginKey, then
 * takeSignInTurn). A sign-in that goes ahead, nearly every one, runs one statement instead of two.
 */
export async function takeSignInTurnByLogin(
  db: Db,
  key: LoginKey,
  now: number,
  mayTry: MayTry,
): Promise<PersonRow | null> {
  let statements = turnByLoginStatements.get(mayTry);
  if (statements === undefined) {
    const byColumn = (column: LoginKey['column']) =>
      prepared((db: Db, value: string, now: number) =>
        db
          .updateTable('people')
          .set((eb) => turnTaken(eb, now))
          .where(column, '=', value)
          .where((eb) => mayTry(eb, now))
          .returning([...PEOPLE_COLUMNS, ...CODE_STATE_COLUMNS]),
      );
    statements = { username: byColumn('username'), email: byColumn('email') };
    turnByLoginStatements.set(mayTry, statements);
  }
  return (await statements[key.column](db, key.value, now)).rows[0] ?? null;
}

/** An attempt counted as a failure in a row until it succeeds (`now` is a value of the statement). */
function turnTaken(eb: ExpressionBuilder<Database, 'people'>, now: number) {
  return { failed_sign_ins: eb('failed_sign_ins', '+', 1), last_failed_sign_in_at: now };
}

/** Whether an account may try now (`now` is a value of the statement: use it only as one). */
export type MayTry = (eb: ExpressionBuilder<Database, 'people'>, now: number) => Expression<SqlBool>;

/** takeSignInTurn's statement for each condition, compiled once (db/prepared.ts). */
const turnStatements = new WeakMap<MayTry, (db: Db, personId: string, now: number) => Promise<QueryResult<unknown>>>();

type TurnByLogin = (db: Db, value: string, now: number) => Promise<QueryResult<PersonRow>>;
/** takeSignInTurnByLogin's statements for each condition, one per login column. */
const turnByLoginStatements = new WeakMap<MayTry, Record<LoginKey['column'], TurnByLogin>>();

const signInRecorded = prepared((db: Db, personId: string, passwordHash: string, now: number) =>
  db
    .updateTable('people')
    .set({ failed_sign_ins: 0, last_failed_sign_in_at: null, last_sign_in_at: now })
    .where('id', '=', personId)
    .where('password_hash', '=', passwordHash)
    .where('status', '<>', 'deactivated'),
);

/**
 * A successful sign-in with the password whose hash was verified: the failures in a row start
 * again from zero. False (nothing written) when the person was deactivated or their password
 * changed since (a recovery that committed while the password was being verified): one
 * conditional update, which on PostgreSQL also holds the person's row lock to the end of the
 * transaction, as lockPerson would.
 */
export async function recordSignIn(db: Db, personId: string, passwordHash: string, now: number): Promise<boolean> {
  return Number((await signInRecorded(db, personId, passwordHash, now)).numAffectedRows) === 1;
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

/** A character that ends a word (see `wordsOf` in person.ts): a short fragment holding one finds nobody. */
const WORD_SEPARATOR = /[^0-9a-z\u0080-\u{10ffff}]/u;

/**
 * How the text of a search is answered (see `fragmentMatches` in person.ts for the rule):
 * - contains: three or more characters, anywhere in the text (SQLite's FTS5 trigram index,
 *   PostgreSQL's pg_trgm);
 * - words: one or two characters, at the start of a word (SQLite's FTS5 `people_words` prefix
 *   index, PostgreSQL's `people_word_prefixes` table);
 * - nothing: text no stored person can match (a NUL; a short fragment with punctuation).
 */
type TextSearch =
  | { kind: 'none' }
  | { kind: 'nothing' }
  | { kind: 'contains'; q: string; phrase: string }
  | { kind: 'words'; q: string; phrase: string };

function textSearchOf(filter: PeopleFilter): TextSearch {
  const q = searchFragment(filter);
  if (q === '') return { kind: 'none' };
  if (hasNul(q)) return { kind: 'nothing' };
  // The fragment as one quoted FTS5 phrase ("" escapes a quote); a prefix query for word starts.
  const phrase = `"${q.replace(/"/g, '""')}"`;
  if ([...q].length >= CONTAINS_FROM_LENGTH) return { kind: 'contains', q, phrase };
  if (WORD_SEPARATOR.test(q)) return { kind: 'nothing' };
  return { kind: 'words', q, phrase: `${phrase} *` };
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
  /** PostgreSQL, an area of few members driving the query ('filters'): read from the membership key. */
  areaDrives?: boolean;
  /** The people in the code state filtered by are few (codeStatePlanOf): read from its index, not tested one by one. */
  codeStateDrives?: boolean;
}

/**
 * The filters of SPEC §6 applied to a query over people, the text tested row by row. Fragment
 * search of 3+ characters is a plain substring test of the lower-cased search text, answered the
 * same on both databases: PostgreSQL's LIKE is exact (pg_trgm's GIN index serves it); SQLite's FTS5
 * trigram index only narrows the rows down, because it folds a few letters that lower-casing
 * keeps apart (Greek final sigma "ς" matches "σ"), and `instr` then decides exactly. One or two
 * characters find word starts, from the word-start indexes.
 */
export function applyPeopleFilter(
  db: Db,
  query: PeopleQuery,
  filter: PeopleFilter,
  now: number,
  options: AreaFilterOptions = {},
): PeopleQuery {
  const text = textSearchOf(filter);
  if (text.kind === 'contains' && dialectOf(db) === 'sqlite')
    query = query.where(
      sql<boolean>`people.rowid in (select rowid from people_fts where people_fts match ${text.phrase})`,
    );
  return applyFieldFilters(db, applyTextTest(db, query, text), filter, now, options);
}

/** The text part of a search as a test of each row (the row comes from elsewhere: the filters' side). */
function applyTextTest(db: Db, query: PeopleQuery, text: TextSearch): PeopleQuery {
  switch (text.kind) {
    case 'none':
      return query;
    case 'nothing':
      return query.where(sql<boolean>`1 = 0`);
    case 'contains':
      if (dialectOf(db) === 'postgres') return query.where(containsTest(text.q));
      return query.where(sql<boolean>`instr(people.search_text, ${text.q}) > 0`);
    case 'words':
      if (dialectOf(db) === 'postgres')
        return query.where(
          sql<boolean>`exists (select 1 from people_word_prefixes as w
            where w.prefix = ${text.q} and w.person_id = people.id)`,
        );
      return query.where(
        sql<boolean>`exists (select 1 from people_words where people_words match ${text.phrase}
          and people_words.rowid = people.rowid)`,
      );
  }
}

/** Whether the filter has anything besides the text (status, code state, email, department, location). */
function hasFieldFilter(filter: PeopleFilter): boolean {
  return (
    filter.hasEmail !== undefined ||
    filter.status !== undefined ||
    filter.codeState !== undefined ||
    filter.department !== undefined ||
    filter.location !== undefined ||
    filter.area !== undefined ||
    filter.withinAreas !== undefined ||
    filter.roles !== undefined ||
    filter.employeeId !== undefined ||
    filter.username !== undefined ||
    filter.email !== undefined ||
    filter.updatedSince !== undefined
  );
}

function applyFieldFilters(
  db: Db,
  query: PeopleQuery,
  filter: PeopleFilter,
  now: number,
  options: AreaFilterOptions = {},
): PeopleQuery {
  if ([filter.department, filter.location, filter.employeeId, filter.username, filter.email].some(hasNul))
    return query.where(sql<boolean>`1 = 0`);
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
  const codeState = filter.codeState;
  if (codeState !== undefined && options.codeStateDrives) {
    query = query.where('people.id', 'in', (eb) => inCodeState(eb, codeState, now));
  } else if (codeState !== undefined) {
    query = query.where((eb) => eb.exists(inCodeState(eb, codeState, now).whereRef('s.person_id', '=', 'people.id')));
  }
  return query;
}

/** The people in a code state, from person_code_states' index. */
function inCodeState(eb: Pick<ExpressionBuilder<Database, 'people'>, 'selectFrom'>, state: CodeState, now: number) {
  const rows = eb.selectFrom('person_code_states as s').select('s.person_id');
  if (state === 'active') return rows.where('s.state', '=', 'active').where('s.expires_at', '>', now);
  if (state === 'expired') return rows.where('s.state', '=', 'active').where('s.expires_at', '<=', now);
  return rows.where('s.state', '=', state);
}

/**
 * How the code-state filter is applied, as for an area: when at most `limit` people are in the
 * state (chooseDriver's limit), they drive the query ('members'): the few who used their code, or
 * whose code expired, are read from the state's index instead of walking the directory to find
 * them. More, and each person the rest of the query walks is tested ('probe'), which a common state
 * (700,000 people with an active code) fills a page with at once. Asked of the state's index, up
 * to the limit.
 */
async function codeStatePlanOf(db: Db, filter: PeopleFilter, now: number, limit: number): Promise<AreaPlan | null> {
  const state = filter.codeState;
  if (state === undefined) return null;
  return planBySize(db, inCodeState(db, state, now), limit);
}

/** 'members' when `people` (a set of person ids read from an index) holds at most `limit`, else 'probe'. */
async function planBySize(
  db: Db,
  people: { limit(count: number): { as(name: 'people_ids'): AliasedSelectQueryBuilder<object, 'people_ids'> } },
  limit: number,
): Promise<AreaPlan> {
  const row = await db
    .selectFrom(people.limit(limit + 1).as('people_ids'))
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count) > limit ? 'probe' : 'members';
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
  return planBySize(db, areaMemberIds(db, filter.area), AREA_MEMBERS_SORTED_LIMIT);
}

/**
 * The people a text search matches, read from its index: `newest` is the expression that orders
 * them newest first straight off that index.
 *
 * SQLite: the FTS5 table drives the query. CROSS JOIN keeps it the outer loop (SQLite never
 * reorders a CROSS JOIN), so matches arrive in rowid order and a page ordered by rowid stops
 * after `limit` rows instead of collecting every match first.
 * PostgreSQL, word starts: the prefix table's (prefix, person_id) key, walked backwards.
 */
function textDrivenPeople(
  db: Db,
  text: { kind: 'contains' | 'words'; q: string; phrase: string },
): { query: PeopleQuery; newest: string } {
  if (dialectOf(db) === 'postgres') {
    if (text.kind === 'contains')
      return { query: applyTextTest(db, db.selectFrom('people'), text), newest: 'people.id' };
    // A lateral subquery that cannot be flattened (OFFSET 0) keeps the plan a nested loop: the
    // prefix index walked newest first, each person looked up by id. As a plain join the planner
    // may merge it with a walk of every person from the newest, which for a prefix whose people
    // are older reads most of the table.
    const query = db
      .selectFrom(sql<{ prefix: string; person_id: string }>`people_word_prefixes`.as('w'))
      .innerJoinLateral(
        (eb) => eb.selectFrom('people').selectAll().whereRef('people.id', '=', 'w.person_id').offset(0).as('people'),
        (join) => join.onTrue(),
      )
      .where(sql<boolean>`w.prefix = ${text.q}`);
    // Every filter refers to people.*; the prefix table only adds rows to join.
    return { query: query as unknown as PeopleQuery, newest: 'w.person_id' };
  }
  const table = text.kind === 'contains' ? 'people_fts' : 'people_words';
  const query = db
    .selectFrom(sql<{ rowid: number }>`${sql.table(table)}`.as(table))
    .crossJoin('people')
    .where(sql<boolean>`${sql.table(table)} match ${text.phrase}`)
    .where(sql<boolean>`people.rowid = ${sql.ref(`${table}.rowid`)}`);
  const driven = query as unknown as PeopleQuery;
  return {
    query: text.kind === 'contains' ? applyTextTest(db, driven, text) : driven,
    newest: `${table}.rowid`,
  };
}

/**
 * Which side of a search reads an index and which is tested row by row. The text's index drives,
 * unless the text matches more than `limit` people and the other filters match at most `limit`
 * ("s" with status deactivated): then the filters' indexes give those few and the text is tested
 * on each, instead of walking a third of the directory to find the few deactivated ones.
 */
type Driver = 'plain' | 'text' | 'filters';

async function chooseDriver(
  db: Db,
  filter: PeopleFilter,
  text: TextSearch,
  options: {
    limit: number;
    now: number;
    areaPlan?: AreaPlan | null;
    codeStatePlan?: AreaPlan | null;
    textDrives?: boolean;
  },
): Promise<{ driver: Driver; textMatches: number }> {
  // An area of few members, or the few people in a code state, drive the query whatever the text:
  // they are all there is to sort.
  if (options.areaPlan === 'members' || options.codeStatePlan === 'members')
    return { driver: 'filters', textMatches: 0 };
  if (text.kind !== 'contains' && text.kind !== 'words') return { driver: 'plain', textMatches: 0 };
  if (options.textDrives) return { driver: 'text', textMatches: Number.POSITIVE_INFINITY };
  // Only which side is larger than the limit matters here, so a clear sample may stand for the count.
  const textMatches = await countTextMatches(db, text, options.limit + 1, { sampled: true });
  if (textMatches <= options.limit || !hasFieldFilter(filter)) return { driver: 'text', textMatches };
  // The code state alone, known to hold more than the limit: the text drives, without counting
  // the state's people one by one.
  const { codeState: _codeState, q: _q, ...others } = filter;
  if (options.codeStatePlan === 'probe' && !hasFieldFilter(others)) return { driver: 'text', textMatches };
  const fieldMatches = await countRows(
    db,
    applyFieldFilters(db, db.selectFrom('people'), filter, options.now),
    options.limit + 1,
  );
  return { driver: fieldMatches <= options.limit ? 'filters' : 'text', textMatches };
}

/** The people a filter selects, read from the index `driver` names (see chooseDriver). */
function filteredPeople(
  db: Db,
  filter: PeopleFilter,
  text: TextSearch,
  driver: Driver,
  now: number,
  options: AreaFilterOptions = {},
) {
  if ((text.kind === 'contains' || text.kind === 'words') && driver === 'text') {
    const { query, newest } = textDrivenPeople(db, text);
    return { query: applyFieldFilters(db, query, filter, now, options), newest };
  }
  if (driver === 'filters' && options.areaDrives && filter.area !== undefined && dialectOf(db) === 'postgres') {
    // An area of few members, walked on its (area_id, person_id) key: newest first straight off
    // it, each member looked up by id (OFFSET 0 keeps it a nested loop, as for word starts).
    const query = db
      .selectFrom('area_members as m')
      .innerJoinLateral(
        (eb) => eb.selectFrom('people').selectAll().whereRef('people.id', '=', 'm.person_id').offset(0).as('people'),
        (join) => join.onTrue(),
      )
      .where('m.area_id', '=', filter.area) as unknown as PeopleQuery;
    const { area: _area, ...others } = filter;
    return {
      query: applyFieldFilters(db, applyTextTest(db, query, text), others, now, options),
      newest: 'm.person_id',
    };
  }
  return {
    query: applyFieldFilters(db, applyTextTest(db, db.selectFrom('people'), text), filter, now, options),
    newest: dialectOf(db) === 'sqlite' ? 'people.rowid' : 'people.id',
  };
}

/**
 * A text search that matches more people than this comes newest first rather than by name:
 * sorting the 230,000 matches of "son" by name on every keystroke costs a tenth of a second or
 * more at a million people, while the newest 50 of them come straight from the index. Up to
 * this many matches the sort takes a millisecond or two and results stay alphabetical. When the
 * other filters match at most this many people, the search is in name order too (see chooseDriver).
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

type SearchedText = { kind: 'contains' | 'words'; q: string; phrase: string };

const isTextSearch = (text: TextSearch): text is SearchedText => text.kind === 'contains' || text.kind === 'words';

/**
 * How many people the text alone matches, counted up to `limit` (other filters ignored). `sampled`:
 * `limit` may also mean "the newest people show beyond doubt that there are at least that many"
 * (PostgreSQL, 3+ characters; see windowShowsAtLeast), for a caller that only compares with `limit`.
 */
async function countTextMatches(
  db: Db,
  text: SearchedText,
  limit: number,
  options: { sampled?: boolean } = {},
): Promise<number> {
  let matches: RawBuilder<unknown>;
  if (dialectOf(db) === 'sqlite')
    matches =
      text.kind === 'contains'
        ? sql`select 1 from people_fts where people_fts match ${text.phrase} limit ${limit}`
        : sql`select 1 from people_words where people_words match ${text.phrase} limit ${limit}`;
  else if (text.kind === 'words')
    // In key order: the (prefix, person_id) key read up to the limit. Unordered, PostgreSQL may
    // scan the table hoping to meet `limit` rows early (a second for "e1", whose rows are the
    // newest people's, at the end of the table).
    matches = sql`select 1 from people_word_prefixes where prefix = ${text.q} order by person_id limit ${limit}`;
  else return countContains(db, text.q, limit, options);
  const result = await sql<{ count: number | string }>`select count(*) as count from (${matches}) as matches`.execute(
    db,
  );
  return Number(result.rows[0]?.count ?? 0);
}

/** PostgreSQL's substring test of the search text (pg_trgm's GIN index serves it). */
function containsTest(q: string): RawBuilder<boolean> {
  return sql<boolean>`people.search_text like ${`%${escapeLike(q)}%`} escape '\\'`;
}

/**
 * The same test for a walk of the (id, search_text) index, where no other index can serve it:
 * `strpos` finds the same substrings as LIKE without a pattern to match, and a walk is about a
 * fifth quicker with it (measured at a million people).
 */
function walkedContainsTest(q: string): RawBuilder<boolean> {
  return sql<boolean>`strpos(people.search_text, ${q}) > 0`;
}

/**
 * PostgreSQL: how many people a fragment of 3+ characters is in, counted up to `limit`. Either
 * plan PostgreSQL would choose alone is slow for some fragment, and its guess of how many people
 * match (from a histogram of 100 search texts) is often off tenfold, so the two are tried in turn:
 * - the newest RECENT_WINDOW people, tested one by one (a millisecond or two): a common fragment
 *   ("son", "nordhandel") reaches the limit there. Read from the trigram index instead, its
 *   hundreds of thousands of index entries cost 15–140 ms;
 * - then the trigram index, read as far as the limit. Left to itself with a LIMIT, PostgreSQL
 *   scanned the table hoping to meet matches early ("mäk": 6,400 people, 156,000 rows, 67 ms).
 */
async function countContains(db: Db, q: string, limit: number, options: { sampled?: boolean }): Promise<number> {
  const walked = async (people: number) => {
    // With the planner's estimate of the table's rows (-1 before it was ever analysed).
    const result = await sql<{ count: number | string; people: number | string | null }>`select count(*) as count,
        (select reltuples from pg_class where oid = 'people'::regclass) as people from (
        select 1 from (select search_text from people order by id desc limit ${people}) as people
        where ${walkedContainsTest(q)} limit ${limit}) as matches`.execute(db);
    const row = result.rows[0];
    return { count: Number(row?.count ?? 0), people: Number(row?.people ?? -1) };
  };
  const recent = await walked(RECENT_WINDOW);
  const inRecent = recent.count;
  if (inRecent >= limit) return inRecent;
  if (options.sampled && windowShowsAtLeast(inRecent, RECENT_WINDOW, recent.people, limit)) return limit;
  // Dense enough to walk on: reaching `limit` matches that way tests fewer rows than
  // INDEX_ROW_COST × `limit` (what reading `limit` matches from the trigram index costs).
  if (inRecent >= (limit * RECENT_WINDOW) / (INDEX_ROW_COST * limit + RECENT_WINDOW))
    return (await walked(Number.MAX_SAFE_INTEGER)).count;
  return fromTrigramIndex(db, async (trx) => {
    const result = await sql<{ count: number | string }>`select count(*) as count from (
        select 1 from people where ${containsTest(q)} limit ${limit}) as matches`.execute(trx);
    return Number(result.rows[0]?.count ?? 0);
  });
}

/**
 * The newest people a search of 3+ characters looks at one by one before it turns to the trigram
 * index (see countContains and containsNewestFirst): about 2 ms of reading at most.
 */
export const RECENT_WINDOW = 5000;

/**
 * Whether `found` matches among the newest `window` of about `people` people (the planner's
 * estimate; -1 when unknown) show that the whole directory holds at least `limit`. A fragment
 * spread evenly would hold about `found × people ÷ window`; the answer is yes only when that is
 * SAMPLE_MARGIN times `limit` and rests on at least SAMPLE_MIN matches, so a fragment that is
 * really below the limit passes only when its matches crowd the newest people (the last store
 * imported). Its search then comes newest first instead of by name: the same people, page by
 * page, in the other order. At a million people this spares the search of a common fragment
 * ("محمد", "064") counting a thousand matches, 10–20 ms, on every keystroke. A directory of
 * fewer than SAMPLE_MARGIN × `limit` people is always counted.
 */
export function windowShowsAtLeast(found: number, window: number, people: number, limit: number): boolean {
  if (!(people > window)) return false;
  return found >= Math.max(SAMPLE_MIN, (SAMPLE_MARGIN * limit * window) / people);
}

const SAMPLE_MIN = 20;
const SAMPLE_MARGIN = 4;

/**
 * PostgreSQL: runs `read` with the planner kept to bitmap scans (the trigram index, and the
 * filters' indexes), for a search known to match few people. Its statistics cannot tell a
 * fragment of 2,000 people from one of 20,000, and for the latter it would walk or scan the table.
 */
async function fromTrigramIndex<T>(
  db: Db,
  /** `restricted`: whether the planner is kept to bitmap scans for this read. */
  read: (trx: Db, value: string | null, restricted: boolean) => Promise<T>,
  /** A value read first, planned before the planner is restricted (containsNewestFirst's edge). */
  first: RawBuilder<string | null> = sql`null`,
): Promise<T> {
  if (db.isTransaction) {
    // Inside a caller's transaction the setting would outlive this read: the planner decides.
    const { rows } = await sql<{ value: string | null }>`select ${first} as value`.execute(db);
    return read(db, rows[0]?.value ?? null, false);
  }
  return db.transaction().execute(async (trx) => {
    const { rows } = await sql<{ value: string | null }>`select ${first} as value,
      set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)`.execute(trx);
    return read(trx, rows[0]?.value ?? null, true);
  });
}

/**
 * PostgreSQL, newest first, a fragment of 3+ characters driving: the newest RECENT_WINDOW people
 * (after the cursor) tested one by one, which fills the page for a common fragment; if not, the
 * older rest either walked on newest first (the window held a fair share of the page, so the
 * fragment is common enough), or read from the trigram index and sorted (a rare fragment, for
 * which walking would test hundreds of thousands of rows: "064" read 10,000 rows, "wojc" 12,000).
 */
async function containsNewestFirst(
  db: Db,
  filter: PeopleFilter,
  text: { kind: 'contains'; q: string; phrase: string },
  options: { limit: number; afterId: string | null; now: number; areaProbe: boolean },
): Promise<ListedPerson[]> {
  const tested = (on: Db, from: PeopleQuery) =>
    applyFieldFilters(on, applyTextTest(on, from, text), filter, options.now, { areaProbe: options.areaProbe });
  // The statements below are kept planned (executeKept), their plan made for any values, except
  // with an area filter: an area of a hundred members and one of a hundred thousand want different
  // plans, so those are planned for each search.
  const byArea = filter.area !== undefined || filter.withinAreas !== undefined;
  const run = async <R>(on: Db, query: CompiledQuery<R>, keep = true): Promise<R[]> =>
    keep && !byArea ? executeKept(on, query) : (await on.executeQuery(query)).rows;
  // Each of some matches (their ids, as `m`) looked up by id in a lateral subquery: OFFSET 0 keeps
  // it a nested loop in their order, where a plan kept for any page size could otherwise join by
  // hashing the whole table.
  const lookedUp = (on: Db, matches: PeopleQuery) =>
    on.selectFrom(matches.as('m')).innerJoinLateral(
      (eb) =>
        eb.selectFrom('people').selectAll().where('people.id', '=', sql.ref<string>('m.id')).offset(0).as('people'),
      (join) => join.onTrue(),
    ) as unknown as PeopleQuery;
  // The matches among the people before an id, newest first, looking at `count` people at most.
  // A subquery with a LIMIT is never merged into the outer query, so PostgreSQL walks the id index
  // whatever it guesses of the text. The walk reads the (id, search_text) index alone
  // (people_id_search_text); only the text's matches are read whole, to test any other filter
  // (each looked up by id: OFFSET 0 keeps it a nested loop in the walk's order), and then only the
  // page's people are returned.
  const walk = async (before: string | null, count: number, wanted: number) => {
    let window = db.selectFrom('people').select(['people.id', 'people.search_text']);
    if (before) window = window.where('people.id', '<', before);
    // A literal LIMIT: the statement is kept planned (executeKept), and a plan made for any value
    // would have to guess how far the walk goes.
    const walked = db.selectFrom(window.orderBy('people.id', 'desc').limit(sql.lit(count)).as('people'));
    const textMatches = (walked as unknown as PeopleQuery).where(walkedContainsTest(text.q)).select('people.id');
    const page = hasFieldFilter(filter)
      ? applyFieldFilters(db, lookedUp(db, textMatches as unknown as PeopleQuery), filter, options.now, {
          areaProbe: options.areaProbe,
        })
      : lookedUp(db, textMatches.orderBy('people.id', 'desc').limit(wanted) as unknown as PeopleQuery);
    const query = page.select(LISTED_COLUMNS).orderBy(sql.ref('m.id'), 'desc');
    return run(db, (hasFieldFilter(filter) ? query.limit(wanted) : query).compile());
  };
  const first = await walk(options.afterId, RECENT_WINDOW, options.limit + 1);
  if (first.length > options.limit) return first;
  // The oldest person of the window, read in the next statement (null when the window held
  // everyone after the cursor: then nothing is older).
  const afterCursor = options.afterId ? sql`where id < ${options.afterId}` : sql``;
  const edge = sql<string>`(select id from people ${afterCursor} order by id desc offset ${RECENT_WINDOW - 1} limit 1)`;
  const wanted = options.limit + 1 - first.length;
  // Walked on from the window's last match rather than its edge: the window gave every match it
  // held, so the people between the two (up to the rest of the window) fail again, and the edge
  // need not be looked up.
  const lastMatch = first[first.length - 1];
  if (lastMatch && first.length >= WALK_ON_FROM)
    return [...first, ...(await walk(lastMatch.id, Number.MAX_SAFE_INTEGER, wanted))];
  const rest = await fromTrigramIndex(
    db,
    async (trx, edgeId, restricted) => {
      if (edgeId === null) return []; // the window held everyone after the cursor
      // Only the matches' ids are sorted (a fifth quicker than whole rows for "064", 14,000
      // matches), then the page's people read by id.
      const older = tested(trx, trx.selectFrom('people')).where('people.id', '<', edgeId).select('people.id');
      const newest = trx.selectFrom(older.offset(0).as('people')).select('people.id').orderBy('people.id', 'desc');
      const page = lookedUp(trx, newest.limit(wanted) as unknown as PeopleQuery);
      // Kept only when planned with the planner kept to bitmap scans, as every later run will be.
      return run(trx, page.select(LISTED_COLUMNS).orderBy(sql.ref('m.id'), 'desc').compile(), restricted);
    },
    edge,
  );
  return [...first, ...rest];
}

/**
 * Matches in the newest RECENT_WINDOW people from which the rest of a page is walked rather than read
 * from the trigram index. 6 of 5,000 is one person in 830, so the walk tests at most ~40,000
 * index entries (in order, many to a page), while the trigram index would hand over some 1,200
 * matches scattered over the table, each a page of its own, 20–50 times the cost of an entry
 * walked on this 2-CPU machine ("kowal" from the index, 7,200 rows: 93 ms; walked: 2 ms).
 */
const WALK_ON_FROM = 6;

/** How many index entries walked in order cost as much as one match read from the trigram index (see WALK_ON_FROM). */
const INDEX_ROW_COST = 30;

/** How many rows a query gives, counted up to `limit`. */
async function countRows(db: Db, query: PeopleQuery, limit: number): Promise<number> {
  const row = await db
    .selectFrom(query.select(sql`1`.as('one')).limit(limit).as('matches'))
    .select((eb) => eb.fn.countAll<number | string>().as('count'))
    .executeTakeFirstOrThrow();
  return Number(row.count);
}

/**
 * One page of the directory. Without a text search, or when the text (or the other filters)
 * matches at most NAME_ORDER_LIMIT people, in name order (then id); a larger text search comes
 * newest first. The cursor carries the order, so a search keeps its order from page to page.
 */
export async function searchPeopleRows(
  db: Db,
  filter: PeopleFilter,
  /** `order`: always this order (the API), instead of the pages' choice by the number of matches. */
  options: { limit: number; after: PeoplePageCursor | null; now: number; order?: PeopleOrder },
): Promise<{ rows: SignedInPerson[]; next: PeoplePageCursor | null; order: PeopleOrder }> {
  const page = await searchPeoplePage(db, filter, options);
  return { ...page, rows: await withCodeStates(db, page.rows) };
}

async function searchPeoplePage(
  db: Db,
  filter: PeopleFilter,
  options: { limit: number; after: PeoplePageCursor | null; now: number; order?: PeopleOrder },
): Promise<{ rows: ListedPerson[]; next: PeoplePageCursor | null; order: PeopleOrder }> {
  const text = textSearchOf(filter);
  const after = options.after ? await withCursorName(db, options.after) : null;
  const areaPlan = await areaPlanOf(db, filter);
  const codeStatePlan = await codeStatePlanOf(db, filter, options.now, NAME_ORDER_LIMIT);
  const { driver, textMatches } = await chooseDriver(db, filter, text, {
    limit: NAME_ORDER_LIMIT,
    now: options.now,
    areaPlan,
    codeStatePlan,
    // Newest first asked for: the number of matches decides nothing unless other filters compete.
    textDrives: options.order === 'newest' && !hasFieldFilter(filter),
  });
  let order: PeopleOrder = options.order ?? 'name';
  if (options.order === undefined) {
    if (driver === 'text') order = after ? (after.order ?? 'name') : textMatches > NAME_ORDER_LIMIT ? 'newest' : 'name';
    else if (driver === 'filters' && after?.order === 'newest') order = 'newest';
  }
  let { query, newest } = filteredPeople(db, filter, text, driver, options.now, {
    areaProbe: areaPlan === 'probe',
    areaDrives: areaPlan === 'members',
    codeStateDrives: codeStatePlan === 'members',
  });
  if (order === 'newest') {
    if (dialectOf(db) === 'sqlite') {
      if (after)
        query = query.where(
          sql<boolean>`${sql.raw(newest)} < coalesce((select rowid from people where id = ${after.id}), 0)`,
        );
    } else {
      if (driver === 'text' && text.kind === 'contains') {
        const rows = await containsNewestFirst(db, filter, text, {
          limit: options.limit,
          afterId: after?.id ?? null,
          now: options.now,
          areaProbe: areaPlan === 'probe',
        });
        return pageOf(rows, options.limit, order);
      }
      if (after) query = query.where(sql<boolean>`${sql.raw(newest)} < ${after.id}`);
      // The few people the filters select, collected and sorted, rather than a walk of the id
      // index testing every row. Word starts and an area's members come in id order already.
      if (driver === 'filters' && newest === 'people.id') {
        const matches = query.selectAll('people').offset(0).as('people');
        const rows = await db
          .selectFrom(matches)
          .select(LISTED_COLUMNS)
          .orderBy('people.id', 'desc')
          .limit(options.limit + 1)
          .execute();
        return pageOf(rows, options.limit, order);
      }
    }
    query = query.orderBy(sql.raw(newest), 'desc');
  } else {
    if (after) {
      query = query.where((eb) =>
        eb.or([
          eb('people.name', '>', after.name!),
          eb.and([eb('people.name', '=', after.name!), eb('people.id', '>', after.id)]),
        ]),
      );
    }
    if (driver !== 'plain') {
      // At most NAME_ORDER_LIMIT matches on the driving side: they are collected from its index
      // and sorted (OFFSET 0 keeps the subquery whole on PostgreSQL; SQLite sorts by an
      // expression, which no index can give), instead of walking the name index and testing
      // every row, which visits most of the table for a fragment whose names sort late.
      if (dialectOf(db) === 'postgres') {
        const matches = query.selectAll('people').offset(0).as('people');
        return pageOf(
          await db
            .selectFrom(matches)
            .select(LISTED_COLUMNS)
            .orderBy('people.name')
            .orderBy('people.id')
            .limit(options.limit + 1)
            .execute(),
          options.limit,
          order,
        );
      }
      query = query.orderBy(sql`people.name || ''`).orderBy('people.id');
    } else query = query.orderBy('people.name').orderBy('people.id');
  }
  return pageOf(
    await query
      .select(LISTED_COLUMNS)
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
  rows: ListedPerson[],
  limit: number,
  order: PeopleOrder,
): { rows: ListedPerson[]; next: PeoplePageCursor | null; order: PeopleOrder } {
  const page = rows.slice(0, limit);
  const last = page[page.length - 1];
  const next =
    rows.length > limit && last ? { name: last.name, id: last.id, ...(order === 'newest' ? { order } : {}) } : null;
  return { rows: page, next, order };
}

/** How far countPeople counts each side to choose which one drives. */
const COUNT_PLAN_LIMIT = 10_000;

/** How many people match, counted up to `cap` (an exact count of a million rows costs more than a page). */
export async function countPeople(
  db: Db,
  filter: PeopleFilter,
  options: { cap: number; now: number },
): Promise<{ count: number; capped: boolean }> {
  let count: number;
  if (filter.area !== undefined && Object.keys(filter).length === 1) {
    // An area alone: its members are counted from the membership key, without reading people.
    count = await countRows(db, areaMemberIds(db, filter.area) as unknown as PeopleQuery, options.cap + 1);
  } else if (dialectOf(db) === 'postgres' && !hasFieldFilter(filter) && isTextSearch(textSearchOf(filter))) {
    // The text alone: counted on its own index, without reading people (a word start's rows
    // exist only for existing people): the (prefix, person_id) key, or countContains.
    count = await countTextMatches(db, textSearchOf(filter) as SearchedText, options.cap + 1);
  } else {
    const text = textSearchOf(filter);
    const areaPlan = await areaPlanOf(db, filter);
    // The driver only picks the plan: deciding it costs two counts up to this many, never the cap's.
    const limit = Math.min(options.cap, COUNT_PLAN_LIMIT);
    const codeStatePlan = await codeStatePlanOf(db, filter, options.now, limit);
    const { driver } = await chooseDriver(db, filter, text, {
      limit,
      now: options.now,
      areaPlan,
      codeStatePlan,
    });
    const areaOptions = { areaProbe: areaPlan === 'probe', codeStateDrives: codeStatePlan === 'members' };
    count = await countRows(
      db,
      filteredPeople(db, filter, text, driver, options.now, areaOptions).query,
      options.cap + 1,
    );
  }
  return count > options.cap ? { count: options.cap, capped: true } : { count, capped: false };
}

/**
 * PostgreSQL: refreshes the planner's statistics on people and marks their rows visible to all
 * (VACUUM). Right after a large import the statistics still describe a much smaller table, and the
 * planner would then scan every row for a rare search fragment; and until VACUUM has run, an
 * index-only read (the search's walk of people_id_search_text, counting word starts or an area's
 * members) still reads every row from the table. Autovacuum gets round to both in its own time,
 * if it runs at all (it may be turned off). Outside any transaction, as VACUUM must be: a few
 * seconds at a million people. SQLite's queries here do not use statistics.
 */
export async function refreshPeopleStatistics(db: Db): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await sql`vacuum (analyze) people`.execute(db);
    // The word starts' table grows with people (ten rows or so each); an import adds memberships.
    await sql`vacuum (analyze) people_word_prefixes`.execute(db);
    await sql`vacuum (analyze) area_members`.execute(db);
    await sql`vacuum (analyze) person_code_states`.execute(db);
  }
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

/** A signed-in person's new password (sign-in/change-password.ts). */
export async function setPassword(db: Db, id: string, passwordHash: string, now: number): Promise<void> {
  await db.updateTable('people').set({ password_hash: passwordHash, updated_at: now }).where('id', '=', id).execute();
}

/**
 * Back from deactivation (accounts/reactivate-person.ts): `active` if the account was ever claimed,
 * else `unclaimed`, and without the old password either way (a new code brings the person back).
 */
export async function markPersonReactivated(
  db: Db,
  id: string,
  options: { status: 'active' | 'unclaimed'; now: number },
): Promise<void> {
  await db
    .updateTable('people')
    .set({
      status: options.status,
      deactivated_at: null,
      password_hash: null,
      failed_sign_ins: 0,
      last_failed_sign_in_at: null,
      updated_at: options.now,
    })
    .where('id', '=', id)
    .execute();
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
