// Reactivating a person (a rehire): the same record comes back, with its id, employee id, history
// and audit trail. Someone who never claimed their account is unclaimed again; someone who had
// claimed it is active again with their username kept but without their old password, so neither
// the old password nor an old session works: an admin issues a code (a recovery code) to come back.
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { retryOnConflict } from '../db/database.js';
import { AppError } from '../errors.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { toPerson, type Person } from '../people/person.js';
import { assertNotErased } from '../people/people.service.js';
import { lockPerson, markPersonReactivated } from '../people/people.store.js';

/** Deactivated → unclaimed (never claimed) or active without a password; anyone else is left as is. */
export async function reactivatePersonIn(trx: Db, id: string, actor: Actor, now: number): Promise<Person> {
  const current = await lockPerson(trx, id);
  if (!current) throw new AppError('not_found', { message: 'No person with that id.' });
  await assertNotErased(trx, id);
  if (current.status !== 'deactivated') return toPerson(current, now);
  const status = current.claimed_at === null ? ('unclaimed' as const) : ('active' as const);
  await markPersonReactivated(trx, id, { status, now });
  await recordAuditEvent(trx, { action: 'person.reactivated', actor, personId: id, details: { status }, at: now });
  return toPerson({ ...current, status, deactivated_at: null, updated_at: now }, now);
}

export async function reactivatePerson(deps: Deps, id: string, actor: Actor): Promise<Person> {
  const now = deps.clock.now();
  return retryOnConflict(() => deps.db.transaction().execute((trx) => reactivatePersonIn(trx, id, actor, now)));
}
