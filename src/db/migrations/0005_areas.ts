// Frozen once released, like every migration.
// Areas and managers (SPEC §9):
// - areas: named groups of people (a store, a ward, a depot), flat. name_key is the name folded
//   (NFKC, lower case, trimmed) so "Store 12" and "store 12" are one area.
// - area_members / area_managers: many-to-many, removed with their area.
// - people.role may now be 'manager'. SQLite cannot change a CHECK constraint in place, so the
//   people table is rebuilt there with every row keeping its rowid (the search index refers to
//   rows by rowid), and its indexes and triggers are made again exactly as they were.
// - audit_events.area_id: the area an entry concerns, so a manager reads their areas' log and an
//   admin filters by area through an index.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const big = dialectOf(db) === 'postgres' ? 'bigint' : 'integer';
  const sortedText = dialectOf(db) === 'postgres' ? sql`text collate "C"` : sql`text`;

  if (dialectOf(db) === 'postgres') {
    await sql`alter table people drop constraint if exists people_role_check`.execute(db);
    await sql`alter table people add constraint people_role_check
      check (role in ('member', 'manager', 'admin'))`.execute(db);
    await createAreaTables(db, big, sortedText);
    return;
  }

  // SQLite: one transaction for the rebuild and the new tables, with foreign keys off while the
  // old table is dropped and the new one takes its name (the documented way to change a table;
  // the pragma only takes effect outside a transaction), and every reference checked before commit.
  await sql`pragma foreign_keys = off`.execute(db);
  try {
    await sql`begin immediate`.execute(db);
    try {
      // Another process starting on the same file may have done this step while we waited for the
      // write lock (SQLite has no migration lock across processes; see migrateToLatest).
      if (await sqliteHasTable(db, 'areas')) {
        await sql`commit`.execute(db);
        return;
      }
      await rebuildSqlitePeopleWithManagerRole(db);
      await createAreaTables(db, big, sortedText);
      const { rows: broken } = await sql`pragma foreign_key_check`.execute(db);
      if (broken.length > 0) throw new Error('0005_areas: the rebuilt people table broke a reference.');
      await sql`commit`.execute(db);
    } catch (error) {
      await sql`rollback`.execute(db);
      throw error;
    }
  } finally {
    await sql`pragma foreign_keys = on`.execute(db);
  }
}

async function createAreaTables(db: Kysely<unknown>, big: string, sortedText: ReturnType<typeof sql>): Promise<void> {
  await db.schema
    .createTable('areas')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', sortedText, (c) => c.notNull())
    .addColumn('name_key', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', sql.raw(big), (c) => c.notNull())
    .addColumn('updated_at', sql.raw(big), (c) => c.notNull())
    .execute();
  await db.schema.createIndex('areas_name_id').on('areas').columns(['name', 'id']).execute();

  for (const table of ['area_members', 'area_managers'] as const) {
    await db.schema
      .createTable(table)
      .addColumn('area_id', 'text', (c) => c.notNull().references('areas.id').onDelete('cascade'))
      .addColumn('person_id', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
      .addColumn('added_at', sql.raw(big), (c) => c.notNull())
      .addPrimaryKeyConstraint(`${table}_pk`, ['area_id', 'person_id'])
      .execute();
    await db.schema.createIndex(`${table}_person`).on(table).columns(['person_id', 'area_id']).execute();
  }

  await db.schema.alterTable('audit_events').addColumn('area_id', 'text').execute();
  await db.schema.createIndex('audit_events_area').on('audit_events').columns(['area_id', 'id']).execute();
}

async function sqliteHasTable(db: Kysely<unknown>, name: string): Promise<boolean> {
  const { rows } = await sql`select 1 from sqlite_master where type = 'table' and name = ${name}`.execute(db);
  return rows.length > 0;
}

async function rebuildSqlitePeopleWithManagerRole(db: Kysely<unknown>): Promise<void> {
  const { rows: tables } = await sql<{ sql: string }>`
    select sql from sqlite_master where type = 'table' and name = 'people'`.execute(db);
  const createPeople = tables[0]?.sql;
  const oldCheck = "role in ('member', 'admin')";
  if (!createPeople?.includes(oldCheck)) throw new Error('0005_areas: the people table is not as 0001 made it.');
  const createNext = createPeople
    .replace(oldCheck, "role in ('member', 'manager', 'admin')")
    .replace(/^create table "?people"?/i, 'create table "people_next"');

  // Indexes and triggers on people, as their SQL stands, to be made again after the swap.
  const { rows: dependents } = await sql<{ sql: string }>`
    select sql from sqlite_master
    where tbl_name = 'people' and type in ('index', 'trigger') and sql is not null
    order by type, name`.execute(db);
  const { rows: columns } = await sql<{ name: string }>`select name from pragma_table_info('people')`.execute(db);
  const list = columns.map((c) => `"${c.name}"`).join(', ');

  await sql.raw(createNext).execute(db);
  await sql.raw(`insert into "people_next" (rowid, ${list}) select rowid, ${list} from "people"`).execute(db);
  await sql`drop table people`.execute(db);
  await sql`alter table people_next rename to people`.execute(db);
  for (const dependent of dependents) await sql.raw(dependent.sql).execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
