import { DEFAULT_MIGRATION_TABLE, Migrator, sql, type Migration, type MigrationProvider } from 'kysely';
import type { Db } from './database.js';
import { dialectOf } from './dialect.js';

// Migrations are listed here, not discovered on disk, so the built and the source tree agree. Each
// is loaded when the migrator asks for them: a server starting on a database that is up to date
// (upToDate) loads none of them.
const MIGRATIONS: Record<string, () => Promise<Migration>> = {
  '0001_initial': () => import('./migrations/0001_initial.js'),
  '0002_batch_codes_index': () => import('./migrations/0002_batch_codes_index.js'),
  '0003_api_tokens': () => import('./migrations/0003_api_tokens.js'),
  '0004_oidc': () => import('./migrations/0004_oidc.js'),
  '0005_areas': () => import('./migrations/0005_areas.js'),
  '0006_scim': () => import('./migrations/0006_scim.js'),
  '0007_api_idempotency': () => import('./migrations/0007_api_idempotency.js'),
  '0008_retention_search': () => import('./migrations/0008_retention_search.js'),
  '0009_frontline': () => import('./migrations/0009_frontline.js'),
  '0010_admin_code_requests': () => import('./migrations/0010_admin_code_requests.js'),
  '0011_bulk_codes': () => import('./migrations/0011_bulk_codes.js'),
  '0012_search_backlog': () => import('./migrations/0012_search_backlog.js'),
  '0013_people_search_walk': () => import('./migrations/0013_people_search_walk.js'),
  '0014_person_code_states': () => import('./migrations/0014_person_code_states.js'),
};

/** Every migration's name, in the order they run. */
export const MIGRATION_NAMES: readonly string[] = Object.keys(MIGRATIONS);

const provider: MigrationProvider = {
  getMigrations: async () =>
    Object.fromEntries(await Promise.all(Object.entries(MIGRATIONS).map(async ([name, load]) => [name, await load()]))),
};

/** How long an instance starting on a SQLite file waits for another one that is migrating it. */
const SQLITE_MIGRATION_WAIT_MS = 120_000;

/**
 * Brings the schema up to date. On PostgreSQL, Kysely's migrator takes an advisory lock, so
 * several instances may run this at once: one migrates, the others wait and then find nothing
 * left to do. SQLite has no such lock across processes: two instances starting on one file may
 * both try a step. The loser's step fails (a table already there) or finds the work done and
 * then loses the bookkeeping row; either way it tries again after a pause, until nothing is
 * pending or the time is up, so the step is never applied twice and both instances start.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  if (await upToDate(db)) return [];
  const started = Date.now();
  const applied: string[] = [];
  let first: unknown = null;
  for (let attempt = 1; ; attempt += 1) {
    const migrator = new Migrator({ db, provider, ...(await migrationTableSchemaOf(db)) });
    const { error, results } = await migrator.migrateToLatest();
    applied.push(...(results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName));
    if (!error) return applied;
    first ??= error;
    // Only what another process migrating the same file explains is waited out; any other error
    // (and the first one seen, not a later echo of it) is thrown at once.
    const racing = dialectOf(db) === 'sqlite' && signOfAnotherMigrator(error);
    if (!racing || Date.now() - started > SQLITE_MIGRATION_WAIT_MS) throw first;
    if ((await pendingMigrations(db)).length === 0) return applied;
    await new Promise((resolve) => setTimeout(resolve, Math.min(2_000, 100 * attempt)));
  }
}

/**
 * Whether every migration has run, and no other: the start of a server on a database that is up to
 * date, in one read of the migrator's bookkeeping table (two on PostgreSQL). Kysely's migrator would
 * find the same and do nothing, after a lock and, on SQLite, a look at the columns of every table:
 * 20 to 50 ms of each start. Anything else (no table yet, a migration not run, or one this version
 * does not know) is the migrator's to handle, with its lock and its checks.
 */
async function upToDate(db: Db): Promise<boolean> {
  try {
    const { migrationTableSchema } = await migrationTableSchemaOf(db);
    const table = migrationTableSchema
      ? sql.id(migrationTableSchema, DEFAULT_MIGRATION_TABLE)
      : sql.id(DEFAULT_MIGRATION_TABLE);
    const { rows } = await sql<{ name: string }>`select name from ${table} order by name`.execute(db);
    return rows.length === MIGRATION_NAMES.length && rows.every((row, i) => row.name === MIGRATION_NAMES[i]);
  } catch {
    return false;
  }
}

function signOfAnotherMigrator(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  const code = typeof error === 'object' && error !== null ? String((error as { code?: unknown }).code ?? '') : '';
  return (
    code.startsWith('SQLITE_BUSY') ||
    /already exists|duplicate column|UNIQUE constraint failed: kysely_migration|database is locked/i.test(message)
  );
}

/** The migrations not yet applied, in order (reads only: `keyslip doctor` and `keyslip migrate`'s progress). */
export async function pendingMigrations(db: Db): Promise<string[]> {
  const migrator = new Migrator({ db, provider, ...(await migrationTableSchemaOf(db)) });
  return (await migrator.getMigrations()).filter((m) => m.executedAt === undefined).map((m) => m.name);
}

/** One migration step (under the same lock as migrateToLatest); null when none was left. */
export async function migrateOneUp(db: Db): Promise<string | null> {
  const migrator = new Migrator({ db, provider, ...(await migrationTableSchemaOf(db)) });
  const { error, results } = await migrator.migrateUp();
  if (error) throw error;
  return (results ?? []).find((r) => r.status === 'Success')?.migrationName ?? null;
}

/**
 * On PostgreSQL the migrator's bookkeeping tables are pinned to the schema Keyslip works in
 * (the first of search_path). Unpinned, Kysely looks for them in every schema of the database
 * and, finding another schema's copy, skips creating its own and then fails.
 */
async function migrationTableSchemaOf(db: Db): Promise<{ migrationTableSchema?: string }> {
  if (dialectOf(db) !== 'postgres') return {};
  const { rows } = await sql<{ schema: string | null }>`select current_schema() as schema`.execute(db);
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('PostgreSQL has no current schema: check search_path in KEYSLIP_DATABASE_URL.');
  return { migrationTableSchema: schema };
}
