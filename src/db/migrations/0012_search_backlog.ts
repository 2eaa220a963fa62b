// Frozen once released, like every migration.
// CSV import at a million people (issue 14): SQLite's two search indexes (people_fts, trigram;
// people_words, word starts) were kept row by row by triggers, which at 1,000-row transactions
// cost about three times what indexing the same rows in bulk does (each commit wrote a small
// FTS5 segment, merged again and again). An import now leaves the people it creates to a
// backlog and indexes them in bulk, in transactions of their own, as it goes and when it ends:
// - people_search_backlog: at most one row; every person whose rowid is at least `from_rowid`
//   is not yet in either index. No row: every person is indexed.
// - The six triggers are the same as before, but only for indexed rows: a person inserted into
//   the backlog's range is left out (the backlog indexes them), and updating or deleting a
//   person not yet indexed touches neither index (there is nothing of theirs to take out; the
//   backlog reads their search text as it is when it gets to them).
// PostgreSQL is unchanged: its trigram index is a GIN index, and its word starts are written
// per statement, set-based, already.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) === 'postgres') return;
  await sql`create table people_search_backlog (
      singleton integer primary key check (singleton = 1),
      from_rowid integer not null
    )`.execute(db);
  const indexed = {
    new: sql`not exists (select 1 from people_search_backlog where from_rowid <= new.rowid)`,
    old: sql`not exists (select 1 from people_search_backlog where from_rowid <= old.rowid)`,
  };
  for (const index of ['people_fts', 'people_words']) {
    const table = sql.id(index);
    const name = (event: string) => sql.id(`${index}_${event}`);
    for (const event of ['insert', 'delete', 'update']) await sql`drop trigger ${name(event)}`.execute(db);
    await sql`create trigger ${name('insert')} after insert on people when ${indexed.new} begin
        insert into ${table}(rowid, search_text) values (new.rowid, new.search_text);
      end`.execute(db);
    await sql`create trigger ${name('delete')} after delete on people when ${indexed.old} begin
        insert into ${table}(${table}, rowid, search_text) values ('delete', old.rowid, old.search_text);
      end`.execute(db);
    await sql`create trigger ${name('update')} after update of search_text on people when ${indexed.old} begin
        insert into ${table}(${table}, rowid, search_text) values ('delete', old.rowid, old.search_text);
        insert into ${table}(rowid, search_text) values (new.rowid, new.search_text);
      end`.execute(db);
  }
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
