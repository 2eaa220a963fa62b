// Frozen once released, like every migration.
// A person's code state (their latest code's: none, active with its expiry, used or deactivated)
// moves from two columns of people into a narrow table of its own, person_code_states, one row per
// person (written with the person). Issuing, using or voiding a code then writes a row of three columns
// instead of a new version of the person: on SQLite a bulk issue rewrote 70 % of the people table
// (220 MB at a million people) into the WAL; on PostgreSQL each update was a new version of the
// person's row in all eleven of its indexes, the trigram one included (more than half of the
// issue's time). The state's index moves with it.
// Safe to run again (a crash after its commit and before the migrator's own record of it): it
// does nothing once people has no code_state column.
// The previous version reads people.code_state, so it cannot run against this schema: stop every
// instance, migrate, then start this version (docs/operations.md, "Upgrades").
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const postgres = dialectOf(db) === 'postgres';
  // PostgreSQL runs each migration in a transaction; SQLite's migrator does not, so it takes one here.
  if (!postgres) await sql`begin immediate`.execute(db);
  try {
    if (!(await peopleHaveCodeState(db, postgres))) {
      if (!postgres) await sql`commit`.execute(db);
      return;
    }
    await db.schema
      .createTable('person_code_states')
      .addColumn('person_id', 'text', (c) => c.primaryKey().references('people.id').onDelete('cascade'))
      .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('none', 'active', 'used', 'deactivated')`))
      .addColumn('expires_at', postgres ? 'bigint' : 'integer')
      // SQLite: the person's id is the row's key, not an index beside a rowid.
      .$call((table) => (postgres ? table : table.modifyEnd(sql`without rowid`)))
      .execute();
    await db.schema
      .createIndex('person_code_states_state')
      .on('person_code_states')
      .columns(['state', 'expires_at', 'person_id'])
      .execute();
    await sql`insert into person_code_states (person_id, state, expires_at)
      select id, code_state, code_expires_at from people`.execute(db);
    await db.schema.dropIndex('people_code_state').execute();
    await db.schema.alterTable('people').dropColumn('code_state').execute();
    await db.schema.alterTable('people').dropColumn('code_expires_at').execute();
    if (!postgres) await sql`commit`.execute(db);
  } catch (error) {
    if (!postgres) await sql`rollback`.execute(db);
    throw error;
  }
}

async function peopleHaveCodeState(db: Kysely<unknown>, postgres: boolean): Promise<boolean> {
  const { rows } = postgres
    ? await sql`select 1 from information_schema.columns
        where table_schema = current_schema() and table_name = 'people' and column_name = 'code_state'`.execute(db)
    : await sql`select 1 from pragma_table_info('people') where name = 'code_state'`.execute(db);
  return rows.length > 0;
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
