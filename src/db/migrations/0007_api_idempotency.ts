// Frozen once released, like every migration.
// The API's Idempotency-Key on single creates and issues (issue 15): api_idempotency keeps each
// key's request hash and its first answer, sealed with the server key, for a while. erased_people
// lists the people whose personal data was erased on request, so the record is never used again.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const big = sql.raw(dialectOf(db) === 'postgres' ? 'bigint' : 'integer');
  await db.schema
    .createTable('api_idempotency')
    .addColumn('owner', 'text', (c) => c.notNull())
    .addColumn('idempotency_key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('status', 'integer', (c) => c.notNull())
    .addColumn('answer', 'text')
    .addColumn('person_id', 'text')
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('answer_until', big, (c) => c.notNull())
    .addColumn('expires_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('api_idempotency_pk', ['owner', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('api_idempotency_expires').on('api_idempotency').column('expires_at').execute();
  await db.schema.createIndex('api_idempotency_person').on('api_idempotency').column('person_id').execute();

  await db.schema
    .createTable('erased_people')
    .addColumn('person_id', 'text', (c) => c.primaryKey())
    .addColumn('erased_at', big, (c) => c.notNull())
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
