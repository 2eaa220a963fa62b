// Admin API tokens: `ks_` + 256 random bits, shown once; the database keeps only the SHA-256.
import type { Db } from '../db/database.js';
import type { ApiTokensTable } from '../db/schema.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { newId } from '../lib/id.js';
import { randomToken, sha256 } from '../lib/random.js';

export async function createApiToken(db: Db, options: { name: string; actor: Actor; now: number }): Promise<{ id: string; token: string }> {
  const token = `ks_${randomToken(32)}`;
  const id = newId(options.now);
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('api_tokens')
      .values({ id, name: options.name, token_hash: sha256(token), created_by: options.actor.id, created_at: options.now, last_used_at: null, revoked_at: null })
      .execute();
    await recordAuditEvent(trx, { action: 'api_token.created', actor: options.actor, details: { tokenId: id, name: options.name }, at: options.now });
  });
  return { id, token };
}

export async function resolveApiToken(db: Db, token: string, now: number): Promise<ApiTokensTable | null> {
  if (!token.startsWith('ks_') || token.length > 100) return null;
  const row = await db.selectFrom('api_tokens').selectAll().where('token_hash', '=', sha256(token)).where('revoked_at', 'is', null).executeTakeFirst();
  if (!row) return null;
  if (row.last_used_at === null || now - row.last_used_at > 60_000) {
    await db.updateTable('api_tokens').set({ last_used_at: now }).where('id', '=', row.id).execute();
  }
  return row;
}
