// Frozen once released, like every migration.
// Search at every keystroke and a database that does not grow forever (issue 17):
// - Word starts: a search of one or two letters finds the people with a word (of the name,
//   username, email or employee id) starting with them. A word is a run of characters other than
//   ASCII punctuation and spaces (every non-ASCII character counts as a letter), exactly as
//   `wordsOf` in src/people/person.ts splits it.
//   SQLite: an FTS5 index over search_text with the `ascii` tokenizer (which splits at exactly
//   those characters) and prefix indexes of one and two characters, kept by triggers like the
//   trigram index. PostgreSQL: a table of (prefix, person_id), one row per distinct one- and
//   two-character word start of a person, kept by triggers from the same split.
// - Status and code state get indexes, so a search with a filter that few people match is
//   answered from the filter's side.
// - leases: which instance runs a background job (the retention sweep) until when.
// - audit_tallies: failed attempts counted per address and window once the audited ones reach
//   their limit, instead of one audit entry each.
// - Indexes the sweep deletes by (audit entries' time, sessions' expiry, closed codes, the
//   logout notices sent).
// - SQLite: auto_vacuum=INCREMENTAL, so pages freed by the sweep go back to the file system
//   (`pragma incremental_vacuum` after each sweep). The mode takes effect on an existing file
//   only through VACUUM, which rewrites it: done here, once, before the server serves requests
//   (it needs free disk space the size of the file and about a minute per GB). On SQLite the
//   schema changes are one transaction and each is "if not exists": if the VACUUM cannot run
//   (another process holds the database), the migration fails and running it again is safe.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

/** Characters that end a word in PostgreSQL's split: everything ASCII but letters and digits. */
const PG_WORD_SEPARATORS = '[^0-9A-Za-z\\u0080-\\U0010ffff]+';

export async function up(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) === 'postgres') {
    await createSharedTables(db, 'bigint');
    await db.schema.createIndex('people_status').on('people').columns(['status', 'id']).execute();
    await db.schema.createIndex('people_code_state').on('people').columns(['code_state', 'id']).execute();
    await createPostgresWordPrefixes(db);
    return;
  }

  await sql`begin immediate`.execute(db);
  try {
    await createSharedTables(db, 'integer');
    await db.schema.createIndex('people_status').ifNotExists().on('people').column('status').execute();
    await db.schema.createIndex('people_code_state').ifNotExists().on('people').column('code_state').execute();
    const { rows: existing } = await sql`select 1 from sqlite_master where name = 'people_words'`.execute(db);
    if (existing.length === 0) {
      await sql`create virtual table people_words using fts5(search_text, content='people', content_rowid='rowid',
        tokenize='ascii', prefix='1 2', detail='none', columnsize=0)`.execute(db);
      await sql`create trigger people_words_insert after insert on people begin
          insert into people_words(rowid, search_text) values (new.rowid, new.search_text);
        end`.execute(db);
      await sql`create trigger people_words_delete after delete on people begin
          insert into people_words(people_words, rowid, search_text) values ('delete', old.rowid, old.search_text);
        end`.execute(db);
      await sql`create trigger people_words_update after update of search_text on people begin
          insert into people_words(people_words, rowid, search_text) values ('delete', old.rowid, old.search_text);
          insert into people_words(rowid, search_text) values (new.rowid, new.search_text);
        end`.execute(db);
      await sql`insert into people_words(people_words) values ('rebuild')`.execute(db);
    }
    await sql`commit`.execute(db);
  } catch (error) {
    await sql`rollback`.execute(db);
    throw error;
  }

  const { rows } = await sql<{ auto_vacuum: number }>`pragma auto_vacuum`.execute(db);
  if (Number(rows[0]?.auto_vacuum) !== 2) {
    await sql`pragma auto_vacuum = incremental`.execute(db);
    // Outside any transaction, as VACUUM must be. Quick on a new or small file.
    await sql`vacuum`.execute(db);
  }
}

async function createSharedTables(db: Kysely<unknown>, big: 'bigint' | 'integer'): Promise<void> {
  await db.schema
    .createTable('leases')
    .ifNotExists()
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_tallies')
    .ifNotExists()
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('window_start', big, (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('first_at', big, (c) => c.notNull())
    .addColumn('last_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_tallies_pk', ['action', 'address', 'window_start'])
    .execute();
  const indexes: [string, string, string][] = [
    ['audit_tallies_window', 'audit_tallies', 'window_start'],
    ['audit_events_at', 'audit_events', 'at'],
    ['sessions_expires', 'sessions', 'expires_at'],
    ['access_codes_expires', 'access_codes', 'expires_at'],
    ['rate_limits_window', 'rate_limits', 'window_start'],
    ['batches_download_until', 'batches', 'download_until'],
    ['oidc_logout_outbox_created', 'oidc_logout_outbox', 'created_at'],
  ];
  for (const [name, table, column] of indexes)
    await db.schema.createIndex(name).ifNotExists().on(table).column(column).execute();
}

async function createPostgresWordPrefixes(db: Kysely<unknown>): Promise<void> {
  // The distinct one- and two-character starts of the words of a search text.
  await sql`create function keyslip_word_prefixes(text) returns setof text language sql immutable strict as $$
      select distinct left(word, n)
      from regexp_split_to_table($1, ${sql.lit(PG_WORD_SEPARATORS)}) as word, (values (1), (2)) as lengths(n)
      where word <> '' and length(word) >= n
    $$`.execute(db);
  await sql`create table people_word_prefixes (
      prefix text collate "C" not null,
      person_id text not null references people(id) on delete cascade,
      primary key (prefix, person_id)
    )`.execute(db);
  await sql`create index people_word_prefixes_person on people_word_prefixes (person_id)`.execute(db);
  // New people: one statement-level trigger per insert statement (an import inserts 200 at a time).
  await sql`create function keyslip_people_words_inserted() returns trigger language plpgsql as $$
      begin
        insert into people_word_prefixes (prefix, person_id)
          select p, inserted.id from inserted cross join lateral keyslip_word_prefixes(inserted.search_text) as p;
        return null;
      end
    $$`.execute(db);
  await sql`create trigger people_words_insert after insert on people
      referencing new table as inserted for each statement execute function keyslip_people_words_inserted()`.execute(
    db,
  );
  // A changed search text (name, username, email or employee id): that person's rows again.
  await sql`create function keyslip_people_words_updated() returns trigger language plpgsql as $$
      begin
        delete from people_word_prefixes where person_id = old.id;
        insert into people_word_prefixes (prefix, person_id)
          select p, new.id from keyslip_word_prefixes(new.search_text) as p;
        return null;
      end
    $$`.execute(db);
  await sql`create trigger people_words_update after update of search_text on people for each row
      when (old.search_text is distinct from new.search_text) execute function keyslip_people_words_updated()`.execute(
    db,
  );
  await sql`insert into people_word_prefixes (prefix, person_id)
      select p, people.id from people cross join lateral keyslip_word_prefixes(people.search_text) as p`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
