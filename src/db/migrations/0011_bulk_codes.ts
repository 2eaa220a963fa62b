// Frozen once released, like every migration.
// A bulk issue at a million people (issue 14): its per-person record is the code rows themselves
// (each names person, batch, issuer and time) plus one audit entry per batch, and its codes are
// sealed a chunk at a time instead of one AES-GCM message per code.
// - batches.actor_label: who issued the batch, as the audit log names them. Set on batches whose
//   codes are their per-person record; null on batches that wrote one audit entry per code
//   (those made before this migration, and managers' batches, which name an area per person).
// - batch_code_chunks: the batch's codes, sealed with the server key in chunks of up to 1,000
//   (code ids and codes, the batch id as associated data), erased with the download window.
// - batches.state, batches.issuing_until and access_codes.replaced_by: an admin's batch is written
//   a chunk per transaction (other requests no longer wait for all of it); its codes work only
//   once the batch is 'issued', and the codes it replaced name it, so an unfinished batch (an
//   error, a crash) can be undone. Batches made before this migration are 'issued'.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const big = dialectOf(db) === 'postgres' ? 'bigint' : 'integer';
  await db.schema.alterTable('batches').addColumn('actor_label', 'text').execute();
  await db.schema
    .alterTable('batches')
    .addColumn('state', 'text', (c) => c.notNull().defaultTo('issued').check(sql`state in ('issuing', 'issued')`))
    .execute();
  await db.schema.alterTable('batches').addColumn('issuing_until', sql.raw(big)).execute();
  await db.schema.alterTable('access_codes').addColumn('replaced_by', 'text').execute();
  await db.schema
    .createTable('batch_code_chunks')
    .addColumn('batch_id', 'text', (c) => c.notNull().references('batches.id').onDelete('cascade'))
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('first_code_id', 'text', (c) => c.notNull())
    .addColumn('last_code_id', 'text', (c) => c.notNull())
    .addColumn('sealed', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('batch_code_chunks_pk', ['batch_id', 'seq'])
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
