// Ending sessions as a use case, with its audit entry. The core takes the caller's transaction,
// so a larger use case (deactivating a person, and later OpenID Connect back-channel logout or
// SCIM) can end sessions inside its own.
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { endPersonSessions } from './sessions.store.js';

/** Ends every session of a person and audits it, in the caller's transaction; returns how many ended. */
export async function endSessionsOfIn(trx: Db, personId: string, actor: Actor, now: number): Promise<number> {
  const ended = await endPersonSessions(trx, personId);
  await recordAuditEvent(trx, { action: 'sessions.ended', actor, personId, details: { count: ended }, at: now });
  return ended;
}

/** An admin ends every session of a person: one transaction. */
export async function endSessionsOf(deps: Deps, personId: string, actor: Actor): Promise<number> {
  const now = deps.clock.now();
  return deps.db.transaction().execute((trx) => endSessionsOfIn(trx, personId, actor, now));
}
