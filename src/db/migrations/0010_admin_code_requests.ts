// Frozen once released, like every migration.
// The two-person rule for codes that open admin accounts (SPEC §9): one admin asks, another
// approves within 24 hours, then the one who asked gets the code once. No code is stored here,
// not even encrypted: the code is made when the requester collects it (see
// access-codes/admin-code-requests.ts). At most one request per admin account is open (pending
// or approved) at a time: a partial unique index, so it holds across instances.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const big = dialectOf(db) === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .createTable('admin_code_requests')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('person_id', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('requested_by', 'text', (c) => c.notNull().references('people.id').onDelete('cascade'))
    .addColumn('requested_at', sql.raw(big), (c) => c.notNull())
    .addColumn('expires_at', sql.raw(big), (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status in ('pending', 'approved', 'declined', 'expired', 'issued')`),
    )
    .addColumn('decided_by', 'text', (c) => c.references('people.id').onDelete('set null'))
    .addColumn('decided_at', sql.raw(big))
    .addColumn('issued_at', sql.raw(big))
    .addColumn('lifetime_hours', 'integer')
    .addCheckConstraint('admin_code_requests_two_people', sql`decided_by is null or decided_by <> requested_by`)
    .execute();
  await db.schema
    .createIndex('admin_code_requests_open')
    .on('admin_code_requests')
    .column('person_id')
    .unique()
    .where(sql<boolean>`status in ('pending', 'approved')`)
    .execute();
  await db.schema
    .createIndex('admin_code_requests_status')
    .on('admin_code_requests')
    .columns(['status', 'expires_at'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
