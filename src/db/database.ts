import fs from 'node:fs';
import path from 'node:path';
import { Sqlite, type SqliteConnection, type SqliteStatement } from './sqlite-driver.js';
import { createRequire } from 'node:module';
import type pg from 'pg';
import {
  CompiledQuery,
  Kysely,
  PostgresDialect,
  type PostgresPool,
  type PostgresPoolClient,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type SqliteDatabase,
  type TransactionSettings,
} from 'kysely';
import type { Database } from './schema.js';
import { dialectOf, type Dialect } from './dialect.js';
import { serverStatementNameOf } from './prepared.js';

export type { Database } from './schema.js';
export type Db = Kysely<Database>;

export interface DatabaseHandle {
  readonly db: Db;
  readonly dialect: Dialect;
  /** The raw SQLite connection (for online backup); null on PostgreSQL. */
  readonly sqlite: SqliteConnection | null;
  close(): Promise<void>;
}

let postgresDriver: typeof pg | undefined;

/**
 * The PostgreSQL driver, loaded when a PostgreSQL database is first opened: a server on SQLite
 * never needs it, and loading it costs a tenth of a second of every start.
 */
function postgres(): typeof pg {
  if (postgresDriver) return postgresDriver;
  postgresDriver = createRequire(import.meta.url)('pg') as typeof pg;
  // BIGINT (int8) comes back from pg as a string by default; our times fit safely in a double.
  postgresDriver.types.setTypeParser(postgresDriver.types.builtins.INT8, (value) => Number(value));
  return postgresDriver;
}

/** How long, in all, a write waits for another process's write lock before Keyslip answers 503. */
export const SQLITE_BUSY_RETRY_MS = 20_000;

function isSqliteBusy(error: unknown): boolean {
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/**
 * Runs a statement, and runs it again while SQLite says another process holds the write lock.
 * busy_timeout already waits up to 5 s inside each attempt; this covers the longer holds (a bulk
 * issue of 100,000 codes in another process). Only a statement outside a transaction (which
 * includes BEGIN itself) is retried: it changed nothing, so running it again is safe. Inside a
 * transaction BEGIN IMMEDIATE already holds the lock, so SQLITE_BUSY cannot happen there.
 */
async function retryWhileBusy<T>(sqlite: SqliteConnection, run: () => Promise<T>): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (!isSqliteBusy(error) || sqlite.inTransaction || Date.now() - started >= SQLITE_BUSY_RETRY_MS) throw error;
      const pause = Math.min(1_000, 20 * 2 ** attempt) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }
}

/** Runs a step of opening the file again (after a short sleep) while another process holds it. */
function whileOpeningBusy<T>(run: () => T): T {
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return run();
    } catch (error) {
      if (!isSqliteBusy(error) || Date.now() - started >= SQLITE_BUSY_RETRY_MS) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.min(200, 10 * attempt));
    }
  }
}

/**
 * SQLite transactions start with BEGIN IMMEDIATE: the write lock is taken up front, so two
 * processes (server and CLI) never deadlock upgrading a read lock; they wait on busy_timeout,
 * and then retry (retryWhileBusy) rather than failing the request.
 */
class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: SqliteConnection) {
    super({ database: withStatementCache(sqlite) });
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    const sqlite = this.sqlite;
    const acquire = driver.acquireConnection.bind(driver);
    driver.acquireConnection = async (): Promise<DatabaseConnection> => {
      const connection = await acquire();
      return {
        executeQuery: <R>(query: CompiledQuery): Promise<QueryResult<R>> =>
          retryWhileBusy(sqlite, () => connection.executeQuery<R>(query)),
        streamQuery: <R>(query: CompiledQuery, chunkSize?: number): AsyncIterableIterator<QueryResult<R>> =>
          connection.streamQuery<R>(query, chunkSize),
      };
    };
    driver.beginTransaction = async (connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    return driver;
  }
}

/** Prepared statements kept, by SQL text; a short query costs less to run than to prepare. */
const STATEMENT_CACHE_SIZE = 250;
/** Longer SQL (multi-row inserts, long IN lists) is prepared each time and not kept. */
const CACHEABLE_SQL_LENGTH = 4_000;

/**
 * Kysely's SQLite driver prepares every statement anew; this keeps the recently used ones (one
 * connection runs one statement at a time, and a statement still iterating is never handed out).
 */
function withStatementCache(sqlite: SqliteConnection): SqliteDatabase {
  const cache = new Map<string, SqliteStatement>();
  return {
    close: () => sqlite.close(),
    prepare: (text: string) => {
      if (text.length > CACHEABLE_SQL_LENGTH) return sqlite.prepare(text);
      const cached = cache.get(text);
      if (cached && !cached.busy) {
        cache.delete(text);
        cache.set(text, cached);
        return cached;
      }
      const statement = sqlite.prepare(text);
      if (!cached) {
        cache.set(text, statement);
        if (cache.size > STATEMENT_CACHE_SIZE) cache.delete(cache.keys().next().value!);
      }
      return statement;
    },
  };
}

export interface OpenDatabaseOptions {
  poolSize?: number;
  /** Leave an existing SQLite file's mode as it is (`keyslip doctor` reports it rather than fixing it). */
  keepFileMode?: boolean;
}

/** Opens SQLite (`sqlite:/path/file.db` or `sqlite::memory:`) or PostgreSQL (`postgres://…`). */
export function openDatabase(url: string, options: OpenDatabaseOptions = {}): DatabaseHandle {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) {
    const pool = new (postgres().Pool)({
      connectionString: url,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    // A dropped connection must never crash the process. Idle ones are reported on the pool and
    // replaced. One lost while checked out (between two queries of a transaction, when the server
    // restarts) is reported on the client itself: with no listener there, Node would throw. Its
    // next query fails instead (a 503), and the pool discards it on release.
    pool.on('error', () => undefined);
    pool.on('connect', (client) => {
      client.on('error', () => undefined);
    });
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: withHotStatementsNamed(pool) }) });
    return { db, dialect: 'postgres', sqlite: null, close: () => db.destroy() };
  }

  const file = url.replace(/^sqlite:/, '');
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const sqlite = new Sqlite(file);
  // The directory is as sensitive as a password file; SQLite gives -wal and -shm the same mode.
  if (file !== ':memory:' && !options.keepFileMode) fs.chmodSync(file, 0o600);
  // Two processes opening a new file at once both switch it to WAL, which needs the file to
  // themselves; SQLite refuses the second at once (no busy timeout applies), so it asks again.
  whileOpeningBusy(() => sqlite.pragma('journal_mode = WAL'));
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  sqlite.pragma('foreign_keys = ON');
  // 16 MB of page cache (SQLite's default is 2 MB): at a million people the hot pages of the search
  // index and the people table stay in memory (search p95 1.5 → 1.1 ms; 32 MB did no better).
  sqlite.pragma('cache_size = -16384');
  const db = new Kysely<Database>({ dialect: new ImmediateSqliteDialect(sqlite) });
  return { db, dialect: 'sqlite', sqlite, close: () => db.destroy() };
}

/**
 * The pool as Kysely sees it, sending the statements prepared.ts compiled once as named statements
 * (serverStatementNameOf): PostgreSQL parses and plans each once per connection instead of on every
 * run, which for the code check's lookup and a failure's counts cost about as much as running them.
 * Everything else, cursors included, goes through as it is.
 */
function withHotStatementsNamed(pool: pg.Pool): PostgresPool {
  return {
    connect: async (): Promise<PostgresPoolClient> => {
      const client = await pool.connect();
      const query = (text: unknown, parameters?: readonly unknown[]): unknown => {
        if (typeof text !== 'string') return client.query(text as pg.Submittable);
        const values = parameters ? [...parameters] : [];
        const name = serverStatementNameOf(text);
        return name ? client.query({ name, text, values }) : client.query(text, values);
      };
      return { query: query as PostgresPoolClient['query'], release: (destroy) => client.release(destroy) };
    },
    end: () => pool.end(),
  };
}

/**
 * Runs a few writes so that, on SQLite, they share one transaction and so one commit (each commit
 * appends its pages to the WAL: three commits cost about three times one), while on PostgreSQL
 * each statement commits on its own, so no row lock is held across round trips (a hot counter row
 * locked for a whole transaction would queue every other request that counts on it). For writes
 * that are each atomic and correct on their own; on PostgreSQL a crash between them may keep the
 * first and lose the later ones, as it would without this.
 */
export async function writeTogether<T>(db: Db, work: (db: Db) => Promise<T>): Promise<T> {
  if (db.isTransaction || dialectOf(db) === 'postgres') return work(db);
  return db.transaction().execute(work);
}

/** Unique-constraint violations, on either database, name the column that clashed. */
export function uniqueViolationColumn(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const { code, message, constraint } = error as { code?: string; message?: string; constraint?: string };
  if (code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') {
    const match = /UNIQUE constraint failed: \w+\.(\w+)/.exec(message ?? '');
    return match?.[1] ?? 'unknown';
  }
  if (code === '23505') {
    const name = constraint ?? '';
    if (name.includes('name_key')) return 'name_key'; // areas (before 'email': no area constraint has it)
    for (const column of ['username', 'email', 'employee_id', 'code_hash', 'idempotency_key', 'person_id']) {
      if (name.includes(column)) return column;
    }
    if (name.includes('one_open_per_person')) return 'person_id';
    return 'unknown';
  }
  return null;
}

// Messages of node-postgres errors that mean a connection broke or could not be had.
const PG_UNAVAILABLE_MESSAGE = new RegExp(
  [
    'Connection terminated',
    'timeout exceeded when trying to connect',
    'Client has encountered a connection error',
    'not queryable',
  ].join('|'),
  'i',
);

// Network errors (the server is down, restarting, unreachable or its name does not resolve), and
// PostgreSQL's SQLSTATEs for the same: 57P01–03 (shut down by an admin, crashed, starting up or
// shutting down), class 08 (connection exceptions) and 53300 (max_connections reached).
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '57P01',
  '57P02',
  '57P03',
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '53300',
]);

/** True when the error means the database cannot be reached (or is busy), not that the query is wrong. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code, message } = error as { code?: string; message?: string };
  if (isSqliteBusy(error)) return true;
  if (code && UNAVAILABLE_CODES.has(code)) return true;
  return PG_UNAVAILABLE_MESSAGE.test(message ?? '');
}

/** PostgreSQL gave up one transaction to break a deadlock (40P01) or a serialization conflict (40001). */
export function isTransactionConflict(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code } = error as { code?: string };
  return code === '40P01' || code === '40001';
}

/**
 * Runs a whole transaction again when PostgreSQL aborted it for a deadlock or serialization
 * conflict: it changed nothing, and the conflicting transaction has gone on, so a new attempt
 * sees its result (a 409, say) instead of the client seeing a 500. Lock order prevents the known
 * cycles; this is the net under any cycle a future path adds.
 */
export async function retryOnConflict<T>(run: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await run();
    } catch (error) {
      if (!isTransactionConflict(error) || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 5 * attempt * (0.5 + Math.random())));
    }
  }
}

/**
 * True when PostgreSQL refused a value it cannot hold as text (a NUL character, code 22021).
 * SQLite stores or compares such input without complaint, so it is the caller's mistake, not ours.
 */
export function isUnstorableText(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { code } = error as { code?: string };
  return code === '22021' || code === '22P05';
}
