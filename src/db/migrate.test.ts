import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DIALECTS, freshPostgresSchema } from '../../test/helpers/deps.js';
import { openDatabase } from './database.js';
import { migrateToLatest } from './migrate.js';

describe.skipIf(!DIALECTS.includes('postgres'))('migrations on PostgreSQL', () => {
  it('four instances migrating one fresh schema at once all succeed, and the schema is created once', async () => {
    const fresh = await freshPostgresSchema();
    const handles = Array.from({ length: 4 }, () => openDatabase(fresh.url, { poolSize: 2 }));
    try {
      const results = await Promise.allSettled(handles.map((handle) => migrateToLatest(handle.db)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      const applied = results.map((r) => (r.status === 'fulfilled' ? r.value : []));
      // Exactly one instance ran the migration; the others waited on the lock and found it done.
      const all = ['0001_initial', '0002_batch_codes_index', '0003_api_tokens', '0004_oidc'];
      expect(applied.filter((names) => names.length > 0)).toEqual([all]);

      const db = handles[0]!.db;
      const migrations = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
      expect(migrations.rows.map((r) => r.name)).toEqual([
        '0001_initial',
        '0002_batch_codes_index',
        '0003_api_tokens',
        '0004_oidc',
      ]);
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = current_schema()
        order by table_name`.execute(db);
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'access_codes',
        'api_tokens',
        'audit_events',
        'batches',
        'kysely_migration',
        'kysely_migration_lock',
        'oidc_clients',
        'oidc_keys',
        'oidc_logout_outbox',
        'oidc_payloads',
        'people',
        'rate_limits',
        'sessions',
      ]);
      // Running again (a restart, a rolling upgrade) changes nothing.
      expect(await migrateToLatest(handles[1]!.db)).toEqual([]);
    } finally {
      await Promise.all(handles.map((handle) => handle.close()));
      await fresh.drop();
    }
  });

  it('a schema of its own is migrated even when another schema of the database already has Keyslip', async () => {
    const first = await freshPostgresSchema();
    const second = await freshPostgresSchema();
    const a = openDatabase(first.url, { poolSize: 2 });
    const b = openDatabase(second.url, { poolSize: 2 });
    try {
      expect(await migrateToLatest(a.db)).toEqual([
        '0001_initial',
        '0002_batch_codes_index',
        '0003_api_tokens',
        '0004_oidc',
      ]);
      expect(await migrateToLatest(b.db)).toEqual([
        '0001_initial',
        '0002_batch_codes_index',
        '0003_api_tokens',
        '0004_oidc',
      ]);
      const people = await sql<{ n: number }>`select count(*)::int as n from people`.execute(b.db);
      expect(people.rows[0]!.n).toBe(0);
    } finally {
      await a.close();
      await b.close();
      await first.drop();
      await second.drop();
    }
  });
});
