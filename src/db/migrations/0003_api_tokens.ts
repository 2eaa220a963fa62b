// Frozen once released, like every migration.
// API tokens get an owner and an expiry (issue 9, item 5). The owner is the label of who made
// the token: an admin's username (their id stays in created_by) or 'cli'. Tokens made before this
// migration were all made by `keyslip token create`, so they become 'cli' tokens, and they expire
// 90 days after the migration runs: they keep working through an upgrade, but no token lives for
// ever. A token with no expiry (NULL) never authenticates.
import { sql, type Kysely } from 'kysely';
import { dialectOf } from '../dialect.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export async function up(db: Kysely<unknown>): Promise<void> {
  const big = dialectOf(db) === 'postgres' ? 'bigint' : 'integer';
  await db.schema
    .alterTable('api_tokens')
    .addColumn('owner_label', 'text', (c) => c.notNull().defaultTo('cli'))
    .execute();
  await db.schema.alterTable('api_tokens').addColumn('expires_at', big).execute();
  // A migration has no injected clock: the wall clock of the instance that migrates is the start.
  const expiresAt = Date.now() + 90 * DAY_MS;
  await sql`update api_tokens set expires_at = ${expiresAt} where expires_at is null`.execute(db);
}

export async function down(): Promise<void> {
  throw new Error('Keyslip migrations are forward-only; restore a backup to go back.');
}
