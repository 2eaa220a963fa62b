// Access codes in the database. Every state change is a conditional update whose affected-row
// count decides, so concurrent writers cannot both succeed (SPEC R2, R3, R5).
import { sql, type ExpressionBuilder } from 'kysely';
import { type Db, retryOnConflict } from '../db/database.js';
import { recordAuditTally } from '../audit/audit.js';
import { recordFailure, reserveAttempt, type Window, windowStartOf } from '../rate-limits/rate-limits.js';
import { insertRows } from '../db/bulk-insert.js';
import { dialectOf } from '../db/dialect.js';
import { everyColumn, prepared } from '../db/prepared.js';
import type { AccessCodesTable, Database, PeopleTable, PersonCodeState } from '../db/schema.js';

/**
 * An open code: not used, not deactivated, not replaced — the same condition as the partial unique
 * index `access_codes_one_open_per_person` (R2). Expiry is not part of it: an expired code stays
 * open until something closes it, so a new issue still replaces it.
 */
function isOpen(eb: ExpressionBuilder<Database, 'access_codes'>) {
  return eb.and([eb('used_at', 'is', null), eb('deactivated_at', 'is', null), eb('replaced_at', 'is', null)]);
}

/**
 * A code of a batch still being issued does not work yet (SPEC §2: a batch is all or nothing):
 * the condition every lookup and use of a code by its holder adds.
 */
const isIssued = sql<boolean>`(access_codes.batch_id is null or exists (
  select 1 from batches where batches.id = access_codes.batch_id and batches.state = 'issued'))`;

/** What an attempt with a code needs of the code's person: whether they may redeem, and their names. */
export type CodeHolder = Pick<PeopleTable, 'id' | 'name' | 'username' | 'status' | 'location'>;

/** A code found for an attempt: the code, its person (null if gone) and the failures counted so far. */
export interface CodeForAttempt {
  code: AccessCodesTable;
  holder: CodeHolder | null;
  /** The count of the rate-limit window `failures` names (0 when it has none yet). */
  failures: number;
}

/** The columns a new code is written with (insertAccessCodes); `replaced_by` is set later, by a batch. */
const CODE_COLUMNS = [
  'id',
  'person_id',
  'code_hash',
  'key_id',
  'kind',
  'created_at',
  'expires_at',
  'used_at',
  'deactivated_at',
  'replaced_at',
  'issued_by',
  'batch_id',
  'code_encrypted',
] as const satisfies readonly (keyof AccessCodesTable)[];

/** Every column, for the code's lookup kept prepared (db/prepared.ts, everyColumn). */
const ACCESS_CODE_COLUMNS = everyColumn<AccessCodesTable>()([...CODE_COLUMNS, 'replaced_by']).map(
  (column) => `access_codes.${column}` as const,
);

const findCodeForAttempt = prepared((db: Db, hashes: readonly string[], key: string, windowStart: number) =>
  db
    .selectFrom('access_codes')
    .leftJoin('people', 'people.id', 'access_codes.person_id')
    .select(ACCESS_CODE_COLUMNS)
    .select([
      'people.id as holder_id',
      'people.name as holder_name',
      'people.username as holder_username',
      'people.status as holder_status',
      'people.location as holder_location',
    ])
    .select((eb) =>
      eb
        .selectFrom('rate_limits')
        .select('rate_limits.count')
        .where('rate_limits.key', '=', key)
        .where('rate_limits.window_start', '=', windowStart)
        .as('failures'),
    )
    .where('access_codes.code_hash', 'in', hashes)
    .where(isIssued),
);

/**
 * One read for an attempt with a code: the code by its hash (one candidate per key), its person,
 * and the current count of the address's failure window, so that a usable code costs this one
 * statement and no write (access-codes.service.ts says why reading the count is enough for it).
 */
export async function findAccessCodeForAttempt(
  db: Db,
  hashes: readonly string[],
  failures: { key: string; windowStart: number },
): Promise<CodeForAttempt | null> {
  if (hashes.length === 0) return null;
  const [row] = (await findCodeForAttempt(db, hashes, failures.key, failures.windowStart)).rows;
  if (!row) return null;
  const { holder_id, holder_name, holder_username, holder_status, holder_location, failures: count, ...code } = row;
  const holder =
    holder_id === null || holder_name === null || holder_status === null
      ? null
      : {
          id: holder_id,
          name: holder_name,
          username: holder_username,
          status: holder_status,
          location: holder_location,
        };
  return { code, holder, failures: Number(count ?? 0) };
}

/**
 * The person's open code if there is one (R2: at most one), else their most recent one. Open
 * first, not newest first: instances whose clocks differ slightly could otherwise show an older,
 * replaced code as the latest while a newer one is the code that works.
 */
export async function findLatestAccessCode(db: Db, personId: string): Promise<AccessCodesTable | null> {
  return (
    (await db
      .selectFrom('access_codes')
      .selectAll()
      .where('person_id', '=', personId)
      .orderBy(sql`case when used_at is null and deactivated_at is null and replaced_at is null then 0 else 1 end`)
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(1)
      .executeTakeFirst()) ?? null
  );
}

export async function insertAccessCode(db: Db, row: AccessCodesTable): Promise<void> {
  await db.insertInto('access_codes').values(row).execute();
}

/**
 * Many codes at once (a bulk issue). SQLite: multi-row inserts whose statements stay prepared.
 * PostgreSQL: one statement of a column array each (unnest), whatever the count: a multi-row
 * insert of 2,000 codes binds 26,000 parameters, which PostgreSQL parsed and planned for longer
 * than it took to insert the rows.
 */
export async function insertAccessCodes(db: Db, rows: readonly AccessCodesTable[]): Promise<void> {
  if (rows.length === 0) return;
  if (dialectOf(db) !== 'postgres') {
    await insertRows(db, 'access_codes', CODE_COLUMNS, rows);
    return;
  }
  const column = <K extends (typeof CODE_COLUMNS)[number]>(name: K) => rows.map((row) => row[name] ?? null);
  await sql`insert into access_codes (${sql.join(CODE_COLUMNS.map((name) => sql.ref(name)))})
    select * from unnest(${column('id')}::text[], ${column('person_id')}::text[], ${column('code_hash')}::text[],
      ${column('key_id')}::text[], ${column('kind')}::text[], ${column('created_at')}::bigint[],
      ${column('expires_at')}::bigint[], ${column('used_at')}::bigint[], ${column('deactivated_at')}::bigint[],
      ${column('replaced_at')}::bigint[], ${column('issued_by')}::text[], ${column('batch_id')}::text[],
      ${column('code_encrypted')}::text[])`.execute(db);
}

/**
 * R3: marks every open code of these people replaced; returns how many it replaced. `byBatch`:
 * the batch being issued that replaces them, which can be undone until it is issued.
 */
export async function replaceOpenAccessCodes(
  db: Db,
  personIds: readonly string[],
  now: number,
  byBatch: string | null = null,
): Promise<number> {
  if (personIds.length === 0) return 0;
  const result = await db
    .updateTable('access_codes')
    .set({ replaced_at: now, code_encrypted: null, ...(byBatch ? { replaced_by: byBatch } : {}) })
    .where('person_id', 'in', personIds)
    .where(isOpen)
    .executeTakeFirst();
  return Number(result.numUpdatedRows);
}

/** R6: deactivates the person's open code; returns the number of codes deactivated (0 or 1). */
export async function deactivateOpenAccessCode(db: Db, personId: string, now: number): Promise<number> {
  return (await deactivateOpenAccessCodes(db, [personId], now)).length;
}

/** R6 in bulk: deactivates the open codes of these people; returns the codes it deactivated, for their audit. */
export async function deactivateOpenAccessCodes(
  db: Db,
  personIds: readonly string[],
  now: number,
): Promise<{ id: string; person_id: string }[]> {
  if (personIds.length === 0) return [];
  return db
    .updateTable('access_codes')
    .set({ deactivated_at: now, code_encrypted: null })
    .where('person_id', 'in', personIds)
    .where(isOpen)
    .returning(['id', 'person_id'])
    .execute();
}

/**
 * R5: uses the code if, and only if, it is still unused, open and unexpired at `now`. Of any
 * number of concurrent calls exactly one sees an affected row; the others see 0 and fail.
 */
export async function consumeAccessCode(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('access_codes')
    .set({ used_at: now, code_encrypted: null })
    .where('id', '=', id)
    .where(isOpen)
    .where(isIssued)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/**
 * PostgreSQL: refreshes the planner's statistics on access codes. Right after a bulk issue they
 * still describe a much smaller table, and reading the batch back a page at a time then collected
 * the whole rest of the batch for every page (minutes at 700,000 codes) instead of walking the
 * (batch_id, id) index. SQLite's queries here do not use statistics.
 */
export async function refreshAccessCodeStatistics(db: Db): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await sql`analyze access_codes`.execute(db);
    // A bulk issue moves most people from one code state to another.
    await sql`analyze person_code_states`.execute(db);
  }
}

/**
 * The people's code state (person_code_states): a copy of their latest code's state, so the
 * directory can filter by it. Written here alone (people.store writes a new person's 'none'), in
 * the transaction that changes the code, so it cannot drift from the codes.
 */
export async function setPersonCodeState(
  db: Db,
  personIds: readonly string[],
  state: PersonCodeState,
  expiresAt: number | null,
): Promise<void> {
  if (personIds.length === 0) return;
  const rows = [...new Set(personIds)].map((id) => ({ person_id: id, state, expires_at: expiresAt }));
  await insertRows(db, 'person_code_states', ['person_id', 'state', 'expires_at'], rows, { upsertOn: 'person_id' });
}

/** A failed code attempt's counts: its slot in the address's window, and the minute's failures everywhere. */
export interface CountedCodeFailure {
  /** Failures in the address's window, this one included. */
  inWindow: number;
  windowStart: number;
  /** Failures across all addresses in this minute, this one included. */
  thisMinute: number;
}

/** The attempt a failure is counted for, and the window it is counted in. */
export interface CodeFailureAttempt {
  key: string;
  window: Window;
  address: string;
  now: number;
}

/** The minute's failures across all addresses, and how many of them are audited one by one. */
export interface CodeFailureCount {
  key: string;
  window: Window;
  auditedPerMinute: number;
}

/**
 * Writes that go with a counted failure (its audit entry), run with the same database handle:
 * on SQLite inside the transaction that counted it, so they share its commit.
 */
export type AfterCodeFailure = (db: Db, failure: CountedCodeFailure) => Promise<void>;

/**
 * Counts a failed code attempt, or refuses it (null) when the address's window is full: takes
 * the slot (an upsert that applies only below the limit), counts the minute's failures across all
 * addresses (`global`), and past `auditedPerMinute` of those counts it in the address's audit tally
 * instead of leaving the entry to `after`, which runs for a counted failure only, in the same
 * transaction.
 *
 * The failures that arrive together (in one turn of the event loop) are counted in one
 * transaction, so they share one commit: a commit per failure was most of a failure's cost under a
 * flood (on PostgreSQL each waited for its own WAL flush while holding the address's counter row).
 * Each still takes its own slot with its own conditional statement, in arrival order, so the limit
 * stays exact on any number of instances. On PostgreSQL one failure's three counts are one
 * statement (the hot counter rows are locked for one statement, not three); on SQLite three.
 */
export async function recordCodeFailure(
  db: Db,
  attempt: CodeFailureAttempt,
  global: CodeFailureCount,
  after: AfterCodeFailure = async () => undefined,
): Promise<CountedCodeFailure | null> {
  if (db.isTransaction) return countFailure(db, { attempt, global, after });
  return new Promise((resolve, reject) => {
    let queue = failureQueues.get(db);
    if (!queue) {
      queue = { waiting: [], busy: false };
      failureQueues.set(db, queue);
    }
    queue.waiting.push({ attempt, global, after, resolve, reject });
    if (!queue.busy) {
      queue.busy = true;
      setImmediate(() => void countWaitingFailures(db, queue));
    }
  });
}

interface CodeFailure {
  attempt: CodeFailureAttempt;
  global: CodeFailureCount;
  after: AfterCodeFailure;
}

/** One failure's counts and `after`, in the caller's transaction. */
async function countFailure(db: Db, failure: CodeFailure): Promise<CountedCodeFailure | null> {
  const counted =
    dialectOf(db) === 'postgres'
      ? await countFailureOnPostgres(db, failure.attempt, failure.global)
      : await countFailureOnSqlite(db, failure.attempt, failure.global);
  if (counted) await failure.after(db, counted);
  return counted;
}

/**
 * PostgreSQL: a failure's slot, the minute's count and the tally, in one statement (compiled once,
 * and kept prepared on the server: db/prepared.ts).
 */
const failureCounted = prepared(
  (
    db: Db,
    key: string,
    windowStart: number,
    limit: number,
    globalKey: string,
    minute: number,
    auditedPerMinute: number,
    address: string,
    now: number,
  ) => ({
    compile: () =>
      sql<{ in_window: number; this_minute: number }>`
        with slot as (
          insert into rate_limits (key, window_start, count) values (${key}, ${windowStart}, 1)
          on conflict (key, window_start) do update set count = rate_limits.count + 1
            where rate_limits.count < ${limit}
          returning count
        ), minute as (
          insert into rate_limits (key, window_start, count) select ${globalKey}, ${minute}, 1 from slot
          on conflict (key, window_start) do update set count = rate_limits.count + 1
          returning count
        ), tally as (
          insert into audit_tallies (action, address, window_start, count, first_at, last_at)
          select 'access_code.failed', ${address}, ${windowStart}, 1, ${now}, ${now}
          from minute where minute.count > ${auditedPerMinute}
          on conflict (action, address, window_start)
            do update set count = audit_tallies.count + 1, last_at = excluded.last_at
          returning 1
        )
        -- Every data-modifying part runs whether or not this select reads it.
        select slot.count as in_window, minute.count as this_minute
        from slot join minute on true`.compile(db),
  }),
);

async function countFailureOnPostgres(
  db: Db,
  attempt: CodeFailureAttempt,
  global: CodeFailureCount,
): Promise<CountedCodeFailure | null> {
  const windowStart = windowStartOf(attempt.now, attempt.window.size);
  const minute = windowStartOf(attempt.now, global.window.size);
  const [row] = (
    await failureCounted(
      db,
      attempt.key,
      windowStart,
      attempt.window.limit,
      global.key,
      minute,
      global.auditedPerMinute,
      attempt.address,
      attempt.now,
    )
  ).rows;
  return row ? { inWindow: Number(row.in_window), windowStart, thisMinute: Number(row.this_minute) } : null;
}

/** One failure's statements on SQLite, in the caller's transaction. */
async function countFailureOnSqlite(
  db: Db,
  attempt: CodeFailureAttempt,
  global: CodeFailureCount,
): Promise<CountedCodeFailure | null> {
  const windowStart = windowStartOf(attempt.now, attempt.window.size);
  const slot = await reserveAttempt(db, attempt.key, attempt.window, attempt.now);
  if (!slot.reserved) return null;
  const minute = await recordFailure(db, global.key, global.window, attempt.now);
  if (minute.count > global.auditedPerMinute)
    await recordAuditTally(db, {
      action: 'access_code.failed',
      address: attempt.address,
      windowStart,
      at: attempt.now,
    });
  return { inWindow: slot.reservation.count, windowStart, thisMinute: minute.count };
}

interface WaitingFailure extends CodeFailure {
  resolve: (failure: CountedCodeFailure | null) => void;
  reject: (error: unknown) => void;
}

/** Failures waiting for their shared transaction, and whether one is under way (per database handle). */
interface FailureQueue {
  waiting: WaitingFailure[];
  busy: boolean;
}

const failureQueues = new WeakMap<Db, FailureQueue>();

/**
 * PostgreSQL: the lock every transaction that counts code failures takes first. Each failure
 * updates its address's row and then the minute's row; two instances counting failures of two
 * addresses in opposite orders could otherwise deadlock. The minute's row serialised them anyway.
 */
const lockFailureCounts = prepared((db: Db) => ({
  compile: () => sql`select pg_advisory_xact_lock(hashtextextended('keyslip:code-failures', 0))`.compile(db),
}));

/**
 * Counts the failures waiting in one transaction, each with its own statements in arrival order:
 * under the write lock on SQLite (BEGIN IMMEDIATE, which another process's writes wait for), and
 * under the row locks of its own statements on PostgreSQL. Every caller is answered only after the
 * commit; if the transaction fails, every one of them gets the error (none was counted). One such
 * transaction at a time per handle: what arrives meanwhile waits for the next (group commit).
 */
async function countWaitingFailures(db: Db, queue: FailureQueue): Promise<void> {
  const waiting = queue.waiting;
  queue.waiting = [];
  let counted: (CountedCodeFailure | null)[] = [];
  let failed: { error: unknown } | null = null;
  try {
    counted = await retryOnConflict(() =>
      db.transaction().execute(async (trx) => {
        if (dialectOf(trx) === 'postgres') await lockFailureCounts(trx);
        const results: (CountedCodeFailure | null)[] = [];
        for (const failure of waiting) results.push(await countFailure(trx, failure));
        return results;
      }),
    );
  } catch (error) {
    failed = { error };
  }
  if (queue.waiting.length > 0) setImmediate(() => void countWaitingFailures(db, queue));
  else queue.busy = false;
  for (const [index, failure] of waiting.entries()) {
    if (failed) failure.reject(failed.error);
    else failure.resolve(counted[index] ?? null);
  }
}
