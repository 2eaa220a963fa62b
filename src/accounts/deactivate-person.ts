// Deactivating a person is an account use case: it touches the person, their sessions and their
// access code, and writes one audit entry. The caller owns the transaction (deactivatePersonIn);
// deactivatePerson is the wrapper the routes and pages call.
import type { Deps } from '../deps.js';
import type { Db } from '../db/database.js';
import { retryOnConflict } from '../db/database.js';
import { AppError } from '../errors.js';
import { recordAuditEvent, type Actor } from '../audit/audit.js';
import { toPerson, type Person } from '../people/person.js';
import { assertAnotherAdminRemains, lockActiveAdmins } from '../people/people.service.js';
import { lockPerson, markPersonDeactivated } from '../people/people.store.js';
import { endEverythingOf } from '../sessions/end-everything.js';
import { deactivateOpenAccessCode, setPersonCodeState } from '../access-codes/access-codes.store.js';

/** Deactivate person → end sessions → deactivate code → audit entry, in the caller's transaction. */
export async function deactivatePersonIn(trx: Db, id: string, actor: Actor, now: number): Promise<Person> {
  // The admins before the person: the lock order of every path that may take an admin away.
  await lockActiveAdmins(trx);
  const current = await lockPerson(trx, id);
  if (!current) throw new AppError('not_found', { message: 'No person with that id.' });
  if (current.status === 'deactivated') return toPerson(current, now);
  if (current.role === 'admin') await assertAnotherAdminRemains(trx, id);
  const codes = await deactivateOpenAccessCode(trx, id, now);
  // Ends the apps' access too and queues their back-channel logouts (SPEC §8).
  const sessions = (await endEverythingOf(trx, id, now)).sessions;
  await markPersonDeactivated(trx, id, now);
  if (codes > 0) await setPersonCodeState(trx, [id], 'deactivated', null);
  const details = { codesDeactivated: codes, sessionsEnded: sessions };
  await recordAuditEvent(trx, { action: 'person.deactivated', actor, personId: id, details, at: now });
  const codeState = codes > 0 ? { code_state: 'deactivated' as const, code_expires_at: null } : {};
  return toPerson({ ...current, status: 'deactivated', deactivated_at: now, updated_at: now, ...codeState }, now);
}

/** One transaction, retried when PostgreSQL reports a serialisation conflict. */
export async function deactivatePerson(deps: Deps, id: string, actor: Actor): Promise<Person> {
  const now = deps.clock.now();
  return retryOnConflict(() => deps.db.transaction().execute((trx) => deactivatePersonIn(trx, id, actor, now)));
}
