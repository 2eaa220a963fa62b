// Housekeeping of oidc-provider's storage (oidc.adapter.ts), apart from the adapter so that the
// server's housekeeping can run it without loading oidc-provider.
import type { Db } from '../db/database.js';

/** Housekeeping: deletes expired rows (oidc-provider never reads them again). Returns how many. */
export async function sweepExpiredOidcPayloads(db: Db, now: number): Promise<number> {
  const result = await db.deleteFrom('oidc_payloads').where('expires_at', '<=', now).executeTakeFirst();
  return Number(result.numDeletedRows);
}
