// Frozen once released, like every migration.
// SCIM 2.0 provisioning (SPEC §10):
// - api_tokens.kind: 'admin' (every token made before) or 'scim'. A SCIM token authenticates only
//   under /scim/v2 and an admin token never does: the two kinds never stand in for each other.
// - scim_users: what a provisioning client keeps about a person that the directory has no column
//   for: its externalId (unique when present), the name parts it sent, and deleted_at, set by a
//   SCIM DELETE, which deactivates the person and hides them from SCIM (the row and its audit
//   history stay). Removed with its person.
// - scim_groups: a group's externalId; groups are areas (§9). Removed with its area.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

export async function up(db: Kysely<unknown>): Promise<void> {
  const big = dialectOf(db) === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .alterTable('api_tokens')
    .addColumn('kind', 'text', (c) => c.notNull().defaultTo('admin').check(sql`kind in ('admin', 'scim')`))
    .execute();

  await db.schema
    .createTable('scim_users')
    .addColumn('person_id', 'text', (c) => c.primaryKey().references('people.id').onDelete('cascade'))
    .addColumn('external_id', 'text')
    .addColumn('given_name', 'text')
    .addColumn('family_name', 'text')
    .addColumn('deleted_at', sql.raw(big))
    .addColumn('updated_at', sql.raw(big), (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('scim_users_external_id_unique')
    .on('scim_users')
    .column('external_id')
    .unique()
    .execute();

  await db.schema
    .createTable('scim_groups')
    .addColumn('area_id', 'text', (c) => c.primaryKey().references('areas.id').onDelete('cascade'))
    .addColumn('external_id', 'text')
    .execute();
  await db.schema
    .createIndex('scim_groups_external_id_unique')
    .on('scim_groups')
    .column('external_id')
    .unique()
    .execute();
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
