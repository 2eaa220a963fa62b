// A signed-in person changes their password (SPEC §4): the current one, then a new one under the
// same policy as everywhere (length, blocklist, not the username). Everything the old password
// opened ends (every session, the apps' too, as after a recovery); this browser gets a fresh
// session. Wrong current passwords are limited per account, so a session left open on a shared
// tablet is no way to guess the owner's password.
import type { Deps } from '../deps.js';
import { AppError } from '../errors.js';
import { recordAuditEvent } from '../audit/audit.js';
import { MINUTE } from '../lib/clock.js';
import { countRateLimited } from '../lib/metrics.js';
import { findPersonById, lockPerson, setPassword } from '../people/people.store.js';
import { describeProblem } from '../problems.js';
import { refuseOverLimit, releaseAttempt, reserveAttempt } from '../rate-limits/rate-limits.js';
import { endEverythingOf } from '../sessions/end-everything.js';
import { createSession, type NewSession, type SessionMeta } from '../sessions/session.js';
import { checkPassword, HashQueueFullError, hashPassword, passwordFieldProblem, verifyPassword } from './password.js';

/** Wrong current passwords one account may give per window before it must wait. */
export const PASSWORD_CHANGE_FAILURES = 5;
const WINDOW = 15 * MINUTE;

export async function changePassword(
  deps: Deps,
  input: { personId: string; current: string; next: string; client: SessionMeta },
): Promise<{ session: NewSession }> {
  const now = deps.clock.now();
  const person = await findPersonById(deps.db, input.personId);
  if (!person || person.status === 'deactivated') throw new AppError('unauthenticated');
  const problem = checkPassword(input.next, { username: person.username });
  if (problem) {
    const field = passwordFieldProblem(problem);
    throw new AppError('weak_password', { message: describeProblem('en', field), fields: [field] });
  }
  const key = `password-change:${person.id}`;
  const window = { size: WINDOW, limit: PASSWORD_CHANGE_FAILURES };
  const slot = await reserveAttempt(deps.db, key, window, now);
  if (!slot.reserved) {
    throw await refuseOverLimit(deps.db, {
      key,
      window,
      now,
      kind: 'password_change',
      action: 'sign_in.rate_limited',
      ip: input.client.ip,
      retryAfterSeconds: slot.retryAfterSeconds,
    });
  }
  let passwordHash: string;
  try {
    if (person.password_hash === null || !(await verifyPassword(person.password_hash, input.current))) {
      await recordAuditEvent(deps.db, {
        action: 'sign_in.failed',
        actor: { kind: 'person', id: person.id, label: person.username ?? person.name, ip: input.client.ip },
        personId: person.id,
        details: { reason: 'wrong_current_password' },
        at: now,
      });
      throw new AppError('current_password_wrong');
    }
    await releaseAttempt(deps.db, slot.reservation);
    passwordHash = await hashPassword(input.next);
  } catch (error) {
    if (!(error instanceof HashQueueFullError)) throw error;
    await releaseAttempt(deps.db, slot.reservation);
    countRateLimited({ kind: 'password_hashing' });
    throw new AppError('busy', { retryAfterSeconds: 1 });
  }
  const session = await deps.db.transaction().execute(async (trx) => {
    const current = await lockPerson(trx, person.id);
    // A recovery or deactivation that committed meanwhile wins: the old password is gone.
    if (!current || current.password_hash !== person.password_hash || current.status === 'deactivated') return null;
    await setPassword(trx, person.id, passwordHash, now);
    const ended = await endEverythingOf(trx, person.id, now);
    const created = await createSession(trx, deps.config, person.id, now, input.client);
    await recordAuditEvent(trx, {
      action: 'password.changed',
      actor: { kind: 'person', id: person.id, label: person.username ?? person.name, ip: input.client.ip },
      personId: person.id,
      details: { sessionsEnded: ended.sessions },
      at: now,
    });
    return created;
  });
  if (session === null) throw new AppError('unauthenticated');
  return { session };
}
