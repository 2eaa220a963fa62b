// Test wiring: real databases (SQLite in memory, or a fresh PostgreSQL schema), an injected
// clock, a silent log. DIALECTS=sqlite (default) or DIALECTS=sqlite,postgres.
import pg from 'pg';
import { loadConfig, type Env } from '../../src/config.js';
import { openDatabase, type DatabaseHandle } from '../../src/db/database.js';
import type { Dialect } from '../../src/db/dialect.js';
import { migrateToLatest } from '../../src/db/migrate.js';
import type { Deps, Log } from '../../src/deps.js';
import { manualClock, type ManualClock } from '../../src/lib/clock.js';
import { createKeyring } from '../../src/lib/keyring.js';
import { randomToken } from '../../src/lib/random.js';

export const DIALECTS: Dialect[] = (process.env.DIALECTS ?? 'sqlite')
  .split(',')
  .map((d) => d.trim())
  .filter((d): d is Dialect => d === 'sqlite' || d === 'postgres');

export const POSTGRES_URL = process.env.KEYSLIP_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_SECRET = 'test-secret-test-secret-test-secret-0001';

export const silentLog: Log = { info() {}, warn() {}, error() {} };

export interface TestContext {
  deps: Deps;
  clock: ManualClock;
  handle: DatabaseHandle;
  /** A database URL other processes can open to share this test's data. */
  url: string;
  close(): Promise<void>;
}

/** A PostgreSQL URL whose search_path is a fresh schema of its own (public stays for pg_trgm). */
export async function freshPostgresSchema(): Promise<{ url: string; drop(): Promise<void> }> {
  const schema = `t_${randomToken(6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x')}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  // Test files start at once: two racing "create extension if not exists" can still clash.
  await admin.query('create extension if not exists pg_trgm schema public').catch(async (error: unknown) => {
    const { rowCount } = await admin.query(`select 1 from pg_extension where extname = 'pg_trgm'`);
    if (!rowCount) throw error;
  });
  await admin.end();
  const options = encodeURIComponent(`-c search_path=${schema},public`);
  const url = `${POSTGRES_URL}${POSTGRES_URL.includes('?') ? '&' : '?'}options=${options}`;
  return {
    url,
    drop: async () => {
      const client = new pg.Client({ connectionString: POSTGRES_URL });
      await client.connect();
      await client.query(`drop schema if exists ${schema} cascade`);
      await client.end();
    },
  };
}

export async function createTestContext(
  dialect: Dialect = 'sqlite',
  options: { env?: Env; sqliteFile?: string } = {},
): Promise<TestContext> {
  const config = loadConfig({
    KEYSLIP_SECRET: TEST_SECRET,
    KEYSLIP_DATA_DIR: '/tmp/keyslip-test-data',
    // The brute-force tests count to the limit of 20 they were written for; the default (200)
    // is tested where it matters, by passing an empty value.
    KEYSLIP_RATE_CODE_FAILURES: '20',
    ...options.env,
  });
  let url: string;
  let drop = async (): Promise<void> => undefined;
  if (dialect === 'postgres') {
    const fresh = await freshPostgresSchema();
    url = fresh.url;
    drop = fresh.drop;
  } else {
    url = `sqlite:${options.sqliteFile ?? ':memory:'}`;
  }
  const handle = openDatabase(url, { poolSize: 20 });
  await migrateToLatest(handle.db);
  const clock = manualClock(Date.UTC(2026, 0, 1, 9, 0, 0));
  const deps: Deps = { config, db: handle.db, clock, keyring: createKeyring(config.secrets), log: silentLog };
  return {
    deps,
    clock,
    handle,
    url,
    close: async () => {
      await handle.close();
      await drop();
    },
  };
}
