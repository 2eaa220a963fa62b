import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { DIALECTS, freshPostgresSchema } from '../../test/helpers/deps.js';
import { openDatabase } from './database.js';
import { MIGRATION_NAMES, migrateOneUp, migrateToLatest } from './migrate.js';

describe.skipIf(!DIALECTS.includes('postgres'))('migrations on PostgreSQL', () => {
  it('four instances migrating one fresh schema at once all succeed, and the schema is created once', async () => {
    const fresh = await freshPostgresSchema();
    const handles = Array.from({ length: 4 }, () => openDatabase(fresh.url, { poolSize: 2 }));
    try {
      const results = await Promise.allSettled(handles.map((handle) => migrateToLatest(handle.db)));
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      const applied = results.map((r) => (r.status === 'fulfilled' ? r.value : []));
      // Exactly one instance ran the migration; the others waited on the lock and found it done.
      const all = [...MIGRATION_NAMES];
      expect(applied.filter((names) => names.length > 0)).toEqual([all]);

      const db = handles[0]!.db;
      const migrations = await sql<{ name: string }>`select name from kysely_migration`.execute(db);
      expect(migrations.rows.map((r) => r.name)).toEqual([
        '0001_initial',
        '0002_batch_codes_index',
        '0003_api_tokens',
        '0004_oidc',
        '0005_areas',
        '0006_scim',
        '0007_api_idempotency',
        '0008_retention_search',
        '0009_frontline',
        '0010_admin_code_requests',
        '0011_bulk_codes',
        '0012_search_backlog',
        '0013_people_search_walk',
        '0014_person_code_states',
      ]);
      const tables = await sql<{ table_name: string }>`
        select table_name from information_schema.tables where table_schema = current_schema()
        order by table_name`.execute(db);
      expect(tables.rows.map((r) => r.table_name)).toEqual([
        'access_codes',
        'admin_code_requests',
        'api_idempotency',
        'api_tokens',
        'area_managers',
        'area_members',
        'areas',
        'audit_events',
        'audit_tallies',
        'batch_code_chunks',
        'batches',
        'code_requests',
        'erased_people',
        'kysely_migration',
        'kysely_migration_lock',
        'leases',
        'oidc_clients',
        'oidc_keys',
        'oidc_logout_outbox',
        'oidc_payloads',
        'people',
        'people_word_prefixes',
        'person_code_states',
        'rate_limits',
        'scim_groups',
        'scim_users',
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
        '0005_areas',
        '0006_scim',
        '0007_api_idempotency',
        '0008_retention_search',
        '0009_frontline',
        '0010_admin_code_requests',
        '0011_bulk_codes',
        '0012_search_backlog',
        '0013_people_search_walk',
        '0014_person_code_states',
      ]);
      expect(await migrateToLatest(b.db)).toEqual([
        '0001_initial',
        '0002_batch_codes_index',
        '0003_api_tokens',
        '0004_oidc',
        '0005_areas',
        '0006_scim',
        '0007_api_idempotency',
        '0008_retention_search',
        '0009_frontline',
        '0010_admin_code_requests',
        '0011_bulk_codes',
        '0012_search_backlog',
        '0013_people_search_walk',
        '0014_person_code_states',
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

describe('0005_areas on SQLite', () => {
  it('rebuilds people for the manager role keeping every row, its search index, indexes and references', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keyslip-0005-'));
    const handle = openDatabase(`sqlite://${path.join(dir, 'keyslip.db')}`);
    try {
      const db = handle.db;
      for (let step = 0; step < 4; step += 1) await migrateOneUp(db);
      const person = (id: string, name: string) => ({
        id,
        name,
        username: `u${id}`,
        search_text: name.toLowerCase(),
        role: 'member' as const,
        status: 'unclaimed' as const,
        code_state: 'none' as const,
        failed_sign_ins: 0,
        created_at: 1,
        updated_at: 1,
      });
      await db
        .insertInto('people')
        .values([person('p1', 'Anna Lind'), person('p2', 'Timo Laine')])
        .execute();
      await sql`insert into access_codes (id, person_id, code_hash, key_id, kind, created_at, expires_at)
        values ('c1', 'p2', 'h', 'k', 'claim', 1, 2)`.execute(db);

      expect(await migrateOneUp(db)).toBe('0005_areas');

      const found = await sql<{ id: string }>`
        select p.id from people_fts f join people p on p.rowid = f.rowid where people_fts match 'lain'`.execute(db);
      expect(found.rows).toEqual([{ id: 'p2' }]);
      await db.updateTable('people').set({ role: 'manager' }).where('id', '=', 'p1').execute();
      await expect(
        db
          .updateTable('people')
          .set({ role: 'owner' as never })
          .execute(),
      ).rejects.toThrow(/CHECK/);
      await expect(
        db
          .insertInto('people')
          .values({ ...person('p3', 'Again'), username: 'up1' })
          .execute(),
      ).rejects.toThrow(/UNIQUE/);
      const indexes = await sql<{ name: string }>`
        select name from sqlite_master where tbl_name = 'people' and type in ('index', 'trigger') and sql is not null
        order by name`.execute(db);
      expect(indexes.rows.map((r) => r.name)).toEqual([
        'people_department',
        'people_email_unique',
        'people_employee_id_unique',
        'people_fts_delete',
        'people_fts_insert',
        'people_fts_update',
        'people_location',
        'people_name_id',
        'people_username_unique',
      ]);
      const broken = await sql`pragma foreign_key_check`.execute(db);
      expect(broken.rows).toEqual([]);
      const codeTable = await sql<{ sql: string }>`select sql from sqlite_master where name = 'access_codes'`.execute(
        db,
      );
      expect(codeTable.rows[0]!.sql).toMatch(/references "people"/i);
    } finally {
      await handle.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(DIALECTS)('0014_person_code_states (%s)', (dialect) => {
  it("moves each person's code state into a row of person_code_states, and drops the columns", async () => {
    const fresh = dialect === 'postgres' ? await freshPostgresSchema() : null;
    const handle = openDatabase(fresh?.url ?? 'sqlite::memory:', { poolSize: 2 });
    try {
      const db = handle.db;
      const before = MIGRATION_NAMES.indexOf('0014_person_code_states');
      for (let step = 0; step < before; step += 1) await migrateOneUp(db);
      const person = (id: string, state: string, expiresAt: number | null) =>
        sql`insert into people (id, name, username, search_text, role, status, code_state, code_expires_at,
          failed_sign_ins, created_at, updated_at)
          values (${id}, ${`Person ${id}`}, ${`u${id}`}, ${`person ${id}`}, 'member', 'unclaimed', ${state},
          ${expiresAt}, 0, 1, 1)`.execute(db);
      await person('p1', 'none', null);
      await person('p2', 'active', 5_000);
      await person('p3', 'used', null);
      await person('p4', 'deactivated', null);

      expect(await migrateOneUp(db)).toBe('0014_person_code_states');

      const rows = await db.selectFrom('person_code_states').selectAll().orderBy('person_id').execute();
      expect(rows.map((r) => ({ ...r, expires_at: r.expires_at === null ? null : Number(r.expires_at) }))).toEqual([
        { person_id: 'p1', state: 'none', expires_at: null },
        { person_id: 'p2', state: 'active', expires_at: 5_000 },
        { person_id: 'p3', state: 'used', expires_at: null },
        { person_id: 'p4', state: 'deactivated', expires_at: null },
      ]);
      const columns =
        dialect === 'postgres'
          ? await sql<{ name: string }>`select column_name as name from information_schema.columns
              where table_schema = current_schema() and table_name = 'people'`.execute(db)
          : await sql<{ name: string }>`select name from pragma_table_info('people')`.execute(db);
      expect(columns.rows.map((r) => r.name)).not.toContain('code_state');
      expect(columns.rows.map((r) => r.name)).not.toContain('code_expires_at');
      const indexes =
        dialect === 'postgres'
          ? await sql<{
              name: string;
            }>`select indexname as name from pg_indexes where schemaname = current_schema()`.execute(db)
          : await sql<{ name: string }>`select name from sqlite_master where type = 'index'`.execute(db);
      expect(indexes.rows.map((r) => r.name)).toContain('person_code_states_state');
      expect(indexes.rows.map((r) => r.name)).not.toContain('people_code_state');
      // One row per person, in a known state; a person's row goes with them.
      await expect(
        sql`update person_code_states set state = 'lost' where person_id = 'p1'`.execute(db),
      ).rejects.toThrow();
      await sql`delete from people where id = 'p4'`.execute(db);
      expect(await db.selectFrom('person_code_states').select('person_id').execute()).toHaveLength(3);
      // Run again (a crash after its commit, before the migrator's record): nothing changes.
      const { up } = await import('./migrations/0014_person_code_states.js');
      await up(db as never);
      expect(await db.selectFrom('person_code_states').select('person_id').execute()).toHaveLength(3);
    } finally {
      await handle.close();
      await fresh?.drop();
    }
  });
});
