// Ending sessions as a use case, with its audit entry. The core takes the caller's transaction,
// so a larger use case (deactivating a person, SCIM later) can end sessions inside its own.
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { endEverythingOf } from './end-everything.js';

/**
 * Ends every session of a person — Keyslip's and every app's (SPEC §8: grants and tokens revoked,
 * back-channel logouts queued) — and audits it, in the caller's transaction; returns how many
 * Keyslip sessions ended.
 */
export async function endSessionsOfIn(trx: Db, personId: string, actor: Actor, now: number): Promise<number> {
  const ended = (await endEverythingOf(trx, personId, now)).sessions;
  await recordAuditEvent(trx, { action: 'sessions.ended', actor, personId, details: { count: ended }, at: now });
  return ended;
}

/** An admin ends every session of a person: one transaction. */
export async function endSessionsOf(deps: Deps, personId: string, actor: Actor): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction().execute((trx) => endSessionsOfIn(trx, personId, actor, now));
}
