// Frozen: once released, a migration is never edited; changes go into a new file.
// One migration serves both databases; the few dialect differences (search indexes) are explicit.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const big = dialectOf(db) === 'postgres' ? 'bigint' : 'integer';
  // Names, departments and locations sort by code point on both databases: SQLite's BINARY
  // order, and on PostgreSQL the "C" collation rather than the server's locale, so pages of the
  // directory (keyset-paged on name, id) come in the same order everywhere.
  const sortedText = dialectOf(db) === 'postgres' ? sql`text collate "C"` : sql`text`;

  await db.schema
    .createTable('people')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', sortedText, (c) => c.notNull())
    .addColumn('username', 'text')
    .addColumn('email', 'text')
    .addColumn('employee_id', 'text')
    .addColumn('department', sortedText)
    .addColumn('location', sortedText)
    .addColumn('title', 'text')
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('member').check(sql`role in ('member', 'admin')`))
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('unclaimed').check(sql`status in ('unclaimed', 'active', 'deactivated')`),
    )
    .addColumn('password_hash', 'text')
    .addColumn('search_text', 'text', (c) => c.notNull())
    .addColumn('code_state', 'text', (c) =>
      c.notNull().defaultTo('none').check(sql`code_state in ('none', 'active', 'used', 'deactivated')`),
    )
    .addColumn('code_expires_at', big)
    .addColumn('failed_sign_ins', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_failed_sign_in_at', big)
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('claimed_at', big)
    .addColumn('last_sign_in_at', big)
    .addColumn('deactivated_at', big)
    .execute();
  await db.schema.createIndex('people_username_unique').on('people').column('username').unique().execute();
  await db.schema.createIndex('people_email_unique').on('people').column('email').unique().execute();
  await db.schema.createIndex('people_employee_id_unique').on('people').column('employee_id').unique().execute();
  await db.schema.createIndex('people_name_id').on('people').columns(['name', 'id']).execute();
  await db.schema.createIndex('people_department').on('people').columns(['department']).execute();
  await db.schema.createIndex('people_location').on('people').columns(['location']).execute();

  await db.schema
    .createTable('access_codes')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('people.id'))
    .addColumn('code_hash', 'text', (c) => c.notNull())
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('claim', 'recovery')`))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .addColumn('used_at', big)
    .addColumn('deactivated_at', big)
    .addColumn('replaced_at', big)
    .addColumn('issued_by', 'text')
    .addColumn('batch_id', 'text')
    .addColumn('code_encrypted', 'text')
    .execute();
  await db.schema.createIndex('access_codes_hash_unique').on('access_codes').column('code_hash').unique().execute();
  // R2: at most one open (unused, not deactivated, not replaced) code per person, enforced by the
  // database itself so it holds under concurrency and across instances.
  await db.schema
    .createIndex('access_codes_one_open_per_person')
    .on('access_codes')
    .column('person_id')
    .unique()
    .where(sql.ref('used_at'), 'is', null)
    .where(sql.ref('deactivated_at'), 'is', null)
    .where(sql.ref('replaced_at'), 'is', null)
    .execute();
  await db.schema.createIndex('access_codes_person').on('access_codes').columns(['person_id', 'created_at']).execute();
  await db.schema.createIndex('access_codes_batch').on('access_codes').columns(['batch_id']).execute();

  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('people.id'))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('last_seen_at', big, (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .addColumn('user_agent', 'text')
    .addColumn('ip', 'text')
    .execute();
  await db.schema.createIndex('sessions_person').on('sessions').column('person_id').execute();

  await db.schema
    .createTable('api_tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('last_used_at', big)
    .addColumn('revoked_at', big)
    .execute();

  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('at', big, (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text')
    .addColumn('actor_label', 'text', (c) => c.notNull())
    .addColumn('person_id', 'text')
    .addColumn('details', 'text', (c) => c.notNull().defaultTo('{}'))
    .addColumn('ip', 'text')
    .execute();
  await db.schema.createIndex('audit_events_person').on('audit_events').columns(['person_id', 'id']).execute();
  await db.schema.createIndex('audit_events_actor').on('audit_events').columns(['actor_id', 'id']).execute();
  await db.schema.createIndex('audit_events_action').on('audit_events').columns(['action', 'id']).execute();

  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('window_start', big, (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('rate_limits_pk', ['key', 'window_start'])
    .execute();

  await db.schema
    .createTable('batches')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('created_by', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('filter', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('idempotency_key', 'text')
    .addColumn('request_hash', 'text')
    .addColumn('download_until', big, (c) => c.notNull())
    .addColumn('erased_at', big)
    .execute();
  await db.schema
    .createIndex('batches_idempotency_unique')
    .on('batches')
    .columns(['created_by', 'idempotency_key'])
    .unique()
    .execute();

  // Fragment search ("ann" finds "Johanna"): trigram indexes on both databases.
  if (dialectOf(db) === 'postgres') {
    await sql`create extension if not exists pg_trgm`.execute(db);
    await sql`create index people_search_trgm on people using gin (search_text gin_trgm_ops)`.execute(db);
  } else {
    // One line of SQL, exactly as released (the migration is frozen), split here only to fit 120 columns.
    const fts = "create virtual table people_fts using fts5(search_text, content='people', ";
    await sql.raw(`${fts}content_rowid='rowid', tokenize='trigram')`).execute(db);
    await sql`create trigger people_fts_insert after insert on people begin
      insert into people_fts(rowid, search_text) values (new.rowid, new.search_text);
    end`.execute(db);
    await sql`create trigger people_fts_delete after delete on people begin
      insert into people_fts(people_fts, rowid, search_text) values ('delete', old.rowid, old.search_text);
    end`.execute(db);
    await sql`create trigger people_fts_update after update of search_text on people begin
      insert into people_fts(people_fts, rowid, search_text) values ('delete', old.rowid, old.search_text);
      insert into people_fts(rowid, search_text) values (new.rowid, new.search_text);
    end`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
