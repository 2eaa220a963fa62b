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
//   (it needs free disk space the size of the file and about a minute per GB).
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

/** Characters that end a word in PostgreSQL's split: everything ASCII but letters and digits. */
const PG_WORD_SEPARATORS = '[^0-9A-Za-z\\u0080-\\U0010ffff]+';

export async function up(db: Kysely<unknown>): Promise<void> {
  const big = dialectOf(db) === 'postgres' ? 'bigint' : 'integer';

  await db.schema
    .createTable('leases')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_at', sql.raw(big), (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('audit_tallies')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('address', 'text', (c) => c.notNull())
    .addColumn('window_start', sql.raw(big), (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .addColumn('first_at', sql.raw(big), (c) => c.notNull())
    .addColumn('last_at', sql.raw(big), (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_tallies_pk', ['action', 'address', 'window_start'])
    .execute();
  await db.schema.createIndex('audit_tallies_window').on('audit_tallies').column('window_start').execute();

  await db.schema.createIndex('audit_events_at').on('audit_events').column('at').execute();
  await db.schema.createIndex('sessions_expires').on('sessions').column('expires_at').execute();
  await db.schema.createIndex('access_codes_expires').on('access_codes').column('expires_at').execute();
  await db.schema.createIndex('rate_limits_window').on('rate_limits').column('window_start').execute();
  await db.schema.createIndex('batches_download_until').on('batches').column('download_until').execute();
  await db.schema.createIndex('oidc_logout_outbox_created').on('oidc_logout_outbox').column('created_at').execute();

  if (dialectOf(db) === 'postgres') {
    await db.schema.createIndex('people_status').on('people').columns(['status', 'id']).execute();
    await db.schema.createIndex('people_code_state').on('people').columns(['code_state', 'id']).execute();
    await createPostgresWordPrefixes(db);
    return;
  }

  await db.schema.createIndex('people_status').on('people').column('status').execute();
  await db.schema.createIndex('people_code_state').on('people').column('code_state').execute();
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

  const { rows } = await sql<{ auto_vacuum: number }>`pragma auto_vacuum`.execute(db);
  if (Number(rows[0]?.auto_vacuum) !== 2) {
    await sql`pragma auto_vacuum = incremental`.execute(db);
    // In-memory databases (tests) and new files take the mode at once; VACUUM is quick there.
    await sql`vacuum`.execute(db);
  }
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
