// Reactivating a person (a rehire, or SCIM's `active: true` after `active: false`): the account
// can sign in and redeem again, `active` if it was ever claimed, else `unclaimed`. Nothing else
// comes back: the code deactivated with the account stays deactivated (an admin issues a new
// one) and ended sessions stay ended. The caller owns the transaction.
import type { Db } from '../db/database.js';
import { AppError } from '../errors.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { toPerson, type Person } from '../people/person.js';
import { lockPerson, markPersonReactivated } from '../people/people.store.js';

export async function reactivatePersonIn(trx: Db, id: string, actor: Actor, now: number): Promise<Person> {
  const current = await lockPerson(trx, id);
  if (!current) throw new AppError('not_found', { message: 'No person with that id.' });
  if (current.status !== 'deactivated') return toPerson(current, now);
  const status = current.claimed_at === null ? 'unclaimed' : 'active';
  await markPersonReactivated(trx, id, { status, now });
  await recordAuditEvent(trx, { action: 'person.reactivated', actor, personId: id, details: { status }, at: now });
  return toPerson({ ...current, status, deactivated_at: null, updated_at: now }, now);
}
