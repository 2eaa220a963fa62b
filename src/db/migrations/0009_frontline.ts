// Frozen once released, like every migration.
// Requests for a new access code (SPEC §4, "Ask for a new code"): a worker who cannot sign in
// asks, and the managers of their areas (or the admins) see the request on People. One row per
// person (asking again only moves requested_at and counts); a request is open until a code is
// issued after it (read from access_codes, so issuing needs no extra write), and is removed
// with the person.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const big = dialectOf(db) === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('code_requests')
    .addColumn('person_id', 'text', (c) => c.primaryKey().references('people.id').onDelete('cascade'))
    .addColumn('requested_at', sql.raw(big), (c) => c.notNull())
    .addColumn('first_requested_at', sql.raw(big), (c) => c.notNull())
    .addColumn('times', 'integer', (c) => c.notNull().defaultTo(1))
    .execute();
  await db.schema.createIndex('code_requests_requested').on('code_requests').columns(['requested_at']).execute();
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
