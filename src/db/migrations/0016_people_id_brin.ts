// Frozen once released, like every migration.
// PostgreSQL: a BRIN index of people's ids (people_id_brin): for each run of 16 table pages, the
// lowest and highest id on them. People are added in id order (ids sort by creation time), so
// the runs hold narrow ranges of ids, and a search newest first that reads the trigram index among
// the people of a range of ids (containsNewestFirst) reads the table pages of that range only,
// instead of one page for every match of the fragment however old. A few hundred kB at a million
// people; VACUUM summarises the pages added since the last one (until then they are read too).
// SQLite needs nothing: its trigram index gives rowid order.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  await sql`create index people_id_brin on people using brin (id) with (pages_per_range = 16)`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
