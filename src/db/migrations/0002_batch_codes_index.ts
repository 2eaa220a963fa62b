// Frozen once released, like every migration.
// A batch's codes are read back in id order, a thousand at a time (readBatchCodes). With an index
// on batch_id alone, each of those pages collected and sorted the whole batch: at a million
// people, 700 pages of 700,000 rows. An index on (batch_id, id) serves each page as one range
// scan, and replaces the old index (one fewer to maintain for every code a bulk issue writes).
import type { Kysely } from 'kysely';

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.createIndex('access_codes_batch_id').on('access_codes').columns(['batch_id', 'id']).execute();
  await db.schema.dropIndex('access_codes_batch').execute();
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
